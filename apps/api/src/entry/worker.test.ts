/**
 * The Cloudflare Worker under workerd (miniflare): the bundle `wrangler deploy` would upload, a persisted local D1
 * migrated with the committed migrations, the SPA through the assets binding, and local-s3 in Node as R2. Runs the
 * same end-to-end suite as the Node, Bun and Deno entries, fires the Cron Trigger, and checks that rate limit and
 * quota hold across two Worker instances (separate isolates) sharing the one D1 database.
 */
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditEvent, file, userQuota, webhookDelivery } from "@signet/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtSpaDir } from "../http/static.ts";
import { draftEvent, eventStatements } from "../services/events.ts";
import {
  type Client,
  expiredUrl,
  genericUpload,
  profileImage,
  sharing,
  signUp,
  tamperedSignature,
} from "../testing/e2e-over-http.ts";
import worker from "./worker.ts";
import { buildWorkerBundle, type LocalWorker, startLocalWorker } from "./worker-local.ts";

const RATE_LIMIT = 12;
const QUOTA = 1_000_000;

let dataDir: string;
let bundle: string;
let local: LocalWorker;
let client: Client;
const output: string[] = [];

beforeAll(async () => {
  await access(join(builtSpaDir, "index.html")).catch(() => {
    throw new Error(`the SPA is not built (${builtSpaDir}): run pnpm --filter @signet/web build first`);
  });
  dataDir = await mkdtemp(join(tmpdir(), "signet-worker-"));
  bundle = await buildWorkerBundle(join(dataDir, "bundle"));
  local = await startLocalWorker({
    dataDir,
    bundle,
    instances: 2,
    vars: {
      RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
      USER_QUOTA_BYTES: String(QUOTA),
      // The webhook receiver below listens on this machine.
      WEBHOOKS_ALLOW_PRIVATE: "true",
    },
    onOutput: (line) => {
      output.push(line);
      if (process.env.SIGNET_WORKER_LOG) console.log(line);
    },
  });
  client = await signUp(local.urls[0]!);
}, 180_000);

afterAll(async () => {
  await local?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("the Worker bundle", () => {
  it("imports no file system module (only what nodejs_compat provides and the Worker needs)", async () => {
    const text = await readFile(bundle, "utf8");
    // esbuild's output: static imports start a line; dynamic ones are import("…") / __require("…") calls.
    const patterns = [
      /^import\s[^;]*?\bfrom\s*"([^"]+)"/gm,
      /^import\s*"([^"]+)"/gm,
      /\b(?:import|__require)\("([^"]+)"\)/g,
    ];
    const imported = new Set(patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1]!)));
    expect([...imported].filter((name) => /^(node:)?fs(\/|$)/.test(name))).toEqual([]);
    expect([...imported].filter((name) => !name.startsWith("node:"))).toEqual([]);
    expect(text).not.toMatch(/@signet\/local-s3|createLocalS3/);
  });
});

