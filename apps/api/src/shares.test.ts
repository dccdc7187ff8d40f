import { shareLink } from "@signet/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SignetApp } from "./app.ts";
import { GUEST_UPLOAD_LIMITS, LINK_PASSWORD_LIMITS } from "./services/limits.ts";
import { SHARE_DOWNLOAD_TTL } from "./services/share-links.ts";
import {
  browserPut,
  createHarness,
  type Harness,
  ok,
  PUBLIC_URL,
  sha256Base64,
  type TestUser,
} from "./testing/harness.ts";

let h: Harness;
let alice: TestUser;
let bob: TestUser;
let fileId: string;
const bytes = new TextEncoder().encode("hello from a shared file\n");

let addresses = 0;
const newAddress = () => `198.51.100.${++addresses}`;

beforeAll(async () => {
  h = await createHarness();
  [alice, bob] = await Promise.all([h.signUp(), h.signUp()]);
  fileId = await upload(alice, "report 2026.txt", bytes);
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

async function upload(user: TestUser, filename: string, body: Uint8Array): Promise<string> {
  const ticket = ok<{ fileId: string; url: string; headers: Record<string, string> }>(
    await h.trpc(
      "files.createUpload",
      { filename, contentType: "text/plain", size: body.length, checksumSha256: await sha256Base64(body) },
      { token: user.token },
    ),
  );
  expect((await browserPut(ticket.url, ticket.headers, body)).status).toBe(200);
  ok(await h.trpc("files.completeUpload", { fileId: ticket.fileId }, { token: user.token }));
  return ticket.fileId;
}

type Created = { id: string; url: string; status: string; downloads: number };

async function share(input: Record<string, unknown> = {}, user = alice): Promise<Created> {
  return ok<Created>(await h.trpc("shares.create", { fileId, ...input }, { token: user.token }));
}

/** The link's path on Signet's origin (`/s/<token>`). */
const pathOf = (url: string) => new URL(url).pathname;

function get(app: SignetApp, url: string, headers: Record<string, string> = {}, address = newAddress()) {
  return app.request(pathOf(url), { headers }, { address });
}

function postPassword(url: string, password: string, address: string, accept = "text/html") {
  return h.app.request(
    pathOf(url),
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept },
      body: new URLSearchParams({ password }).toString(),
    },
    { address },
  );
}

describe("limits", () => {
  it("tells clients the password limits, the guest upload limits and the link lifetime cap", async () => {
    expect(await h.caller(null).limits()).toMatchObject({
      shareLinkMaxTtl: null,
      linkPasswordLimits: LINK_PASSWORD_LIMITS,
      guestUploadLimits: GUEST_UPLOAD_LIMITS,
    });
  });
});

