import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { auditEvent, session } from "@signet/db";
import { createSigner } from "@signet/signer";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import { spaHandler } from "./http/static.ts";
import {
  AUTH_SECRET,
  browserPut,
  createHarness,
  type Harness,
  ok,
  PUBLIC_URL,
  type TestUser,
} from "./testing/harness.ts";
import { png } from "./testing/images.ts";

let h: Harness;
let u: TestUser;

beforeAll(async () => {
  h = await createHarness();
  u = await h.signUp();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

type Upload = { fileId: string; key: string; url: string; headers: Record<string, string> };

describe("HTTP hardening", () => {
  it("answers CORS only for PUBLIC_URL", async () => {
    const preflight = (origin: string) =>
      h.app.request("/trpc/files.createUpload", {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
    const good = await preflight(PUBLIC_URL);
    expect(good.headers.get("access-control-allow-origin")).toBe(PUBLIC_URL);
    expect(good.headers.get("access-control-allow-credentials")).toBe("true");
    // Any other origin, "null" (sandboxed frames, data: pages) included, gets no Access-Control-* header at all.
    for (const origin of ["https://evil.example", "null"]) {
      const evil = await preflight(origin);
      expect([...evil.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
      const read = await h.app.request("/trpc/health", { headers: { origin } });
      expect(read.status).toBe(200);
      expect([...read.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
    }
  });

  it("sends security headers with a CSP that lets the SPA reach the S3 endpoint", async () => {
    const res = await h.app.request("/trpc/health");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    const s3 = new URL(h.s3.url).origin;
    expect(csp).toContain(`connect-src 'self' ${s3}`);
    expect(csp).toContain(`img-src 'self' data: blob: ${s3}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok(await h.trpc("health", undefined, null, "query"))).toEqual({
      ok: true,
      storage: "local",
      database: "file",
      checks: { database: { ok: true }, bucket: { ok: true } },
    });
  });

  it("leaves Better Auth's own POSTs to its origin check, which refuses a foreign origin", async () => {
    const res = await h.app.request("/api/auth/update-user", {
      method: "POST",
      headers: { cookie: u.cookie, origin: "https://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ name: "Hijacked" }),
    });
    expect(res.status).toBe(403);
    const me = ok<{ name: string }>(await h.trpc("profile.get", undefined, { token: u.token }, "query"));
    expect(me.name).not.toBe("Hijacked");
  });

  it("lets no cache keep an API answer carrying a signed URL", async () => {
    const up = ok<Upload>(
      await h.trpc(
        "files.createUpload",
        { filename: "c.txt", contentType: "text/plain", size: 1 },
        { token: u.token },
      ),
    );
    await browserPut(up.url, up.headers, new Uint8Array([1]));
    ok(await h.trpc("files.completeUpload", { fileId: up.fileId }, { token: u.token }));
    const input = encodeURIComponent(JSON.stringify({ fileId: up.fileId }));
    const get = await h.app.request(`/trpc/files.downloadUrl?input=${input}`, {
      headers: { cookie: u.cookie },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get("cache-control")).toBe("no-store");
    const rest = await h.app.request("/api/user/profile/image", {
      headers: { authorization: `Bearer ${u.token}` },
    });
    expect(rest.headers.get("cache-control")).toBe("no-store");
  });

  it("refuses JSON bodies over 64 KiB with 413", async () => {
    const res = await h.app.request("/trpc/files.createUpload", {
      method: "POST",
      headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json" },
      body: JSON.stringify({ filename: "x".repeat(70 * 1024), contentType: "text/plain", size: 1 }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: {
        code: expect.any(Number),
        data: { code: "PAYLOAD_TOO_LARGE", httpStatus: 413, path: "files.createUpload" },
      },
    });
  });

  it("logs an unexpected error with a request id and answers without internals", async () => {
    const up = ok<Upload>(
      await h.trpc(
        "files.createUpload",
        { filename: "a", contentType: "text/plain", size: 1 },
        { token: u.token },
      ),
    );
    // The real signer, pointed at a port nobody listens on: the storage is down.
    const deadSigner = createSigner({
      endpoint: "http://127.0.0.1:9",
      bucket: "signet",
      accessKeyId: h.s3Credentials.accessKeyId,
      secretAccessKey: h.s3Credentials.secretAccessKey,
    });
    const logs: unknown[] = [];
    const broken = createApp({ ...h.deps, storage: deadSigner, logger: (e) => logs.push(e) });
    const res = await broken.request("/trpc/files.completeUpload", {
      method: "POST",
      headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json" },
      body: JSON.stringify({ fileId: up.fileId }),
    });
    expect(res.status).toBe(500);
    const requestId = res.headers.get("x-request-id");
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toBe(`Internal error (request id ${requestId})`);
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|stack|at /);
    expect(logs).toContainEqual(expect.objectContaining({ level: "error", id: requestId }));
  });
});

describe("client address", () => {
  async function signUpAndUpload(trustProxy: boolean) {
    const app = createApp({ ...h.deps, config: { ...h.deps.config, trustProxy } });
    const forwarded = { "x-forwarded-for": "198.51.100.1, 203.0.113.7", "x-signet-client-ip": "192.0.2.66" };
    const signUp = await app.request("/api/auth/sign-up/email", {
      method: "POST",
      headers: { "content-type": "application/json", origin: PUBLIC_URL, ...forwarded },
      body: JSON.stringify({
        email: `ip-${trustProxy}-${Date.now()}@example.com`,
        password: "correct horse battery",
        name: "IP",
      }),
    });
    expect(signUp.status).toBe(200);
    const token = signUp.headers.get("set-auth-token");
    const res = await app.request("/api/uploads/pre-signed-url", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...forwarded },
      body: JSON.stringify({ filename: "ip.txt", contentType: "text/plain", size: 3 }),
    });
    const { fileId } = (await res.json()) as { fileId: string };
    const [event] = await h.db.select().from(auditEvent).where(eq(auditEvent.fileId, fileId));
    const userId = ((await signUp.json()) as { user: { id: string } }).user.id;
    const [row] = await h.db.select().from(session).where(eq(session.userId, userId));
    return { auditIp: event?.ip, sessionIp: row?.ipAddress };
  }

  it("ignores X-Forwarded-For (and a forged internal header) unless TRUST_PROXY says a proxy set it", async () => {
    const untrusted = await signUpAndUpload(false);
    // app.request has no socket, so there is no address to record at all.
    expect(untrusted.auditIp).toBeNull();
    expect(untrusted.sessionIp).not.toMatch(/198\.51\.100\.1|203\.0\.113\.7|192\.0\.2\.66/);
  });

  it("records the address the trusted proxy appended (the last X-Forwarded-For hop)", async () => {
    const trusted = await signUpAndUpload(true);
    expect(trusted.auditIp).toBe("203.0.113.7");
    expect(trusted.sessionIp).toBe("203.0.113.7");
  });
});

describe("audit user agent", () => {
  it("keeps a signature a client put in its User-Agent out of the audit trail", async () => {
    const res = await h.app.request("/api/uploads/pre-signed-url", {
      method: "POST",
      headers: {
        authorization: `Bearer ${u.token}`,
        "content-type": "application/json",
        "user-agent": "bot (+https://x.example/a?X-Amz-Signature=deadbeefcafe) Bearer abcdefghijkl",
      },
      body: JSON.stringify({ filename: "ua.txt", contentType: "text/plain", size: 1 }),
    });
    const { fileId } = (await res.json()) as { fileId: string };
    const [event] = await h.db.select().from(auditEvent).where(eq(auditEvent.fileId, fileId));
    expect(event?.userAgent).toMatch(/^bot /);
    expect(event?.userAgent).not.toMatch(/deadbeefcafe|abcdefghijkl/);
  });
});

describe("the built SPA", () => {
  it("serves files, index.html for client routes, never outside the dist dir, and a hint when not built", async () => {
    const dist = join(h.dir, "dist");
    await mkdir(join(dist, "assets"), { recursive: true });
    await writeFile(join(dist, "index.html"), "<!doctype html><title>Signet SPA</title>");
    await writeFile(join(dist, "assets", "app.js"), "console.log(1)");
    const app = createApp({ ...h.deps, spa: spaHandler(dist) });
    const index = await app.request("/");
    expect(await index.text()).toContain("Signet SPA");
    expect(await (await app.request("/files/123")).text()).toContain("Signet SPA");
    const js = await app.request("/assets/app.js");
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect(await (await app.request("/%2e%2e/%2e%2e/signet.db")).text()).toContain("Signet SPA");
    expect((await app.request("/api/nope")).status).toBe(404);
    const missing = createApp({ ...h.deps, spa: spaHandler(join(h.dir, "nope")) });
    expect(await (await missing.request("/")).text()).toContain("run pnpm build");
  });
});

describe("logs and audit rows", () => {
  it("record every step, one log line per request, and never a secret, token, cookie, signature or URL", async () => {
    h.logs.length = 0;
    const who = { cookie: u.cookie };
    const bytes = new TextEncoder().encode("secret-free content");
    const up = ok<Upload>(
      await h.trpc(
        "files.createUpload",
        { filename: "log.txt", contentType: "text/plain", size: bytes.length },
        who,
      ),
    );
    await browserPut(up.url, up.headers, bytes);
    ok(await h.trpc("files.completeUpload", { fileId: up.fileId }, who));
    const dl = ok<{ url: string }>(await h.trpc("files.downloadUrl", { fileId: up.fileId }, who, "query"));
    const share = ok<{ url: string }>(
      await h.trpc("files.shareUrl", { fileId: up.fileId, expiresIn: 3600 }, { token: u.token }, "query"),
    );
    const img = ok<{ presignedUrl: string; headers: Record<string, string> }>(
      await h.trpc("profile.createImageUpload", { contentType: "image/png", fileSize: png().length }, who),
    );
    await browserPut(img.presignedUrl, img.headers, png());
    const imgUrl = ok<{ downloadUrl: string }>(await h.trpc("profile.completeImageUpload", undefined, who));
    ok(await h.trpc("profile.update", { name: "Logged" }, who));
    ok(await h.trpc("files.delete", { fileId: up.fileId }, who));
    await h.app.request(`/api/auth/get-session?token=${u.token}`, { headers: { cookie: u.cookie } });

    const requests = h.logs.filter((l) => l.msg === "request");
    expect(requests.length).toBeGreaterThanOrEqual(9);
    for (const line of requests) {
      expect(line).toEqual(
        expect.objectContaining({
          id: expect.any(String),
          method: expect.any(String),
          path: expect.any(String),
          status: expect.any(Number),
          ms: expect.any(Number),
        }),
      );
      expect(String(line.path)).not.toContain("?");
    }
    expect(requests.some((l) => l.userId === u.id)).toBe(true);

    const audit = await h.db.select().from(auditEvent);
    const actions = audit.map((a) => a.action);
    for (const action of [
      "file.upload_url",
      "file.complete",
      "file.download_url",
      "file.share",
      "file.delete",
      "profile.image_upload_url",
      "profile.image_complete",
      "profile.update",
    ]) {
      expect(actions).toContain(action);
    }

    const haystack = JSON.stringify(h.logs) + JSON.stringify(audit);
    const sessionValue = decodeURIComponent(u.cookie.split("=")[1] ?? "");
    const forbidden = [
      AUTH_SECRET,
      h.s3Credentials.secretAccessKey,
      h.s3Credentials.accessKeyId,
      u.token,
      sessionValue,
      "X-Amz-Signature",
      "X-Amz-Credential",
      "Signature=",
      new URL(up.url).search,
      new URL(dl.url).search,
      new URL(share.url).search,
      new URL(imgUrl.downloadUrl).search,
      "http://",
    ];
    for (const needle of forbidden) {
      expect(needle.length).toBeGreaterThan(4);
      expect(haystack, needle).not.toContain(needle);
    }
    const listed = ok<{ items: { action: string; detail: Record<string, unknown> }[] }>(
      await h.trpc("audit.list", { limit: 100 }, who, "query"),
    );
    expect(listed.items[0]?.action).toBe("file.delete");
  });
});
