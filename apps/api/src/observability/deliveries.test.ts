/**
 * The series issue #26 added once the events, Uppy and profile image code landed: webhook delivery attempts by
 * outcome, their lag and the delivery gauges; profile image verifications; the URLs Uppy's routes sign. Real
 * receivers on port 0, the real local-s3, read back through /metrics.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { webhookDelivery } from "@signet/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverDue } from "../services/webhook-delivery.ts";
import type { Signet } from "../signet.ts";
import {
  type BackgroundInstance,
  browserPut,
  createHarness,
  type Harness,
  PUBLIC_URL,
  type TestUser,
  uploadText,
} from "../testing/harness.ts";
import { png } from "../testing/images.ts";
import { samples } from "./test-flows.ts";

type Behaviour = "ok" | "500" | "410" | "hang";

/** A receiver answering each POST with the next behaviour of its script (then the last one again). */
async function receiver(script: Behaviour[]) {
  let n = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const behaviour = script[Math.min(n++, script.length - 1)]!;
      if (behaviour === "ok") res.writeHead(204).end();
      else if (behaviour !== "hang") res.writeHead(Number(behaviour)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let h: Harness;
let instance: BackgroundInstance;
let signet: Signet;

beforeAll(async () => {
  h = await createHarness({
    webhooks: { allowPrivate: true, logDays: 14, timeoutMs: 300 },
    maxAvatarBytes: 4096,
    observability: { metricsEnabled: true, doctorIntervalSeconds: 0 },
  });
  // A `background` seam, so the test can await each first attempt.
  instance = h.withBackground();
  signet = instance.signet;
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

async function scrape(): Promise<Map<string, number>> {
  const response = await signet.app.request("/metrics", {}, { address: "127.0.0.1" });
  expect(response.status).toBe(200);
  return samples(await response.text());
}

const attempts = (got: Map<string, number>, outcome: string) =>
  got.get(`signet_webhook_attempts_total{outcome="${outcome}"}`);

const as = (user: TestUser) => instance.caller(user);

/** A user with an endpoint at `url` for file.ready, and one file made ready (its first attempt awaited). */
async function readyEventFor(url: string): Promise<{ endpointId: string; eventId: string }> {
  const user = await h.signUp();
  const endpoint = await as(user).webhooks.create({ url, eventTypes: ["file.ready"] });
  await uploadText(as(user), "an event\n", "e.txt");
  await instance.settled();
  const [delivery] = await h.db
    .select({ eventId: webhookDelivery.eventId })
    .from(webhookDelivery)
    .where(eq(webhookDelivery.endpointId, endpoint.id));
  if (!delivery) throw new Error("no delivery was made for the event");
  return { endpointId: endpoint.id, eventId: delivery.eventId };
}

describe("webhook delivery series", () => {
  it("counts a failed first attempt, shows it pending and overdue, then its delivery and lag", async () => {
    await using r = await receiver(["500", "ok"]);
    const before = await scrape();
    const { eventId } = await readyEventFor(r.url);
    let got = await scrape();
    expect(attempts(got, "failed")).toBe((attempts(before, "failed") ?? 0) + 1);
    expect(got.get("signet_webhook_deliveries_pending")).toBe(1);
    expect(got.get("signet_webhook_oldest_due_seconds")).toBe(0); // the retry is not due yet (5 s ± 20 %)

    h.advance(20);
    got = await scrape();
    const overdue = got.get("signet_webhook_oldest_due_seconds") ?? 0;
    expect(overdue).toBeGreaterThanOrEqual(14);
    expect(overdue).toBeLessThanOrEqual(16);

    await deliverDue(signet.deps, { budgetMs: 5000, eventIds: [eventId] });
    got = await scrape();
    expect(attempts(got, "delivered")).toBe((attempts(before, "delivered") ?? 0) + 1);
    expect(got.get("signet_webhook_deliveries_pending")).toBe(0);
    expect(got.get("signet_webhook_oldest_due_seconds")).toBe(0);
    // The injected clock moved 20 s between the event's commit and its delivery.
    expect(got.get("signet_webhook_delivery_lag_seconds_count")).toBe(1);
    expect(got.get("signet_webhook_delivery_lag_seconds_sum")).toBe(20);
    expect(got.get('signet_webhook_delivery_lag_seconds_bucket{le="15"}')).toBe(0);
    expect(got.get('signet_webhook_delivery_lag_seconds_bucket{le="60"}')).toBe(1);
  });

  it("tells a timeout, a 410 that disables the endpoint, and a dead-lettered delivery apart", async () => {
    const before = await scrape();
    await using hanging = await receiver(["hang"]);
    await readyEventFor(hanging.url);
    await using gone = await receiver(["410"]);
    await readyEventFor(gone.url);
    await using failing = await receiver(["500"]);
    const last = await readyEventFor(failing.url);
    // The last retry: one more failure dead-letters it.
    await h.db
      .update(webhookDelivery)
      .set({ attempts: 7, nextAttemptAt: h.now() })
      .where(eq(webhookDelivery.endpointId, last.endpointId));
    await deliverDue(signet.deps, { budgetMs: 5000, eventIds: [last.eventId] });

    const got = await scrape();
    const delta = (outcome: string) => (attempts(got, outcome) ?? 0) - (attempts(before, outcome) ?? 0);
    expect(delta("timeout")).toBe(1);
    expect(delta("disabled")).toBe(1);
    expect(delta("failed")).toBe(1);
    expect(delta("dead")).toBe(1);
    expect(delta("delivered")).toBe(0);
    // Still pending: the timed-out delivery only (the 410's and the dead one are settled).
    expect(got.get("signet_webhook_deliveries_pending")).toBe(1);
  });
});

describe("profile image verifications and Uppy issuance", () => {
  it("counts profile image verifications, ready and refused, in signet_verifications_total", async () => {
    const user = await h.signUp();
    const upload = async (bytes: Uint8Array, contentType: string) => {
      const signed = await as(user).profile.createImageUpload({ contentType, fileSize: bytes.length });
      expect((await browserPut(signed.presignedUrl, signed.headers, bytes)).status).toBe(200);
      return as(user)
        .profile.completeImageUpload()
        .then(
          () => "ok",
          (error: { code?: string }) => error.code,
        );
    };
    const before = await scrape();
    const image = png(3);
    expect(await upload(image, "image/png")).toBe("ok");
    expect(await upload(png(4), "image/jpeg")).toBe("BAD_REQUEST");
    const got = await scrape();
    const delta = (name: string) => (got.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(delta('signet_verifications_total{outcome="ready"}')).toBe(1);
    expect(delta('signet_verifications_total{outcome="type_mismatch"}')).toBe(1);
    expect(delta("signet_verified_bytes_total")).toBe(image.length);
  });

  it("counts the upload and part URLs Uppy's routes sign, and their refusals", async () => {
    const user = await h.signUp();
    const uppy = (method: string, path: string, body?: unknown) =>
      signet.app.request(`/api/uppy/s3${path}`, {
        method,
        headers: { cookie: user.cookie, origin: PUBLIC_URL, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const before = await scrape();
    const size = 5;
    const meta = { name: "u.txt", type: "text/plain", size, partSize: 16 * 1024 ** 2 };
    const created = await uppy("POST", "/multipart", {
      filename: "u.txt",
      type: "text/plain",
      metadata: meta,
    });
    expect(created.status).toBe(200);
    const { uploadId } = (await created.json()) as { uploadId: string };
    expect((await uppy("GET", `/multipart/${uploadId}/1`)).status).toBe(200);
    // No size in the meta: refused before anything is signed.
    const refused = await uppy("POST", "/multipart", { filename: "u.txt", type: "text/plain", metadata: {} });
    expect(refused.status).toBe(400);
    // Listing parts signs nothing.
    expect((await uppy("GET", `/multipart/${uploadId}`)).status).toBe(200);

    const got = await scrape();
    const delta = (kind: string, outcome: string) => {
      const name = `signet_urls_issued_total{kind="${kind}",outcome="${outcome}"}`;
      return (got.get(name) ?? 0) - (before.get(name) ?? 0);
    };
    expect(delta("upload", "issued")).toBe(1);
    expect(delta("part", "issued")).toBe(1);
    expect(delta("upload", "refused")).toBe(1);
  });
});
