import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { closeDb, createDb, file, rateLimit, throughClient, userQuota } from "@signet/db";
import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../testing/harness.ts";
import { batchGrouped, groupCommitStats } from "./group-commit.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ rateLimitPerMinute: 1000, userQuotaBytes: 100 });
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

const upload = (token: string, size: number) =>
  h.trpc(
    "files.createUpload",
    { filename: "a.bin", contentType: "application/octet-stream", size },
    { token },
  );

async function reserved(userId: string) {
  const [row] = await h.db.select().from(userQuota).where(eq(userQuota.userId, userId));
  return row?.reservedBytes ?? 0;
}

describe("group commit", () => {
  it("commits concurrent announces together, each admitted or refused on its own quota", async () => {
    const [a, b] = [await h.signUp(), await h.signUp()];
    const before = groupCommitStats();
    // 20 × 10 bytes against a 100-byte quota for one user, 5 × 10 for the other, all at once.
    const results = await Promise.all([
      ...Array.from({ length: 20 }, () => upload(a.token, 10)),
      ...Array.from({ length: 5 }, () => upload(b.token, 10)),
    ]);
    const after = groupCommitStats();
    const [forA, forB] = [results.slice(0, 20), results.slice(20)];
    expect(forA.filter((r) => r.ok)).toHaveLength(10);
    for (const refused of forA.filter((r) => !r.ok)) {
      expect(refused).toMatchObject({ code: "PAYLOAD_TOO_LARGE", status: 413 });
    }
    expect(forB.every((r) => r.ok)).toBe(true);
    expect(await reserved(a.id)).toBe(100);
    expect(await reserved(b.id)).toBe(50);
    const rows = await h.db
      .select()
      .from(file)
      .where(inArray(file.ownerId, [a.id, b.id]));
    expect(rows).toHaveLength(15);
    // Fewer transactions than requests: they really were grouped.
    expect(after.requests - before.requests).toBe(25);
    expect(after.commits - before.commits).toBeLessThan(25);
  });

  it("fails only the request whose statement throws; the others in its group commit", async () => {
    const key = (name: string) => `group-commit-test:${name}:${crypto.randomUUID()}`;
    const insert = (k: string) => {
      const query = h.db.insert(rateLimit).values({ key: k, windowStart: 0, count: 1 }).toSQL();
      return { sql: query.sql, args: query.params };
    };
    const twice = key("twice");
    const before = groupCommitStats();
    const [bad, good] = await Promise.allSettled([
      // The same primary key twice in one batch: a constraint error, which rolls back the whole transaction.
      batchGrouped(h.db, [insert(twice), insert(twice)]),
      batchGrouped(h.db, [insert(key("good"))]),
    ]);
    expect(groupCommitStats().largest).toBeGreaterThanOrEqual(2);
    expect(groupCommitStats().commits - before.commits).toBe(1);
    expect(bad.status).toBe("rejected");
    expect(good.status).toBe("fulfilled");
    const stored = await h.db
      .select({ key: rateLimit.key })
      .from(rateLimit)
      .where(sql`${rateLimit.key} like 'group-commit-test:%'`);
    // The good batch is in; nothing of the failed one is (its first insert was rolled back with it).
    expect(stored.map((r) => r.key.split(":")[1])).toEqual(["good"]);
  });

  it("groups the batches of views of the database with its own, and tells each view's client of the commit", async () => {
    const heard: number[] = [];
    // What a traced request holds: a view whose client forwards to the database's own and is a witness.
    const view = () => {
      const client = (h.db as unknown as { $client: object }).$client;
      const witness = {
        groupCommitted: (started: number, requests: number) => {
          expect(started).toBeLessThanOrEqual(performance.now());
          heard.push(requests);
        },
      };
      return throughClient(
        h.db,
        new Proxy(client, {
          get(target, name) {
            if (name === "groupCommitted") return witness.groupCommitted;
            const value = Reflect.get(target, name, target);
            return typeof value === "function" ? value.bind(target) : value;
          },
        }),
      );
    };
    const insert = () => ({
      sql: "insert into rate_limit (key, window_start, count) values (?, 0, 1)",
      args: [`group-commit-view:${crypto.randomUUID()}`],
    });
    const before = groupCommitStats();
    await Promise.all([
      batchGrouped(view(), [insert()]),
      batchGrouped(h.db, [insert()]),
      batchGrouped(view(), [insert()]),
    ]);
    expect(groupCommitStats().commits - before.commits).toBe(1);
    expect(heard).toEqual([3, 3]);
  });
});

const apiRoot = fileURLToPath(new URL("../..", import.meta.url));

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk) => {
      out += chunk;
      const m = /signet listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before listening`)));
  });
}

function startServer(dataDir: string): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/entry/node.ts"], {
    cwd: apiRoot,
    env: {
      PATH: process.env.PATH,
      DATA_DIR: dataDir,
      PORT: "0",
      LOCAL_S3_PORT: "0",
      RATE_LIMIT_PER_MINUTE: "1000000",
      USER_QUOTA_BYTES: "1000000000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

describe("kill -9 in the middle of group commits", () => {
  it("loses no answered announce and leaves the quota equal to the bytes of the rows that exist", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "signet-kill9-"));
    let child = startServer(dataDir);
    try {
      const base = await listening(child);
      const signUp = await fetch(`${base}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: base },
        body: JSON.stringify({ email: "kill9@example.com", password: "correct horse battery", name: "K" }),
      });
      const token = signUp.headers.get("set-auth-token")!;
      const { user } = (await signUp.json()) as { user: { id: string } };
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      // Sizes differ per request, so a lost or doubled reservation cannot cancel out.
      const answered: { fileId: string; size: number }[] = [];
      let sent = 0;
      const oneRequest = async (size: number) => {
        const res = await fetch(`${base}/trpc/files.createUpload`, {
          method: "POST",
          headers,
          body: JSON.stringify({ filename: "k.bin", contentType: "application/octet-stream", size }),
        });
        const body = (await res.json()) as { result: { data: { fileId: string } } };
        answered.push({ fileId: body.result.data.fileId, size });
      };
      // 32 clients loop announces; the server is killed once 150 are answered, with ~32 in flight.
      const exited = new Promise((resolve) => child.once("exit", resolve));
      let stop = false;
      const client = async () => {
        while (!stop) {
          if (answered.length >= 150) {
            stop = true;
            child.kill("SIGKILL");
            return;
          }
          await oneRequest(1 + (sent++ % 97)).catch(() => {});
        }
      };
      await Promise.all(Array.from({ length: 32 }, client));
      await exited;

      // Restart on the same data directory: it recovers the WAL and serves again.
      child = startServer(dataDir);
      const again = await listening(child);
      expect((await fetch(`${again}/trpc/health`)).status).toBe(200);
      const db = await createDb({ url: `file:${join(dataDir, "signet.db")}` });
      try {
        const rows = await db.select({ id: file.id, size: file.size, ownerId: file.ownerId }).from(file);
        const stored = new Map(rows.map((r) => [r.id, r.size]));
        for (const { fileId, size } of answered) expect(stored.get(fileId)).toBe(size);
        const owner = user.id;
        const [quota] = await db.select().from(userQuota).where(eq(userQuota.userId, owner));
        const [sum] = await db
          .select({ bytes: sql<number>`coalesce(sum(${file.size}), 0)` })
          .from(file)
          .where(and(eq(file.ownerId, owner), inArray(file.status, ["pending", "ready"])));
        expect(quota?.reservedBytes).toBe(sum?.bytes);
        expect(rows.length).toBeGreaterThanOrEqual(answered.length);
      } finally {
        closeDb(db);
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
