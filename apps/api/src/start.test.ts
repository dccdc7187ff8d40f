import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { auditEvent, closeDb, createDb } from "@signet/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "../build.ts";
import { serveNode } from "./entry/node-serve.ts";
import { loadDevSecrets, startSignet } from "./start.ts";
import { png } from "./testing/images.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-start-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const apiRoot = fileURLToPath(new URL("..", import.meta.url));

/** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    child.stdout?.on("data", (chunk) => {
      buffer += chunk;
      for (const line of buffer.split("\n")) {
        const m = pattern.exec(line);
        if (m) resolve(m);
      }
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before ready: ${stderr}`)));
  });
}

describe("the Node entry", () => {
  it("starts with no configuration but DATA_DIR and free ports, serves a whole upload, and exits 0 on SIGTERM", async () => {
    const dataDir = join(dir, "entry");
    const child = spawn(process.execPath, ["--import", "tsx", "src/entry/node.ts"], {
      cwd: apiRoot,
      env: {
        PATH: process.env.PATH,
        DATA_DIR: dataDir,
        PORT: "0",
        LOCAL_S3_PORT: "0",
        WEB_DIST_DIR: join(dir, "no-dist"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const [, publicUrl] = await waitForLine(child, /^signet listening on (http:\/\/localhost:\d+)$/);
      const base = publicUrl!;
      expect(await (await fetch(`${base}/trpc/health`)).json()).toEqual({
        result: {
          data: {
            ok: true,
            storage: "local",
            database: "file",
            checks: { database: { ok: true }, bucket: { ok: true } },
          },
        },
      });
      expect(await (await fetch(`${base}/`)).text()).toContain("run pnpm build");

      const signUp = await fetch(`${base}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: base },
        body: JSON.stringify({ email: "start@example.com", password: "correct horse battery", name: "S" }),
      });
      const token = signUp.headers.get("set-auth-token");
      expect(token).toBeTruthy();
      const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const created = await fetch(`${base}/trpc/profile.createImageUpload`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ contentType: "image/png", fileSize: png().length }),
      });
      const up = (
        (await created.json()) as {
          result: { data: { presignedUrl: string; headers: Record<string, string> } };
        }
      ).result.data;

      // The browser's preflight to the bucket passes the CORS rule start-up applied.
      const names = Object.keys(up.headers).filter((n) => n !== "content-length");
      const preflight = await fetch(up.presignedUrl, {
        method: "OPTIONS",
        headers: {
          origin: base,
          "access-control-request-method": "PUT",
          "access-control-request-headers": names.join(","),
        },
      });
      expect(preflight.status).toBe(200);
      expect(preflight.headers.get("access-control-allow-origin")).toBe(base);

      const { "content-length": _, ...sent } = up.headers;
      const put = await fetch(up.presignedUrl, {
        method: "PUT",
        headers: { ...sent, origin: base },
        body: png() as BodyInit,
      });
      expect(put.status).toBe(200);
      expect(put.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("etag");
      const done = await fetch(`${base}/trpc/profile.completeImageUpload`, { method: "POST", headers: auth });
      expect(done.status).toBe(200);

      const secrets = join(dataDir, "dev-secrets.json");
      expect((await stat(secrets)).mode & 0o077).toBe(0);
      expect(JSON.parse(await readFile(secrets, "utf8"))).toHaveProperty("betterAuthSecret");
      expect((await stat(join(dataDir, "signet.db"))).isFile()).toBe(true);

      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("under pnpm dev (src/dev.ts) trusts Vite's origin, http://localhost:5173, when PUBLIC_URL is unset", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/dev.ts"], {
      cwd: apiRoot,
      env: { PATH: process.env.PATH, DATA_DIR: join(dir, "dev"), PORT: "0", LOCAL_S3_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const [, url] = await waitForLine(child, /^signet listening on (\S+)$/);
      expect(url).toBe("http://localhost:5173");
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("exits 0 on a SIGTERM sent the moment the ready line appears", async () => {
    // Supervisors and test runners signal as soon as they read the line; the handlers must already be in place.
    const runs = Array.from({ length: 3 }, async (_, i) => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/entry/node.ts"], {
        cwd: apiRoot,
        env: { PATH: process.env.PATH, DATA_DIR: join(dir, `quick-${i}`), PORT: "0", LOCAL_S3_PORT: "0" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      try {
        await waitForLine(child, /^signet listening on /);
        const exited = new Promise((resolve) =>
          child.once("exit", (code, signal) => resolve({ code, signal })),
        );
        child.kill("SIGTERM");
        return await exited;
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
    });
    for (const result of await Promise.all(runs)) expect(result).toEqual({ code: 0, signal: null });
    // Three cold starts at once (each compiles the API with tsx): under a loaded CI machine that alone can pass
    // the suite's 20 s default, which would fail the test for the machine's sake, not the behaviour's.
  }, 90_000);

  it("stops with a message naming the variable on bad configuration", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/entry/node.ts"], {
      cwd: apiRoot,
      env: { PATH: process.env.PATH, DATA_DIR: join(dir, "bad"), UPLOAD_URL_TTL: "forever" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^signet: UPLOAD_URL_TTL:/);
  });
});

describe("the built server (pnpm build)", () => {
  it("runs under plain node from its bundle, finds the migrations and the SPA, and exits 0 on SIGTERM", async () => {
    // Inside apps/api, so the bundle resolves its one external dependency (libsql) as dist/ does.
    const outdir = join(apiRoot, "node_modules/.cache", `signet-build-${process.pid}`);
    const entry = await buildServer(outdir);
    const dataDir = join(dir, "built");
    const child = spawn(process.execPath, [entry], {
      cwd: dir,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, PORT: "0", LOCAL_S3_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const [, base] = await waitForLine(child, /^signet listening on (http:\/\/localhost:\d+)$/);
      expect(await (await fetch(`${base}/trpc/health`)).json()).toEqual({
        result: {
          data: {
            ok: true,
            storage: "local",
            database: "file",
            checks: { database: { ok: true }, bucket: { ok: true } },
          },
        },
      });
      // A sign-up writes the tables the migrations created: the bundle found packages/db/drizzle.
      const signUp = await fetch(`${base}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: base! },
        body: JSON.stringify({ email: "built@example.com", password: "correct horse battery", name: "B" }),
      });
      expect(signUp.status).toBe(200);
      // The SPA is looked for in apps/web/dist, as from the sources.
      const spaIndex = await readFile(
        fileURLToPath(new URL("../../web/dist/index.html", import.meta.url)),
        "utf8",
      ).catch(() => null);
      const page = await (await fetch(`${base}/`)).text();
      if (spaIndex === null) expect(page).toContain("run pnpm build");
      else expect(page).toBe(spaIndex);

      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await rm(outdir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("startSignet", () => {
  it("reuses the generated secrets and data on restart", async () => {
    const env = { DATA_DIR: join(dir, "restart"), PORT: "0", LOCAL_S3_PORT: "0", HOST: "127.0.0.1" };
    const lines: string[] = [];
    const first = await startSignet({
      env,
      serve: serveNode,
      print: (l) => lines.push(l),
      logger: () => {},
      sweepIntervalMs: 0,
    });
    const signUp = await fetch(`${first.publicUrl}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: first.publicUrl },
      body: JSON.stringify({ email: "again@example.com", password: "correct horse battery", name: "A" }),
    });
    const token = signUp.headers.get("set-auth-token");
    await first.close();
    const secrets = await readFile(join(env.DATA_DIR, "dev-secrets.json"), "utf8");

    const second = await startSignet({
      env,
      serve: serveNode,
      print: (l) => lines.push(l),
      logger: () => {},
      sweepIntervalMs: 0,
    });
    try {
      expect(await readFile(join(env.DATA_DIR, "dev-secrets.json"), "utf8")).toBe(secrets);
      // The session token signed by the first run is still valid: same secret, same database.
      const me = await fetch(`${second.publicUrl}/trpc/profile.get`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(me.status).toBe(200);
      expect(lines.filter((l) => l.startsWith("signet listening on "))).toHaveLength(2);
      expect(lines.filter((l) => l.startsWith("local-s3 listening on "))).toHaveLength(2);
    } finally {
      await second.close();
    }
  });

  it.each([
    ["", "127.0.0.1"],
    ["true", "203.0.113.7"],
  ])(
    "records the socket's address, or with TRUST_PROXY=%j the proxy's X-Forwarded-For hop",
    async (trust, ip) => {
      const env = {
        DATA_DIR: join(dir, `socket-ip-${trust || "off"}`),
        PORT: "0",
        LOCAL_S3_PORT: "0",
        HOST: "127.0.0.1",
        TRUST_PROXY: trust,
      };
      const signet = await startSignet({
        env,
        serve: serveNode,
        print: () => {},
        logger: () => {},
        sweepIntervalMs: 0,
      });
      const db = await createDb({ url: `file:${join(env.DATA_DIR, "signet.db")}` });
      try {
        const signUp = await fetch(`${signet.publicUrl}/api/auth/sign-up/email`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: signet.publicUrl },
          body: JSON.stringify({ email: "socket@example.com", password: "correct horse battery", name: "S" }),
        });
        const res = await fetch(`${signet.publicUrl}/api/uploads/pre-signed-url`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${signUp.headers.get("set-auth-token")}`,
            "content-type": "application/json",
            "x-forwarded-for": "203.0.113.7",
          },
          body: JSON.stringify({ filename: "a.txt", contentType: "text/plain", size: 1 }),
        });
        const { fileId } = (await res.json()) as { fileId: string };
        const [event] = await db.select().from(auditEvent).where(eq(auditEvent.fileId, fileId));
        expect(event?.ip).toBe(ip);
      } finally {
        closeDb(db);
        await signet.close();
      }
    },
  );

  it("generates one set of dev secrets when several starts race on a fresh DATA_DIR", async () => {
    const dataDir = join(dir, "secrets-race");
    const all = await Promise.all(Array.from({ length: 5 }, () => loadDevSecrets(dataDir)));
    const stored = JSON.parse(await readFile(join(dataDir, "dev-secrets.json"), "utf8"));
    for (const secrets of all) expect(secrets).toEqual(stored);
    expect((await stat(join(dataDir, "dev-secrets.json"))).mode & 0o077).toBe(0);
  });
});