describe("shares.create", () => {
  it("answers the link once, on Signet's origin, and stores only the token's hash", async () => {
    const link = await share();
    expect(link.url).toMatch(new RegExp(`^${PUBLIC_URL}/s/[A-Za-z0-9_-]{43}$`));
    const token = link.url.split("/s/")[1]!;
    const [row] = await h.db.select().from(shareLink).where(eq(shareLink.id, link.id));
    expect(row?.tokenHash).not.toContain(token);
    expect(JSON.stringify(row)).not.toContain(token);
  });

  it("refuses another user's file as NOT_FOUND and bad input naming the field", async () => {
    expect(await h.trpc("shares.create", { fileId }, { token: bob.token })).toMatchObject({
      ok: false,
      code: "NOT_FOUND",
    });
    const bad = await h.app.request("/api/shares", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${alice.token}` },
      body: JSON.stringify({ fileId, maxDownloads: 0 }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: "maxDownloads" });
  });

  it("keeps links within SHARE_LINK_MAX_TTL when the operator sets one", async () => {
    await using capped = await createHarness({ shareLinkMaxTtl: 3600 });
    const u = await capped.signUp();
    const ticket = ok<{ fileId: string; url: string; headers: Record<string, string> }>(
      await capped.trpc(
        "files.createUpload",
        { filename: "a.txt", contentType: "text/plain", size: 1 },
        { token: u.token },
      ),
    );
    await browserPut(ticket.url, ticket.headers, new Uint8Array([65]));
    ok(await capped.trpc("files.completeUpload", { fileId: ticket.fileId }, { token: u.token }));
    for (const expiresIn of [null, 3601]) {
      const refused = await capped.trpc(
        "shares.create",
        { fileId: ticket.fileId, expiresIn },
        { token: u.token },
      );
      expect(refused).toMatchObject({ ok: false, code: "BAD_REQUEST" });
      if (!refused.ok) expect(refused.message).toMatch(/^expiresIn: .*SHARE_LINK_MAX_TTL/);
    }
    const made = ok<{ expiresAt: string }>(
      await capped.trpc("shares.create", { fileId: ticket.fileId }, { token: u.token }),
    );
    expect(Date.parse(made.expiresAt) - capped.now().getTime()).toBe(3600_000);
  });
});

describe("GET /s/<token>", () => {
  it("redirects to a GET of at most 60 s that downloads the file under its name, and that dies after", async () => {
    const link = await share();
    const res = await get(h.app, link.url);
    expect(res.status).toBe(302);
    const target = res.headers.get("location")!;
    const url = new URL(target);
    expect(Number(url.searchParams.get("X-Amz-Expires"))).toBeLessThanOrEqual(SHARE_DOWNLOAD_TTL);
    const fetched = await fetch(target);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get("content-disposition")).toContain("attachment");
    expect(fetched.headers.get("content-disposition")).toContain("report%202026.txt");
    expect(new Uint8Array(await fetched.arrayBuffer())).toEqual(bytes);

    h.advance(SHARE_DOWNLOAD_TTL + 1);
    expect((await fetch(target)).status).toBe(403);
  });

  it("counts each download and shows the owner count, last use and an audit row with address and user agent", async () => {
    const link = await share();
    const address = newAddress();
    await get(h.app, link.url, { "user-agent": "curl/8.5" }, address);
    const listed = ok<{ items: { id: string; downloads: number; lastUsedAt: string | null }[] }>(
      await h.trpc("shares.list", { fileId }, { token: alice.token }, "query"),
    );
    expect(listed.items.find((l) => l.id === link.id)).toMatchObject({
      downloads: 1,
      lastUsedAt: h.now().toISOString(),
    });
    const audit = ok<{ items: { action: string; detail: Record<string, unknown> }[] }>(
      await h.trpc("audit.list", {}, { token: alice.token }, "query"),
    );
    const event = audit.items.find((e) => e.action === "file.share_download" && e.detail.linkId === link.id);
    expect(event?.detail).toMatchObject({ address, userAgent: "curl/8.5", filename: "report 2026.txt" });
    expect(JSON.stringify(audit)).not.toContain(link.url.split("/s/")[1]);
    // Nobody else sees alice's links.
    const bobs = ok<{ items: unknown[] }>(await h.trpc("shares.list", {}, { token: bob.token }, "query"));
    expect(bobs.items).toEqual([]);
  });

  it("never logs the token", async () => {
    const link = await share();
    await get(h.app, link.url);
    expect(JSON.stringify(h.logs)).not.toContain(link.url.split("/s/")[1]);
  });

  it("answers 410 at the next request after revocation, and 410 once expired; 404 for an unknown token", async () => {
    const link = await share();
    expect((await get(h.app, link.url)).status).toBe(302);
    ok(await h.trpc("shares.revoke", { id: link.id }, { token: alice.token }));
    const revoked = await get(h.app, link.url);
    expect(revoked.status).toBe(410);
    expect(await revoked.json()).toMatchObject({ reason: "revoked" });
    expect(await h.trpc("shares.revoke", { id: link.id }, { token: bob.token })).toMatchObject({
      ok: false,
      code: "NOT_FOUND",
    });

    const short = await share({ expiresIn: 60 });
    expect((await get(h.app, short.url)).status).toBe(302);
    h.advance(60);
    const expired = await get(h.app, short.url, { accept: "text/html" });
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain("Link expired");

    expect((await get(h.app, `${PUBLIC_URL}/s/${"A".repeat(43)}`)).status).toBe(404);
    expect((await get(h.app, `${PUBLIC_URL}/s/nope`)).status).toBe(404);
  });

  it("gives exactly 5 redirects to 50 parallel requests for a link allowing 5, across two instances", async () => {
    const link = await share({ maxDownloads: 5 });
    using second = await h.secondInstance();
    const instances = [h.app, second];
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => get(instances[i % 2]!, link.url)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 302)).toHaveLength(5);
    expect(statuses.filter((s) => s === 410)).toHaveLength(45);
    const [row] = await h.db.select().from(shareLink).where(eq(shareLink.id, link.id));
    expect(row?.downloads).toBe(5);
  });

  it("shows browsers a landing page, and counts nothing until Download is followed", async () => {
    const link = await share({ maxDownloads: 1 });
    const landing = await get(h.app, link.url, { accept: "text/html" });
    expect(landing.status).toBe(200);
    // The password form's answer is a redirect to the bucket, which form-action also governs.
    const formAction = /form-action ([^;]+)/.exec(landing.headers.get("content-security-policy") ?? "")?.[1];
    expect(formAction).toContain(new URL(h.s3.url).origin);
    expect(landing.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await landing.text();
    expect(html).toContain("report 2026.txt");
    expect(html).toContain("25 bytes");
    const href = /href="([^"]+\/download)"/.exec(html)?.[1];
    expect(href).toBe(`${pathOf(link.url)}/download`);
    const [before] = await h.db.select().from(shareLink).where(eq(shareLink.id, link.id));
    expect(before?.downloads).toBe(0);
    expect((await h.app.request(href!, {}, { address: newAddress() })).status).toBe(302);
    const usedUp = await h.app.request(href!, {}, { address: newAddress() });
    expect(usedUp.status).toBe(410);
    expect(await usedUp.text()).toContain("Link used up");
  });

  it("answers HEAD without counting, and 410 once the file is deleted", async () => {
    const otherId = await upload(alice, "short-lived.txt", bytes);
    const link = await share({ fileId: otherId });
    const head = await h.app.request(pathOf(link.url), { method: "HEAD" }, { address: newAddress() });
    expect(head.status).toBe(200);
    const [row] = await h.db.select().from(shareLink).where(eq(shareLink.id, link.id));
    expect(row?.downloads).toBe(0);
    ok(await h.trpc("files.delete", { fileId: otherId }, { token: alice.token }));
    const gone = await get(h.app, link.url);
    expect(gone.status).toBe(410);
    expect(await gone.json()).toMatchObject({ reason: "file_gone" });
  });

  it("needs a session for a signed-in-only link", async () => {
    const link = await share({ signedInOnly: true });
    expect((await get(h.app, link.url)).status).toBe(401);
    expect((await get(h.app, link.url, { authorization: `Bearer ${bob.token}` })).status).toBe(302);
  });
});

describe("password links", () => {
  it("asks for the password, refuses a wrong one, and hands out the file for the right one", async () => {
    const link = await share({ password: "open sesame" });
    const landing = await get(h.app, link.url, { accept: "text/html" });
    const html = await landing.text();
    expect(html).toContain('name="password"');
    expect(html).not.toContain("report 2026.txt");
    expect((await get(h.app, link.url)).status).toBe(401);
    const wrong = await postPassword(link.url, "not it", newAddress());
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("Wrong password");
    const right = await postPassword(link.url, "open sesame", newAddress());
    expect(right.status).toBe(302);
    expect((await fetch(right.headers.get("location")!)).status).toBe(200);
  });

  it("answers 429 after the documented tries from one address, and the right password works after the window", async () => {
    const link = await share({ password: "open sesame" });
    const from = newAddress();
    const { max, windowSeconds } = LINK_PASSWORD_LIMITS.perAddress;
    for (let i = 0; i < max; i++) expect((await postPassword(link.url, `guess ${i}`, from)).status).toBe(401);
    const refused = await postPassword(link.url, "open sesame", from, "application/json");
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ reason: "rate_limited" });
    h.advance(windowSeconds);
    expect((await postPassword(link.url, "open sesame", from)).status).toBe(302);
  });

  it("limits the tries per link from any number of addresses", async () => {
    const link = await share({ password: "open sesame" });
    const { max } = LINK_PASSWORD_LIMITS.perLink;
    for (let i = 0; i < max; i++)
      expect((await postPassword(link.url, `guess ${i}`, newAddress())).status).toBe(401);
    expect((await postPassword(link.url, "open sesame", newAddress())).status).toBe(429);
  });
});
