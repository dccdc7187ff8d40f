/**
 * Several instances, shown: two Node instances and a Bun one on ONE libSQL file and ONE bucket, behind a
 * round-robin proxy, under 64 users uploading for 60 s. A `signet backup` is taken during the load; afterwards the
 * test checks what the issue promises (0 errors, exact quotas, a shared rate limit, no file settled twice, two
 * sweepers never settling one row twice), then restores the backup into a fresh data directory, checks that the
 * reconcile reports exactly the drift made after the backup, fixes it, and downloads every file that was ready at
 * the backup byte-identical from a server started on the restored database.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { auditEvent, closeDb, createDb, type Database, file, userQuota } from "@signet/db";
import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli, startTestBucket, type TestBucket } from "./cli/testing.ts";
import { serveNode } from "./entry/node-serve.ts";
import { browserPut, sha256Base64 } from "./testing/harness.ts";

const apiDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bun = resolve(apiDir, "../../node_modules/bun/bin/bun.exe");
const LOAD_MS = 60_000;
const USERS = 64;
const RATE_LIMIT = 200;

interface Instance {
  name: string;
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

function startInstance(name: string, command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, {
    cwd: apiDir,
    env: { PATH: process.env.PATH ?? "", ...env, PORT: "0", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return new Promise<Instance>((done, fail) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /signet listening on (\S+)/.exec(output);
      if (match) done({ name, child, url: match[1]!, exited });
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    exited.then((code) => fail(new Error(`${name} exited (${code}) before listening:\n${output}`)));
  });
}

async function stop(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null) return;
  instance.child.kill("SIGTERM");
  expect(await instance.exited).toBe(0);
}

/** A round-robin reverse proxy over the instances, as a load balancer would be. */
async function startProxy(backends: () => string[]) {
  let next = 0;
  return serveNode(
    async (request) => {
      const targets = backends();
      const backend = targets[next++ % targets.length]!;
      const url = new URL(request.url);
      const headers = new Headers(request.headers);
      headers.delete("host");
      headers.delete("accept-encoding");
      // Each instance's own origin is its PUBLIC_URL: a load balancer with one PUBLIC_URL would not need this.
      if (headers.has("origin")) headers.set("origin", backend);
      const answer = await fetch(`${backend}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        body: request.method === "GET" || request.method === "HEAD" ? null : await request.arrayBuffer(),
        redirect: "manual",
      });
      const out = new Headers(answer.headers);
      out.delete("content-encoding");
      out.delete("content-length");
      return new Response(await answer.arrayBuffer(), { status: answer.status, headers: out });
    },
    { port: 0, hostname: "127.0.0.1" },
  );
}

interface User {
  id: string;
  token: string;
}

class CallError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One tRPC call with a bearer token; the latency goes to `latencies` when given. */
async function call<T>(
  base: string,
  user: User,
  path: string,
  input: unknown,
  kind: "query" | "mutation",
  latencies?: number[],
): Promise<T> {
  const headers = { authorization: `Bearer ${user.token}`, "content-type": "application/json" };
  const started = performance.now();
  const response =
    kind === "query"
      ? await fetch(`${base}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
      : await fetch(`${base}/trpc/${path}`, { method: "POST", headers, body: JSON.stringify(input) });
  const body = (await response.json()) as { result?: { data: T }; error?: { message: string } };
  latencies?.push(performance.now() - started);
  if (!response.ok || !body.result) {
    throw new CallError(response.status, `${path}: ${response.status} ${body.error?.message ?? ""}`);
  }
  return body.result.data;
}

async function signUp(base: string, n: number): Promise<User> {
  const response = await fetch(`${base}/api/auth/sign-up/email`, {
    method: "POST",
    // Each user signs up from an address of its own (sign-up is limited per address); the instances trust the
    // proxy's X-Forwarded-For, as they would behind a real load balancer.
    headers: {
      "content-type": "application/json",
      origin: base,
      "x-forwarded-for": `198.51.100.${(n % 250) + 1}`,
    },
    body: JSON.stringify({
      email: `load-${n}-${crypto.randomUUID()}@example.com`,
      password: "correct horse battery staple",
      name: `Load ${n}`,
    }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { user: { id: string } };
  return { id: body.user.id, token: response.headers.get("set-auth-token")! };
}

function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  crypto.getRandomValues(bytes);
  return bytes;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Users whose reserved bytes differ from the sizes of their pending and ready files. */
async function quotaMismatches(db: Database): Promise<unknown[]> {
  return db.all(sql`
    SELECT q.user_id, q.reserved_bytes,
      (SELECT coalesce(sum(f.size), 0) FROM file f WHERE f.owner_id = q.user_id AND f.status IN ('pending', 'ready')) AS live
    FROM user_quota q
    WHERE q.reserved_bytes <> (SELECT coalesce(sum(f.size), 0) FROM file f WHERE f.owner_id = q.user_id AND f.status IN ('pending', 'ready'))`);
}

/** Settlement events per file, for files settled more than once. */
async function settledTwice(db: Database): Promise<unknown[]> {
  return db
    .select({ fileId: auditEvent.fileId, times: sql<number>`count(*)` })
    .from(auditEvent)
    .where(
      inArray(auditEvent.action, ["file.complete", "file.reject", "file.sweep_ready", "file.sweep_reject"]),
    )
    .groupBy(auditEvent.fileId)
    .having(sql`count(*) > 1`);
}

async function bucketKeys(bucket: TestBucket): Promise<Set<string>> {
  const keys = new Set<string>();
  let token: string | undefined;
  do {
    const page = await bucket.signer.listObjects("", token);
    for (const o of page.objects) keys.add(o.key);
    token = page.nextContinuationToken;
  } while (token);
  return keys;
}

let dir: string;
let bucket: TestBucket;
const instances: Instance[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-multi-"));
  bucket = await startTestBucket();
});
afterAll(async () => {
  for (const instance of instances) if (instance.child.exitCode === null) instance.child.kill("SIGKILL");
  await bucket?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("several instances on one database", () => {
  it("serve 64 users for 60 s with exact quotas, a shared rate limit and single settlement; a backup taken meanwhile restores with exactly the later drift", {
    timeout: 420_000,
  }, async () => {
    const dbFile = join(dir, "shared", "signet.db");
    const env = (dataDir: string) => ({
      ...bucket.env,
      PUBLIC_URL: "",
      DATA_DIR: join(dir, dataDir),
      DATABASE_URL: `file:${dbFile}`,
      RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
      TRUST_PROXY: "true",
    });
    const node = [process.execPath, "--import", "tsx"];
    instances.push(
      ...(await Promise.all([
        startInstance("node-1", node[0]!, [...node.slice(1), "src/entry/node.ts"], env("node-1")),
        startInstance("node-2", node[0]!, [...node.slice(1), "src/entry/node.ts"], env("node-2")),
        startInstance("bun", bun, ["src/entry/bun.ts"], env("bun")),
      ])),
    );
    const proxy = await startProxy(() => instances.map((i) => i.url));
    const base = `http://127.0.0.1:${proxy.port}`;
    try {
      const users: User[] = [];
      for (let n = 0; n < USERS; n++) users.push(await signUp(base, n));

      // The load: each user creates, PUTs and completes small files through the proxy; every fourth upload is
      // completed twice at once (two instances racing to settle it).
      const latencies: number[] = [];
      const errors: string[] = [];
      const content = new Map<string, { key?: string; bytes: Uint8Array; owner: User }>();
      const deadline = performance.now() + LOAD_MS;
      let backupRun: ReturnType<typeof spawnCli> | undefined;
      const backupFile = join(dir, "backups", "during-load.db");
      const started = performance.now();
      setTimeout(() => {
        backupRun = spawnCli(["backup", backupFile, "--json"], env("cli"));
      }, LOAD_MS / 3);
      await Promise.all(
        users.map(async (user, u) => {
          for (let i = 0; performance.now() < deadline; i++) {
            try {
              const bytes = randomBytes(512 + ((u * 131 + i * 17) % 3584));
              const upload = await call<{ fileId: string; url: string; headers: Record<string, string> }>(
                base,
                user,
                "files.createUpload",
                {
                  filename: `f-${i}.bin`,
                  contentType: "application/octet-stream",
                  size: bytes.length,
                  checksumSha256: await sha256Base64(bytes),
                },
                "mutation",
                latencies,
              );
              content.set(upload.fileId, { bytes, owner: user });
              const put = await browserPut(upload.url, upload.headers, bytes);
              if (put.status !== 200) throw new Error(`PUT ${put.status}`);
              const completions = i % 4 === 0 ? 2 : 1;
              const settled = await Promise.all(
                Array.from({ length: completions }, () =>
                  call<{ status: string }>(
                    base,
                    user,
                    "files.completeUpload",
                    { fileId: upload.fileId },
                    "mutation",
                    latencies,
                  ),
                ),
              );
              if (settled.some((f) => f.status !== "ready")) throw new Error("not ready");
            } catch (error) {
              errors.push(String(error));
            }
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const figures = {
        requests: latencies.length,
        perSecond: Math.round(latencies.length / seconds),
        p50: Math.round(percentile(latencies, 50)),
        p99: Math.round(percentile(latencies, 99)),
        files: content.size,
      };
      console.log(`multi-instance load: ${JSON.stringify(figures)}`);
      expect(errors.slice(0, 5)).toEqual([]);
      expect(errors).toHaveLength(0);

      const backup = await backupRun!;
      expect(backup.stderr).toBe("");
      expect(backup.code).toBe(0);

      const db = await createDb({ url: `file:${dbFile}` });
      try {
        expect(await quotaMismatches(db)).toEqual([]);
        expect(await settledTwice(db)).toEqual([]);
        const ready = await db.select({ id: file.id }).from(file).where(eq(file.status, "ready"));
        expect(ready).toHaveLength(content.size);

        // The rate limit is shared: a user refused by one instance is refused by the others.
        const limited = await signUp(instances[0]!.url, 999);
        const issue = (at: Instance) =>
          call(
            at.url,
            limited,
            "files.createUpload",
            { filename: "r.txt", contentType: "text/plain", size: 1 },
            "mutation",
          );
        let accepted = 0;
        for (;;) {
          try {
            await issue(instances[accepted % 2]!);
            accepted++;
          } catch (error) {
            expect((error as CallError).status).toBe(429);
            break;
          }
        }
        expect(accepted).toBe(RATE_LIMIT);
        for (const other of instances) await expect(issue(other)).rejects.toMatchObject({ status: 429 });

        // Two sweepers at once: every due row is settled by exactly one of them.
        await db
          .update(file)
          .set({ uploadExpiresAt: new Date(0) })
          .where(eq(file.status, "pending"));
        const due = (await db.select({ id: file.id }).from(file).where(eq(file.status, "pending"))).length;
        expect(due).toBe(RATE_LIMIT);
        const sweeps = await Promise.all([
          spawnCli(["sweep", "--json"], env("cli")),
          spawnCli(["sweep", "--json"], env("cli")),
        ]);
        const counts = sweeps.map((s) => JSON.parse(s.stdout) as { ready: number; rejected: number });
        expect(counts.reduce((n, c) => n + c.ready + c.rejected, 0)).toBe(due);
        expect(await settledTwice(db)).toEqual([]);
        expect(await quotaMismatches(db)).toEqual([]);

        // Drift after the backup: three files that were ready in it are deleted (the load's later uploads are
        // the other kind: objects the backup has no row for).
        const backedUp = await createDb({ url: `file:${backupFile}` });
        const atBackup = await backedUp
          .select({ id: file.id, key: file.key, status: file.status })
          .from(file)
          .where(inArray(file.status, ["pending", "ready"]));
        closeDb(backedUp);
        const readyAtBackup = atBackup.filter((f) => f.status === "ready");
        expect(readyAtBackup.length).toBeGreaterThan(0);
        const deleted = readyAtBackup.slice(0, 3);
        for (const f of deleted) {
          await call(base, content.get(f.id)!.owner, "files.delete", { fileId: f.id }, "mutation");
        }
        const liveKeys = new Set(atBackup.map((f) => f.key));
        const orphans = [...(await bucketKeys(bucket))].filter((key) => !liveKeys.has(key)).sort();
        expect(orphans.length).toBeGreaterThan(0);

        // Restoring over the database the instances serve is refused, and changes nothing.
        const filesBefore = await db.select({ n: sql<number>`count(*)` }).from(file);
        const onLive = await spawnCli(["restore", backupFile], env("cli"));
        expect(onLive.code).toBe(4);
        expect(onLive.stderr).toMatch(/^signet: restore refused: .*a server is running on this database/);
        expect(await db.select({ n: sql<number>`count(*)` }).from(file)).toEqual(filesBefore);

        for (const instance of instances) await stop(instance);

        // Restore into a fresh data directory: exactly that drift, nothing deleted without --fix.
        const fresh = { ...env("restored"), DATABASE_URL: "" };
        const restored = await spawnCli(["restore", backupFile, "--json"], fresh);
        expect(restored.stderr).toBe("");
        expect(restored.code).toBe(1);
        const report = JSON.parse(restored.stdout) as {
          quota: unknown[];
          storage: { kind: string; key: string; fixed: boolean }[];
        };
        expect(report.quota).toEqual([]);
        const found = (kind: string) =>
          report.storage
            .filter((f) => f.kind === kind)
            .map((f) => f.key)
            .sort();
        expect(found("orphan-object")).toEqual(orphans);
        expect(found("missing-file-object")).toEqual(deleted.map((f) => f.key).sort());
        expect(
          report.storage.filter((f) => !["orphan-object", "missing-file-object"].includes(f.kind)),
        ).toEqual([]);
        expect((await bucketKeys(bucket)).size).toBe(orphans.length + liveKeys.size - deleted.length);

        const fixed = await spawnCli(["reconcile", "--fix", "--json"], fresh);
        expect(JSON.parse(fixed.stdout)).toMatchObject({ clean: true });
        const clean = await spawnCli(["reconcile", "--json"], fresh);
        expect(clean.code).toBe(0);
        expect(JSON.parse(clean.stdout)).toMatchObject({ clean: true, quota: [], storage: [] });

        // A server on the restored database serves every file that was ready at the backup, byte-identical.
        const server = await startInstance(
          "restored",
          node[0]!,
          [...node.slice(1), "src/entry/node.ts"],
          fresh,
        );
        instances.push(server);
        const restoredDb = await createDb({ url: `file:${join(dir, "restored", "signet.db")}` });
        try {
          expect(await quotaMismatches(restoredDb)).toEqual([]);
          const quotas = await restoredDb.select().from(userQuota);
          expect(quotas.length).toBeGreaterThan(0);
        } finally {
          closeDb(restoredDb);
        }
        const gone = new Set(deleted.map((f) => f.id));
        const toCheck = readyAtBackup.filter((f) => !gone.has(f.id));
        for (let i = 0; i < toCheck.length; i += 32) {
          await Promise.all(
            toCheck.slice(i, i + 32).map(async (f) => {
              const { bytes, owner } = content.get(f.id)!;
              const link = await call<{ url: string }>(
                server.url,
                owner,
                "files.downloadUrl",
                { fileId: f.id },
                "query",
              );
              const got = new Uint8Array(await (await fetch(link.url)).arrayBuffer());
              expect(await sha256Base64(got)).toBe(await sha256Base64(bytes));
            }),
          );
        }
        await stop(server);
      } finally {
        closeDb(db);
      }
    } finally {
      await proxy.close();
    }
  });
});
