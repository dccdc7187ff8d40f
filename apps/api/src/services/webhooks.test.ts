/**
 * Webhook delivery against real receivers on port 0: signatures checked by the `standardwebhooks` reference
 * library (an oracle nobody here wrote), receivers that fail in each way a network can, two deliverers on one
 * database file, and a delivery whose deliverer died holding its lease.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { closeDb, createDb, webhookDelivery, webhookEndpoint } from "@signet/db";
import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Signet } from "../signet.ts";
import {
  type BackgroundInstance,
  createHarness,
  type Harness,
  type TestUser,
  uploadText,
} from "../testing/harness.ts";
import { draftEvent, eventStatements, type SignetEvent } from "./events.ts";
import { deliverDue } from "./webhook-delivery.ts";
import { refuseWebhookUrl } from "./webhook-url.ts";

type Behaviour = "ok" | "500" | "hang" | "reset" | "slow" | "410" | "redirect";

interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  start: number;
  end: number;
}

/** A receiver that answers each request with the next behaviour of its script (then the last one again). */
async function receiver(script: Behaviour[], slowMs = 150) {
  const received: Received[] = [];
  let n = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const start = performance.now();
      const behaviour = script[Math.min(n++, script.length - 1)]!;
      const entry: Received = {
        id: String(req.headers["webhook-id"]),
        timestamp: String(req.headers["webhook-timestamp"]),
        signature: String(req.headers["webhook-signature"]),
        body: Buffer.concat(chunks).toString(),
        start,
        end: start,
      };
      received.push(entry);
      const answer = (status: number, headers: Record<string, string> = {}) => {
        entry.end = performance.now();
        res.writeHead(status, headers).end();
      };
      if (behaviour === "ok") answer(204);
      else if (behaviour === "500") answer(500);
      else if (behaviour === "410") answer(410);
      else if (behaviour === "redirect") answer(302, { location: "http://127.0.0.1:1/elsewhere" });
      else if (behaviour === "reset") req.socket.destroy();
      else if (behaviour === "slow") setTimeout(() => answer(200), slowMs);
      // "hang": never answers; the attempt's timeout ends it.
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let h: Harness;
let instance: BackgroundInstance;
let signet: Signet;
let alice: TestUser;

/** Waits for the first attempts started after commits (what Workers' waitUntil would keep alive). */
const firstAttempts = () => instance.settled();

beforeAll(async () => {
  h = await createHarness({ webhooks: { allowPrivate: true, logDays: 14, timeoutMs: 400 } });
  instance = h.withBackground();
  signet = instance.signet;
  alice = await h.signUp();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

const as = (user: TestUser) => instance.caller(user);

async function uploadReady(user: TestUser, text: string) {
  const file = await uploadText(as(user), text);
  await firstAttempts();
  return file.id;
}

describe("webhook endpoints", () => {
  it("shows the secret once, lists without it, and refuses unsafe URLs naming url", async () => {
    await using r = await receiver(["ok"]);
    const bob = await h.signUp();
    const created = await as(bob).webhooks.create({ url: r.url, eventTypes: ["file.ready"] });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const listed = await as(bob).webhooks.list();
    expect(listed.items.map((e) => e.id)).toEqual([created.id]);
    expect(JSON.stringify(listed)).not.toContain(created.secret);

    // The shipped default: no private receivers and https only, refused over REST as a 400 naming `url`.
    await using strict = await createHarness();
    const carol = await strict.signUp();
    for (const url of [
      r.url,
      "https://127.0.0.1/x",
      "https://user:pw@example.com/x",
      `https://e.com/${"a".repeat(2100)}`,
    ]) {
      const res = await strict.app.request("/api/webhooks", {
        method: "POST",
        headers: { authorization: `Bearer ${carol.token}`, "content-type": "application/json" },
        body: JSON.stringify({ url }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { field?: string }).field).toBe("url");
    }
  });

  it("refuses every private, loopback and link-local address a host resolves to", async () => {
    const policy = { allowPrivate: false };
    const resolvingTo = (address: string) => async () => [address];
    for (const address of [
      "10.0.0.5",
      "192.168.1.1",
      "169.254.169.254",
      "::1",
      "fd00::1",
      "::ffff:127.0.0.1",
    ]) {
      expect(await refuseWebhookUrl("https://hooks.example.com/x", policy, resolvingTo(address))).toMatch(
        /must not resolve/,
      );
    }
    expect(
      await refuseWebhookUrl("https://hooks.example.com/x", policy, resolvingTo("93.184.215.14")),
    ).toBeNull();
    expect(await refuseWebhookUrl("https://localhost/x", policy)).toMatch(/localhost/);
    expect(await refuseWebhookUrl("http://hooks.example.com/x", policy)).toBe("must use https");
  });
});

describe("webhook delivery", () => {
  it("signs per Standard Webhooks: the reference library verifies it; a tampered body or old timestamp fails", async () => {
    await using r = await receiver(["ok"]);
    const created = await as(alice).webhooks.create({ url: r.url });
    const fileId = await uploadReady(alice, "signed event");
    const got = r.received.find((x) => JSON.parse(x.body).data?.fileId === fileId)!;
    expect(got).toBeDefined();
    const headers = {
      "webhook-id": got.id,
      "webhook-timestamp": got.timestamp,
      "webhook-signature": got.signature,
    };
    const wh = new Webhook(created.secret);
    expect(wh.verify(got.body, headers)).toMatchObject({ id: got.id, type: "file.ready", data: { fileId } });
    expect(() => wh.verify(got.body.replace("note.txt", "evil.txt"), headers)).toThrow();
    const old = String(Number(got.timestamp) - 3600);
    expect(() => wh.verify(got.body, { ...headers, "webhook-timestamp": old })).toThrow();
    await as(alice).webhooks.delete({ id: created.id });
  });

  it("sends a test event on demand, and rotation signs with both secrets", async () => {
    await using r = await receiver(["ok"]);
    const created = await as(alice).webhooks.create({ url: r.url, eventTypes: ["file.deleted"] });
    const rotated = await as(alice).webhooks.rotateSecret({ id: created.id });
    expect(rotated.secret).not.toBe(created.secret);
    const sent = await as(alice).webhooks.test({ id: created.id });
    expect(sent.delivered).toBe(true);
    const [got] = r.received;
    const headers = {
      "webhook-id": got!.id,
      "webhook-timestamp": got!.timestamp,
      "webhook-signature": got!.signature,
    };
    expect(got?.signature.split(" ")).toHaveLength(2);
    expect(new Webhook(created.secret).verify(got!.body, headers)).toMatchObject({ type: "webhook.test" });
    expect(new Webhook(rotated.secret).verify(got!.body, headers)).toMatchObject({ id: sent.eventId });
    await as(alice).webhooks.delete({ id: created.id });
  });
  it("retries through 500, a hang past the timeout, a reset and a slow answer: delivered once more, one event id", async () => {
    await using r = await receiver(["500", "hang", "reset", "slow"]);
    const created = await as(alice).webhooks.create({ url: r.url, eventTypes: ["file.ready"] });
    const fileId = await uploadReady(alice, "flaky receiver");
    for (let i = 0; i < 3; i++) {
      h.advance(3 * 3600);
      await signet.sweep({ budgetMs: 10_000 });
    }
    expect(r.received).toHaveLength(4);
    expect(new Set(r.received.map((x) => x.id)).size).toBe(1);
    expect(JSON.parse(r.received[0]!.body).data.fileId).toBe(fileId);
    const log = await as(alice).webhooks.deliveries({ id: created.id });
    expect(log.items).toHaveLength(1);
    expect(log.items[0]).toMatchObject({ status: "delivered", attempts: 4, lastStatus: 200 });
    const errors = log.items[0]!.attemptLog.map((a) => a.error);
    expect(errors).toContain("answered 500");
    expect(errors).toContain("no answer within 400 ms");
    expect(errors.filter((e) => e === null)).toHaveLength(1);
    // Replay: the same event id again.
    await as(alice).webhooks.replay({ id: created.id, eventId: log.items[0]!.eventId });
    await signet.sweep({ budgetMs: 10_000 });
    expect(r.received.map((x) => x.id)).toEqual(Array(5).fill(r.received[0]!.id));
    await as(alice).webhooks.delete({ id: created.id });
  });

  it("follows no redirect, and a 410 disables the endpoint", async () => {
    await using r = await receiver(["redirect", "410"]);
    const created = await as(alice).webhooks.create({ url: r.url });
    await uploadReady(alice, "gone receiver");
    const [first] = (await as(alice).webhooks.deliveries({ id: created.id })).items;
    expect(first).toMatchObject({ status: "pending", lastStatus: 302 });
    h.advance(60);
    await signet.sweep({ budgetMs: 10_000 });
    expect(r.received).toHaveLength(2);
    const [endpoint] = await h.db.select().from(webhookEndpoint).where(eq(webhookEndpoint.id, created.id));
    expect(endpoint).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/410/) });
    expect((await as(alice).webhooks.deliveries({ id: created.id })).items[0]?.status).toBe("dead");
    await as(alice).webhooks.delete({ id: created.id });
  });

  it("two deliverers on one database file never attempt one delivery at the same time", async () => {
    await using r = await receiver(["slow"], 60);
    const created = await as(alice).webhooks.create({ url: r.url, eventTypes: ["webhook.test"] });
    for (let i = 0; i < 20; i++) {
      const draft = draftEvent("webhook.test", h.now(), { ownerId: alice.id, message: `n${i}` });
      await h.db.batch([...eventStatements(h.db, draft)]);
    }
    const other = await createDb({ url: `file:${join(h.dir, "signet.db")}` });
    try {
      const config = { webhooks: { allowPrivate: true, logDays: 14, timeoutMs: 2000 } };
      const one = { db: h.db, clock: h.now, logger: () => {}, config };
      const two = { db: other, clock: h.now, logger: () => {}, config };
      await Promise.all([
        deliverDue(one, { budgetMs: 20_000, concurrency: 4 }),
        deliverDue(two, { budgetMs: 20_000, concurrency: 4 }),
      ]);
    } finally {
      closeDb(other);
    }
    const byId = new Map<string, Received[]>();
    for (const x of r.received) byId.set(x.id, [...(byId.get(x.id) ?? []), x]);
    expect(byId.size).toBe(20);
    for (const attempts of byId.values()) expect(attempts).toHaveLength(1);
    await as(alice).webhooks.delete({ id: created.id });
  });

  it("checks the URL again at each attempt: a host that now resolves privately gets nothing", async () => {
    await using r = await receiver(["ok"]);
    const created = await as(alice).webhooks.create({ url: r.url, eventTypes: ["webhook.test"] });
    const draft = draftEvent("webhook.test", h.now(), { ownerId: alice.id, message: "rebind" });
    await h.db.batch([...eventStatements(h.db, draft)]);
    // The same endpoint, delivered by an instance that allows no private receivers.
    const strict = { webhooks: { allowPrivate: false, logDays: 14, timeoutMs: 400 } };
    await deliverDue({ db: h.db, clock: h.now, logger: () => {}, config: strict }, { budgetMs: 5000 });
    expect(r.received).toHaveLength(0);
    const [delivery] = await h.db.select().from(webhookDelivery).where(eq(webhookDelivery.eventId, draft.id));
    expect(delivery).toMatchObject({
      status: "pending",
      attempts: 1,
      lastError: expect.stringMatching(/^url refused: must use https/),
    });
    await as(alice).webhooks.delete({ id: created.id });
  });

  it("a delivery whose deliverer died holding the lease is attempted again once the lease lapses", async () => {
    await using r = await receiver(["ok"]);
    const created = await as(alice).webhooks.create({ url: r.url, eventTypes: ["webhook.test"] });
    const draft = draftEvent("webhook.test", h.now(), { ownerId: alice.id, message: "crash" });
    await h.db.batch([...eventStatements(h.db, draft)]);
    // What a kill -9 mid-attempt leaves: the lease taken, no outcome recorded.
    await h.db
      .update(webhookDelivery)
      .set({ leaseOwner: "dead-instance", leaseUntil: new Date(h.now().getTime() + 5_400) })
      .where(eq(webhookDelivery.eventId, draft.id));
    await signet.sweep({ budgetMs: 5000 });
    expect(r.received).toHaveLength(0);
    h.advance(6);
    await signet.sweep({ budgetMs: 5000 });
    expect(r.received.map((x) => x.id)).toEqual([draft.id]);
    await as(alice).webhooks.delete({ id: created.id });
  });
});

describe("typed hooks", () => {
  it("are called after commit with their type's event; a throwing hook is logged, never fatal", async () => {
    const ready: SignetEvent<"file.ready">[] = [];
    const embedded = h.withBackground({
      hooks: {
        onFileReady: (event) => {
          ready.push(event);
        },
        onFileDeleted: () => {
          throw new Error("the embedder's bug");
        },
      },
    });
    const caller = embedded.caller(alice);
    const hooked = await uploadText(caller, "hooked", "hooked.txt");
    await embedded.settled();
    expect(ready).toHaveLength(1);
    expect(ready[0]?.data).toMatchObject({ fileId: hooked.id, filename: "hooked.txt", plan: "single" });
    await expect(caller.files.delete({ fileId: hooked.id })).resolves.toEqual({ ok: true });
    await embedded.settled();
    expect(h.logs.some((l) => l.msg === "event hook failed" && l.hook === "onFileDeleted")).toBe(true);
  });
});
