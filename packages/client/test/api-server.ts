/**
 * The real Signet API (Node entry, embedded local-s3) as a child process on free ports, and a signed-up user
 * with a typed tRPC client holding their bearer token: what a developer's script has.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTRPCClient, httpLink, type TRPCClient } from "@trpc/client";
import type { AppRouter } from "./app-router.ts";

const apiDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../../apps/api");

export interface TestApi extends AsyncDisposable {
  url: string;
  output(): string;
  /** A fresh user and a tRPC client acting as them. */
  signUp(): Promise<TRPCClient<AppRouter>>;
}

/** Starts the API and resolves once it prints `signet listening on <url>`; dispose with `await using`. */
export async function startApi(env: Record<string, string> = {}): Promise<TestApi> {
  const dataDir = await mkdtemp(join(tmpdir(), "signet-client-"));
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/entry/node.ts"], {
    cwd: apiDir,
    env: { ...process.env, PORT: "0", LOCAL_S3_PORT: "0", DATA_DIR: dataDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const url = await new Promise<string>((ready, fail) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /^signet listening on (\S+)$/m.exec(log);
      if (match) ready(match[1]!);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then((code) => fail(new Error(`API exited with ${code} before it was ready:\n${log}`)));
  });

  return {
    url,
    output: () => log,
    async signUp() {
      const response = await fetch(`${url}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: url },
        body: JSON.stringify({
          email: `client-${crypto.randomUUID()}@example.com`,
          password: "correct horse battery staple",
          name: "Client Tester",
        }),
      });
      const token = response.headers.get("set-auth-token");
      if (response.status !== 200 || !token) throw new Error(`sign-up failed: ${response.status}`);
      return createTRPCClient<AppRouter>({
        links: [httpLink({ url: `${url}/trpc`, headers: { authorization: `Bearer ${token}` } })],
      });
    },
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
