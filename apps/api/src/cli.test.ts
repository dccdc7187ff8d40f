import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli.ts";
import { serveNode } from "./entry/node-serve.ts";
import { startSignet } from "./start.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("signet CLI", () => {
  it("migrates an empty data dir, idempotently", async () => {
    const env = { DATA_DIR: join(dir, "migrate") };
    const lines: string[] = [];
    expect(await runCli(["migrate"], { env, out: (l) => lines.push(l) })).toBe(0);
    expect(await runCli(["migrate"], { env, out: (l) => lines.push(l) })).toBe(0);
    expect(lines).toEqual(["migrations applied", "migrations applied"]);
  });

  it("refuses an unknown command or option with exit 2, naming it; --help lists every command and exit code", async () => {
    const errors: string[] = [];
    expect(await runCli(["frobnicate"], { out: () => {}, err: (l) => errors.push(l) })).toBe(2);
    expect(errors.join("\n")).toMatch(/unknown command 'frobnicate'/);
    errors.length = 0;
    expect(await runCli(["doctor", "--frob"], { out: () => {}, err: (l) => errors.push(l) })).toBe(2);
    expect(errors.join("\n")).toMatch(/unknown option '--frob'/);
    const help: string[] = [];
    expect(await runCli(["--help"], { out: (l) => help.push(l) })).toBe(0);
    for (const command of ["presign", "cors", "doctor", "reconcile", "sweep", "migrate"]) {
      expect(help.join("\n")).toMatch(new RegExp(`^  ${command} `, "m"));
    }
    expect(help.join("\n")).toMatch(/^ {2}3 {2}bad configuration/m);
  });

  it("names a bad variable with exit 3 and a bad argument with exit 2", async () => {
    const errors: string[] = [];
    const err = (l: string) => errors.push(l);
    expect(await runCli(["presign", "k"], { env: { UPLOAD_URL_TTL: "0" }, out: () => {}, err })).toBe(3);
    expect(errors.pop()).toMatch(/^signet: UPLOAD_URL_TTL: /);
    const env = { DATA_DIR: join(dir, "args") };
    expect(await runCli(["presign", "k", "--expires-in", "604801"], { env, out: () => {}, err })).toBe(2);
    expect(errors.pop()).toBe('signet: --expires-in: must be a whole number from 1 to 604800 (got "604801")');
    expect(await runCli(["presign", "a/../b"], { env, out: () => {}, err })).toBe(2);
    expect(errors.pop()).toMatch(/^signet: <key>: /);
    expect(await runCli(["presign", "k", "--method", "PUT"], { env, out: () => {}, err })).toBe(2);
    expect(errors.pop()).toMatch(/^signet: --content-length: required/);
  });

  it("sweeps an upload left pending by a stopped server: the arrived object becomes ready", async () => {
    const env = { DATA_DIR: join(dir, "sweep"), PORT: "0", LOCAL_S3_PORT: "0", UPLOAD_URL_TTL: "60" };
    const server = await startSignet({
      env,
      serve: serveNode,
      print: () => {},
      logger: () => {},
      sweepIntervalMs: 0,
    });
    const base = server.publicUrl;
    try {
      const signUp = await fetch(`${base}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: base },
        body: JSON.stringify({ email: "cli@example.com", password: "correct horse battery", name: "C" }),
      });
      const auth = {
        authorization: `Bearer ${signUp.headers.get("set-auth-token")}`,
        "content-type": "application/json",
      };
      const res = await fetch(`${base}/api/uploads/pre-signed-url`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ filename: "left.txt", contentType: "text/plain", size: 4 }),
      });
      const up = (await res.json()) as { url: string; headers: Record<string, string> };
      const { "content-length": _, ...headers } = up.headers;
      expect((await fetch(up.url, { method: "PUT", headers, body: "left" })).status).toBe(200);
    } finally {
      await server.close();
    }
    const lines: string[] = [];
    const later = () => new Date(Date.now() + 3600_000);
    expect(await runCli(["sweep"], { env, out: (l) => lines.push(l), clock: later })).toBe(0);
    expect(lines).toEqual(["swept: 1 ready, 0 rejected, 0 staging objects removed, 0 purged"]);
  });
});