describe("Worker entry on workerd with D1", () => {
  it("answers health: a real S3 endpoint and a remote database", async () => {
    const response = await fetch(`${local.urls[0]}/trpc/health`);
    const body = (await response.json()) as { result: { data: unknown } };
    expect(body.result.data).toEqual({
      ok: true,
      storage: "s3",
      database: "remote",
      checks: { database: { ok: true }, bucket: { ok: true } },
    });
  });

  it("serves the SPA from the assets binding with the app's security headers", async () => {
    const index = await readFile(join(builtSpaDir, "index.html"), "utf8");
    for (const path of ["/", "/files/some-client-route"]) {
      const response = await fetch(`${local.urls[0]}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect(await response.text()).toBe(index);
    }
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${local.urls[0]}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/javascript/);
    const api = await fetch(`${local.urls[0]}/api/nothing-here`);
    expect(api.status).toBe(404);
  });

  it("uploads, verifies and downloads a file", () => genericUpload(client));
  it("uploads, overwrites and downloads the profile image", () => profileImage(client));
  it("refuses a tampered signature", () => tamperedSignature(client));
  it("refuses an expired URL", () => expiredUrl(client));
  it("serves share links and takes guest uploads", () => sharing(client));

  it("records the connection's address in the audit trail, in D1", async () => {
    const rows = await local.db.select({ ip: auditEvent.ip }).from(auditEvent);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((row) => row.ip))).toEqual(new Set(["127.0.0.1"]));
  });

  it("sweeps an expired pending upload when the Cron Trigger fires", async () => {
    const sweeper = await signUp(local.urls[0]!);
    const pending = await sweeper.call<{ fileId: string }>("files.createUpload", {
      filename: "never sent.txt",
      contentType: "text/plain",
      size: 1000,
    });
    const quota = () =>
      local.db
        .select({ bytes: userQuota.reservedBytes })
        .from(userQuota)
        .innerJoin(file, eq(file.ownerId, userQuota.userId))
        .where(eq(file.id, pending.fileId));
    expect(await quota()).toEqual([{ bytes: 1000 }]);
    // Its URL died long ago (beyond the sweeper's grace): what a minute-by-minute cron finds eventually.
    await local.db
      .update(file)
      .set({ uploadExpiresAt: new Date(Date.now() - 3_600_000) })
      .where(eq(file.id, pending.fileId));
    await local.scheduled(1);
    const [row] = await local.db.select().from(file).where(eq(file.id, pending.fileId));
    expect(row?.status).toBe("rejected");
    expect(await quota()).toEqual([{ bytes: 0 }]);
    const events = await local.db
      .select({ action: auditEvent.action, detail: auditEvent.detail })
      .from(auditEvent)
      .where(eq(auditEvent.fileId, pending.fileId));
    expect(events.map((event) => event.action)).toContain("file.sweep_reject");
  });

  it("searches files by name, folder path and tag through FTS5 in D1", async () => {
    const owner = await signUp(local.urls[0]!);
    const ticket = await owner.call<{ fileId: string; key: string }>("files.createUpload", {
      filename: "beach sunset.jpg",
      contentType: "image/jpeg",
      size: 10,
      folderPath: "Trips/Crete",
    });
    expect(ticket.key).not.toMatch(/Trips|Crete/);
    await owner.call("files.update", { fileId: ticket.fileId, tags: ["Summer"] });
    const found = async (query: string) =>
      (await owner.call<{ items: { id: string }[] }>("files.search", { query }, "query")).items.map(
        (f) => f.id,
      );
    expect(await found("beach")).toEqual([ticket.fileId]);
    expect(await found("trips cre")).toEqual([ticket.fileId]);
    expect(await found("summer")).toEqual([ticket.fileId]);
    expect(await found("winter")).toEqual([]);
    const trips = await owner.call<{ folders: { id: string; name: string }[] }>("folders.list", {}, "query");
    await owner.call("folders.rename", { folderId: trips.folders[0]!.id, name: "Voyages" });
    expect(await found("voyages")).toEqual([ticket.fileId]);
    expect(await found("trips")).toEqual([]);
  });

  it("never logs a signature, a bearer token or a secret", () => {
    const log = output.join("\n");
    expect(log).toContain('"msg":"request"');
    expect(log).not.toMatch(/X-Amz-Signature=[0-9a-f]/i);
    expect(log).not.toContain(client.token);
  });
});

describe("two Worker instances sharing one D1 database", () => {
  /** Calls files.createUpload on one instance; the tRPC error code on refusal. */
  async function announce(who: Client, instance: number, size: number): Promise<string> {
    const response = await fetch(`${local.urls[instance]}/trpc/files.createUpload`, {
      method: "POST",
      headers: { authorization: `Bearer ${who.token}`, "content-type": "application/json" },
      body: JSON.stringify({ filename: "shared.bin", contentType: "application/octet-stream", size }),
    });
    const body = (await response.json()) as { result?: unknown; error?: { data: { code: string } } };
    return body.result ? "OK" : body.error!.data.code;
  }

  it("holds the rate limit across both", async () => {
    // The limit counts per clock minute: a run that straddles a minute boundary is repeated once.
    for (let attempt = 0; ; attempt++) {
      const who = await signUp(local.urls[0]!);
      const minute = Math.floor(Date.now() / 60_000);
      const outcomes: string[] = [];
      for (let i = 0; i < RATE_LIMIT + 2; i++) outcomes.push(await announce(who, i % 2, 10));
      if (Math.floor(Date.now() / 60_000) !== minute && attempt === 0) continue;
      expect(outcomes.slice(0, RATE_LIMIT)).toEqual(Array(RATE_LIMIT).fill("OK"));
      // Each instance alone has seen only half the issuances: the refusals come from the shared count.
      expect(outcomes.slice(RATE_LIMIT)).toEqual(["TOO_MANY_REQUESTS", "TOO_MANY_REQUESTS"]);
      return;
    }
  });

  it("never attempts one webhook delivery from both at the same moment (the lease in D1)", async () => {
    const attempts: { id: string; start: number; end: number }[] = [];
    const receiver = createServer((req, res) => {
      const start = performance.now();
      req.resume();
      // Slow enough that two attempts of one delivery would overlap if both instances made them.
      setTimeout(() => {
        attempts.push({ id: String(req.headers["webhook-id"]), start, end: performance.now() });
        res.writeHead(204).end();
      }, 50);
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const who = await signUp(local.urls[0]!);
      const { id: ownerId } = await who.call<{ id: string }>("profile.get", undefined, "query");
      const port = (receiver.address() as AddressInfo).port;
      await who.call("webhooks.create", {
        url: `http://127.0.0.1:${port}/hook`,
        eventTypes: ["webhook.test"],
      });
      const now = new Date();
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        const draft = draftEvent("webhook.test", now, { ownerId, message: `n${i}` });
        ids.push(draft.id);
        await local.db.batch([...eventStatements(local.db, draft)]);
      }
      await Promise.all([local.scheduled(0), local.scheduled(1)]);
      const byId = new Map<string, number>();
      for (const a of attempts) byId.set(a.id, (byId.get(a.id) ?? 0) + 1);
      expect([...byId.keys()].sort()).toEqual([...ids].sort());
      expect([...byId.values()]).toEqual(Array(ids.length).fill(1));
      const states = await local.db.select({ status: webhookDelivery.status }).from(webhookDelivery);
      expect(states.every((d) => d.status === "delivered")).toBe(true);
    } finally {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it("holds the quota across both", async () => {
    const who = await signUp(local.urls[1]!);
    expect(await announce(who, 0, 600_000)).toBe("OK");
    expect(await announce(who, 1, 600_000)).toBe("PAYLOAD_TOO_LARGE");
    expect(await announce(who, 1, QUOTA - 600_000)).toBe("OK");
    expect(await announce(who, 0, 1)).toBe("PAYLOAD_TOO_LARGE");
  });
});

describe("a misconfigured Worker", () => {
  // The entry is plain Web-standard code: called directly, it answers as workerd would run it.
  const request = () => new Request("https://signet.example.workers.dev/trpc/health");

  it("names the missing S3 endpoint", async () => {
    const response = await worker.fetch(request(), {});
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("S3_ENDPOINT");
  });

  it("names DATABASE_URL when neither D1 nor a remote libSQL is configured", async () => {
    const env = {
      S3_ENDPOINT: "https://account.r2.cloudflarestorage.com",
      S3_ACCESS_KEY_ID: "key",
      S3_SECRET_ACCESS_KEY: "secret",
      BETTER_AUTH_SECRET: "x".repeat(32),
    };
    const response = await worker.fetch(request(), env);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).toContain("DATABASE_URL");
    expect(text).not.toContain("secret");
  });

  it("names a bad setting with the variable from the bindings", async () => {
    const response = await worker.fetch(request(), { UPLOAD_URL_TTL: "forever" });
    expect(await response.text()).toContain("UPLOAD_URL_TTL");
  });
});
