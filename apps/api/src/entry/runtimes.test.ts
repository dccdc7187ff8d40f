/**
 * Runs the real entry of each runtime (Node via tsx, Bun, Deno) as a child process on port 0 with a fresh data
 * dir, then one shared end-to-end suite over HTTP, then SIGTERM and a clean exit.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  expiredUrl,
  genericUpload,
  profileImage,
  signUp,
  tamperedSignature,
} from "../testing/e2e-over-http.ts";

const apiDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const rootModules = resolve(apiDir, "../../node_modules");

// The real binaries, not node_modules/.bin shims: those are sh scripts that do not exec, so a signal sent to
// the child would stop the shell and orphan the runtime.
const runtimes = [
  { name: "node", command: process.execPath, args: ["--import", "tsx", "src/entry/node.ts"] },
  { name: "bun", command: join(rootModules, "bun/bin/bun.exe"), args: ["src/entry/bun.ts"] },
  { name: "deno", command: join(rootModules, "deno/deno"), args: ["run", "-A", "src/entry/deno.ts"] },
];

interface Spawned {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns an entry and resolves once it prints `signet listening on <url>`. */
async function start(command: string, args: string[], dataDir: string): Promise<Spawned> {
  const child = spawn(command, args, {
    cwd: apiDir,
    env: { ...process.env, PORT: "0", LOCAL_S3_PORT: "0", DATA_DIR: dataDir, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("exit", (code, signal) => done({ code, signal })),
  );
  const url = await new Promise<string>((done, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /signet listening on (\S+)/.exec(output);
      if (match) done(match[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    exited.then(({ code }) => fail(new Error(`${command} exited (${code}) before listening:\n${output}`)));
  });
  return { child, url, output: () => output, exited };
}

describe.each(runtimes)("$name entry", ({ command, args }) => {
  let dataDir: string;
  let server: Spawned;
  let client: Client;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "signet-runtime-"));
    server = await start(command, args, dataDir);
    client = await signUp(server.url);
  }, 90_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null) server.child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("answers health with the embedded defaults", async () => {
    const response = await fetch(`${server.url}/trpc/health`);
    const body = (await response.json()) as { result: { data: unknown } };
    expect(body.result.data).toEqual({ ok: true, storage: "local", database: "file" });
  });

  it("uploads, verifies and downloads a file", () => genericUpload(client));
  it("uploads, overwrites and downloads the profile image", () => profileImage(client));
  it("refuses a tampered signature", () => tamperedSignature(client));
  it("refuses an expired URL", () => expiredUrl(client));

  it("stops cleanly on SIGTERM", async () => {
    server.child.kill("SIGTERM");
    const { code, signal } = await server.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});
