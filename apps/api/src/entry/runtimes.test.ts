/**
 * Runs the real entry of each runtime (Node via tsx, Bun, Deno) as a child process on port 0 with a fresh data
 * dir, then one shared end-to-end suite over HTTP, then SIGTERM and a clean exit.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { auditEvent, closeDb, createDb } from "@signet/db";
import { createSigner } from "@signet/signer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  expiredUrl,
  genericUpload,
  profileImage,
  signUp,
  tamperedSignature,
} from "../testing/e2e-over-http.ts";
import { browserPut } from "../testing/harness.ts";

const apiDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const rootModules = resolve(apiDir, "../../node_modules");

// The real binaries, not node_modules/.bin shims: those are sh scripts that do not exec, so a signal sent to
// the child would stop the shell and orphan the runtime.
const runtimes = [
  { name: "node", command: process.execPath, run: ["--import", "tsx"], entry: "src/entry/node.ts" },
  { name: "bun", command: join(rootModules, "bun/bin/bun.exe"), run: [], entry: "src/entry/bun.ts" },
  { name: "deno", command: join(rootModules, "deno/deno"), run: ["run", "-A"], entry: "src/entry/deno.ts" },
];
const localS3Cli = resolve(apiDir, "../../packages/local-s3/src/cli.ts");

interface Spawned {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns a program and resolves once its output matches `ready` (group 1 is the URL). */
async function start(command: string, args: string[], dataDir: string, ready: RegExp): Promise<Spawned> {
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
      const match = ready.exec(output);
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

describe.each(runtimes)("$name entry", ({ command, run, entry }) => {
  let dataDir: string;
  let server: Spawned;
  let client: Client;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "signet-runtime-"));
    server = await start(command, [...run, entry], dataDir, /signet listening on (\S+)/);
    client = await signUp(server.url);
  }, 90_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null) server.child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("answers health with the embedded defaults", async () => {
    const response = await fetch(`${server.url}/trpc/health`);
    const body = (await response.json()) as { result: { data: unknown } };
    expect(body.result.data).toEqual({
      ok: true,
      storage: "local",
      database: "file",
      checks: { database: { ok: true }, bucket: { ok: true } },
    });
  });

  it("uploads, verifies and downloads a file", () => genericUpload(client));
  it("uploads, overwrites and downloads the profile image", () => profileImage(client));
  it("refuses a tampered signature", () => tamperedSignature(client));
  it("refuses an expired URL", () => expiredUrl(client));

  it("records the connection's address in the audit trail", async () => {
    // The server has the file open too; libSQL in WAL mode lets this reader in beside it.
    const db = await createDb({ url: `file:${join(dataDir, "signet.db")}` });
    try {
      const rows = await db.select({ ip: auditEvent.ip }).from(auditEvent);
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((row) => row.ip))).toEqual(new Set(["127.0.0.1"]));
    } finally {
      closeDb(db);
    }
  });

  it("stops cleanly on SIGTERM", async () => {
    server.child.kill("SIGTERM");
    const { code, signal } = await server.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});

describe.each(runtimes)("local-s3 alone on $name", ({ command, run }) => {
  it("starts from its CLI, accepts a signed PUT and serves the bytes back", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "signet-local-s3-"));
    const credentials = {
      accessKeyId: "AKIARUNTIMETEST00001",
      secretAccessKey: "runtime-test-secret-key-0123456789abcdef",
    };
    const args = [...run, localS3Cli, "--port", "0", "--dir", dataDir];
    args.push("--access-key-id", credentials.accessKeyId, "--secret-access-key", credentials.secretAccessKey);
    const s3 = await start(command, args, dataDir, /endpoint:\s+(\S+)/);
    try {
      const signer = createSigner({ endpoint: s3.url, bucket: "alone", ...credentials });
      await signer.createBucket();
      const bytes = new TextEncoder().encode(`stored by local-s3 on ${command}`);
      const upload = await signer.presignPut("dir/hello world.txt", {
        expiresIn: 60,
        contentType: "text/plain",
        contentLength: bytes.length,
      });
      expect((await browserPut(upload.url, upload.headers, bytes)).status).toBe(200);
      const download = await signer.presignGet("dir/hello world.txt", { expiresIn: 60 });
      expect(new Uint8Array(await (await fetch(download.url)).arrayBuffer())).toEqual(bytes);
    } finally {
      s3.child.kill("SIGTERM");
      await s3.exited;
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
