/**
 * The REST API over real parts: the OpenAPI document against the mounted routes and the real answers, personal
 * API keys and their scopes on REST and tRPC, another user's file on every route, and a script's sign-in.
 */
import { compileErrors, validate } from "@readme/openapi-parser";
import { createSigner } from "@signet/signer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { createApp } from "./app.ts";
import type { LogEntry } from "./deps.ts";
import { serveNode } from "./entry/node-serve.ts";
import { DOCS_PATH, DOCS_SCRIPT_PATH, OPENAPI_PATH, restRouteTable } from "./http/rest-routes.ts";
import { UPPY_PREFIX } from "./http/uppy.ts";
import { browserPut, createHarness, type Harness, ok, type TestUser } from "./testing/harness.ts";
import { png } from "./testing/images.ts";

let h: Harness;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  h = await createHarness();
  alice = await h.signUp();
  bob = await h.signUp();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

type Json = Record<string, unknown>;
const table = restRouteTable();

/** The documented route a concrete request matches, e.g. GET /api/files/{id}. */
function routeOf(method: string, path: string) {
  const bare = path.split("?")[0]!;
  const found = table.find(
    ({ route }) =>
      route.method.toUpperCase() === method &&
      new RegExp(`^${route.path.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(bare),
  );
  if (!found) throw new Error(`no documented route for ${method} ${bare}`);
  return found.route;
}

/**
 * Calls a REST route and, on success, parses the answer with the response schema the document declares for its
 * status, so an answer that disagrees with the document fails the test.
 */
async function rest(method: string, path: string, auth: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = `Bearer ${auth}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await h.app.request(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Json;
  const documented = routeOf(method, path).responses[res.status];
  expect(
    documented,
    `${method} ${path} answered ${res.status}, which the document does not list`,
  ).toBeTruthy();
  const schema = (documented as { content: { "application/json": { schema: z.ZodType } } }).content[
    "application/json"
  ].schema;
  const parsed = schema.safeParse(json);
  expect(parsed.error, `${method} ${path}: ${JSON.stringify(json)}`).toBeUndefined();
  return { status: res.status, json };
}

async function createKey(user: TestUser, scope: string, extra: Json = {}) {
  const { status, json } = await rest("POST", "/api/api-keys", user.token, {
    name: `${scope} key`,
    scope,
    ...extra,
  });
  expect(status).toBe(201);
  return json as { id: string; key: string; prefix: string };
}

/** A ready file of `user`'s, uploaded through REST. */
async function readyFile(key: string, bytes = png()) {
  const { status, json } = await rest("POST", "/api/files", key, {
    filename: "photo.png",
    contentType: "image/png",
    size: bytes.length,
  });
  expect(status).toBe(201);
  const up = json as { fileId: string; key: string; url: string; headers: Record<string, string> };
  expect((await browserPut(up.url, up.headers, bytes)).status).toBe(200);
  expect((await rest("POST", `/api/files/${up.fileId}/complete`, key)).json).toMatchObject({
    status: "ready",
  });
  return up;
}

/** Uploads a PNG as the profile image through the REST routes, and completes it. */
async function profileImage(key: string, seed: number) {
  const image = png(seed);
  const ticket = (
    await rest("POST", "/api/profile/image/upload", key, {
      contentType: "image/png",
      fileSize: image.length,
    })
  ).json as { presignedUrl: string; headers: Record<string, string> };
  expect((await browserPut(ticket.presignedUrl, ticket.headers, image)).status).toBe(200);
  expect((await rest("POST", "/api/profile/image/complete", key)).json).toMatchObject({ hasImage: true });
}

describe("the OpenAPI document", () => {
  it("validates with a maintained OpenAPI parser", async () => {
    const res = await h.app.request(OPENAPI_PATH);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string };
    expect(doc.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
  });

  it("lists exactly the routes the app mounts under /api, and each one answers", async () => {
    const doc = (await (await h.app.request(OPENAPI_PATH)).json()) as { paths: Record<string, Json> };
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const outside = new Set([OPENAPI_PATH, DOCS_PATH, "/api/*", "/api/auth/*"]);
    const mounted = [
      ...new Set(
        h.app.routes
          // Uppy's Companion-shaped routes (http/uppy.ts) are Uppy's protocol, not part of the REST API.
          .filter((r) => r.path.startsWith("/api/") && !outside.has(r.path) && r.method !== "ALL")
          .filter((r) => !r.path.startsWith(`${UPPY_PREFIX}/`))
          .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
      ),
    ].sort();
    expect(mounted).toEqual(documented);
    expect(documented.length).toBe(table.length);

    // Each documented route is really there: without credentials it answers 401 (or 200 when public), never
    // the catch-all's "No API route".
    for (const entry of documented) {
      const [method, template] = entry.split(" ") as [string, string];
      const path = template.replace(/\{[^}]+\}/g, "0193a3c4-0000-7000-8000-000000000000");
      const res = await h.app.request(path, { method });
      const body = (await res.json()) as Json;
      expect(body.message ?? "", entry).not.toMatch(/No API route/);
      expect([200, 400, 401], entry).toContain(res.status);
    }
  });

  it("serves the reference page with a CSP that lets only its own script in", async () => {
    const res = await h.app.request(DOCS_PATH);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    const html = await res.text();
    expect(html).toContain(OPENAPI_PATH);
    expect(html).toContain(`nonce="${nonce}"`);
    const scriptSrc = csp.split(";").find((d) => d.trim().startsWith("script-src")) ?? "";
    expect(scriptSrc).not.toContain("unsafe-inline");
    // Scalar comes from this origin (the SPA's build), so the page works offline and the CSP names no CDN.
    expect(html).toContain(`src="${DOCS_SCRIPT_PATH}"`);
    expect(csp).not.toMatch(/https?:/);
  });
});

describe("every procedure over REST", () => {
  it("runs the whole flow with answers shaped as documented", async () => {
    const { key } = await createKey(alice, "full");
    expect((await rest("GET", "/api/health", null)).json).toMatchObject({ ok: true });
    expect((await rest("GET", "/api/limits", null)).status).toBe(200);
    const up = await readyFile(key);
    expect((await rest("GET", "/api/files?limit=1", key)).json).toMatchObject({ items: [{ id: up.fileId }] });
    expect((await rest("GET", `/api/files/${up.fileId}`, key)).json).toMatchObject({ status: "ready" });
    const dl = await rest("GET", `/api/files/${up.fileId}/download-url?disposition=inline&expiresIn=60`, key);
    expect(new Uint8Array(await (await fetch(String(dl.json.url))).arrayBuffer())).toEqual(png());
    expect(
      (await rest("POST", `/api/files/${up.fileId}/share-url`, key, { expiresIn: 3600 })).json,
    ).toMatchObject({
      expiresIn: 3600,
    });
    const byKey = await rest("GET", `/api/files/pre-signed-url/${encodeURIComponent(up.key)}`, key);
    expect(byKey.json.presignedUrl).toBe(byKey.json.url);
    expect((await rest("GET", `/api/files/pre-signed-url/${up.fileId}`, key)).status).toBe(200);
    expect((await rest("GET", "/api/audit?limit=5", key)).json.items).toHaveLength(5);

    const pending = (
      await rest("POST", "/api/uploads/pre-signed-url", key, {
        fileName: "a.txt",
        fileType: "text/plain",
        fileSize: 3,
      })
    ).json as { fileId: string };
    expect((await rest("POST", `/api/files/${pending.fileId}/abort`, key)).json).toEqual({ ok: true });
    expect((await rest("DELETE", `/api/files/${up.fileId}`, key)).json).toEqual({ ok: true });
    expect((await rest("GET", `/api/files/${up.fileId}`, key)).status).toBe(404);

    expect((await rest("PATCH", "/api/profile", key, { name: "Alice R." })).json).toMatchObject({
      name: "Alice R.",
    });
    expect((await rest("GET", "/api/profile", key)).json).toMatchObject({ name: "Alice R." });
    await profileImage(key, 7);
    expect((await rest("GET", "/api/profile/image", key)).json).toMatchObject({ hasImage: true });
    expect((await rest("GET", "/api/user/profile/image", key)).json).toMatchObject({ hasImage: true });
    expect((await rest("DELETE", "/api/profile/image", key)).json).toEqual({ hasImage: false });
    expect(
      (await rest("POST", "/api/user/profile/image", key, { fileType: "image/png", size: 10 })).status,
    ).toBe(200);
  });

  it("names the field at fault, with the status of tRPC's table", async () => {
    const bad = await rest("POST", "/api/files", alice.token, {
      filename: "a",
      contentType: "nope",
      size: 1,
    });
    expect(bad).toMatchObject({ status: 400, json: { code: "BAD_REQUEST", field: "contentType" } });
    const id = await rest("GET", "/api/files/not-a-uuid", alice.token);
    expect(id).toMatchObject({ status: 400, json: { code: "BAD_REQUEST", field: "id" } });
    const limit = await rest("GET", "/api/files?limit=1000", alice.token);
    expect(limit).toMatchObject({ status: 400, json: { code: "BAD_REQUEST", field: "limit" } });
    const big = await rest("POST", "/api/files", alice.token, {
      filename: "a",
      contentType: "text/plain",
      size: 1e15,
    });
    expect(big).toMatchObject({ status: 413, json: { code: "PAYLOAD_TOO_LARGE" } });
    expect(await rest("GET", "/api/files", null)).toMatchObject({
      status: 401,
      json: { code: "UNAUTHORIZED" },
    });
  });

  it("answers NOT_FOUND for another user's file through every route, and leaves it intact", async () => {
    const theirs = await readyFile(bob.token);
    const id = theirs.fileId;
    const attempts: [string, string, unknown?][] = [
      ["GET", `/api/files/${id}`],
      ["POST", `/api/files/${id}/complete`],
      ["POST", `/api/files/${id}/abort`],
      ["DELETE", `/api/files/${id}`],
      ["GET", `/api/files/${id}/download-url`],
      ["POST", `/api/files/${id}/share-url`, { expiresIn: 600 }],
      ["GET", `/api/files/pre-signed-url/${id}`],
      ["GET", `/api/files/pre-signed-url/${encodeURIComponent(theirs.key)}`],
    ];
    const { key: aliceKey } = await createKey(alice, "full");
    for (const [method, path, body] of attempts) {
      for (const auth of [alice.token, aliceKey]) {
        const res = await rest(method, path, auth, body);
        expect(res, `${method} ${path}`).toMatchObject({ status: 404, json: { code: "NOT_FOUND" } });
      }
    }
    const still = await rest("GET", `/api/files/${id}/download-url`, bob.token);
    expect(new Uint8Array(await (await fetch(String(still.json.url))).arrayBuffer())).toEqual(png());
  });
});

describe("query parameters", () => {
  const history = async (key: string) =>
    ((await rest("GET", "/api/profile/image/history", key)).json.versions as unknown[]).length;

  it("reads a boolean as true or false, and refuses anything else naming the field", async () => {
    const carol = await h.signUp();
    await profileImage(carol.token, 11);
    await profileImage(carol.token, 12);
    expect(await history(carol.token)).toBe(1);
    expect(await rest("DELETE", "/api/profile/image?keepHistory=yes", carol.token)).toMatchObject({
      status: 400,
      json: { field: "keepHistory" },
    });
    expect((await rest("DELETE", "/api/profile/image?keepHistory=true", carol.token)).json).toEqual({
      hasImage: false,
    });
    expect(await history(carol.token)).toBe(1);
    await rest("DELETE", "/api/profile/image?keepHistory=false", carol.token);
    expect(await history(carol.token)).toBe(0);
  });

  it("reads a number with the procedure's own rules and words", async () => {
    const half = await rest("GET", "/api/account/export?expiresIn=90.5", alice.token);
    expect(half).toMatchObject({
      status: 400,
      json: { field: "expiresIn", message: "expiresIn: must be a whole number of seconds" },
    });
    expect(await rest("GET", "/api/account/export", alice.token)).toMatchObject({
      status: 400,
      json: { field: "expiresIn" },
    });
    expect((await rest("GET", "/api/account/export?expiresIn=60", alice.token)).json).toMatchObject({
      expiresIn: 60,
    });
  });
});

describe("one error shape", () => {
  /** The answer parsed with the document's `Error` schema for its status. */
  async function refusal(res: Response, method: string, path: string) {
    const json = (await res.json()) as Json;
    const documented = routeOf(method, path).responses[res.status] as
      | { content: { "application/json": { schema: z.ZodType } } }
      | undefined;
    expect(documented, `${method} ${path} answered ${res.status}, undocumented`).toBeTruthy();
    const parsed = documented?.content["application/json"].schema.safeParse(json);
    expect(parsed?.error, JSON.stringify(json)).toBeUndefined();
    return { status: res.status, json };
  }

  it("a body that is not JSON is 415 with the JSON error body, on every route that takes one", async () => {
    const id = (
      (
        await rest("POST", "/api/files", alice.token, {
          filename: "big.bin",
          contentType: "application/octet-stream",
          size: 100 * 1024 * 1024,
        })
      ).json as { fileId: string }
    ).fileId;
    const routes = ["/api/uploads/pre-signed-url", "/api/files", "/api/api-keys", `/api/files/${id}/parts`];
    // text/plain (fetch's default for a string), curl -d's form encoding, and curl -F's multipart form.
    const types = [
      "text/plain;charset=UTF-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ];
    for (const path of routes) {
      for (const type of types) {
        const res = await h.app.request(path, {
          method: "POST",
          headers: { authorization: `Bearer ${alice.token}`, "content-type": type },
          body: "filename=a.txt&contentType=text/plain&size=1",
        });
        expect(await refusal(res, "POST", path), `${path} as ${type}`).toMatchObject({
          status: 415,
          json: { code: "UNSUPPORTED_MEDIA_TYPE", error: { code: "UNSUPPORTED_MEDIA_TYPE" } },
        });
      }
    }
    expect(h.logs.filter((entry) => entry.msg === "unexpected error")).toEqual([]);
  });

  it("spells a field path one way: parts.0.partNumber, from the validator and from the service", async () => {
    const up = (
      await rest("POST", "/api/files", alice.token, {
        filename: "big.bin",
        contentType: "application/octet-stream",
        size: 100 * 1024 * 1024,
      })
    ).json as { fileId: string; partCount: number };
    const checksumSha256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    const sign = (partNumber: number) =>
      rest("POST", `/api/files/${up.fileId}/parts`, alice.token, { parts: [{ partNumber, checksumSha256 }] });
    const zero = await sign(0);
    expect(zero).toMatchObject({ status: 400, json: { field: "parts.0.partNumber" } });
    expect(zero.json.message).toMatch(/^parts\.0\.partNumber: /);
    const beyond = await sign(up.partCount + 1);
    expect(beyond).toMatchObject({ status: 400, json: { field: "parts.0.partNumber" } });
    expect(beyond.json.message).toMatch(/^parts\.0\.partNumber: this upload has parts 1\.\./);
  });

  it("an unexpected error is a 500 in the documented error shape, with the request id only", async () => {
    const up = (
      await rest("POST", "/api/files", alice.token, { filename: "a.txt", contentType: "text/plain", size: 1 })
    ).json as { fileId: string };
    // The real signer, pointed at a port nobody listens on: the storage is down.
    const deadSigner = createSigner({
      endpoint: "http://127.0.0.1:9",
      bucket: "signet",
      ...h.s3Credentials,
    });
    const logs: LogEntry[] = [];
    const broken = createApp({ ...h.deps, storage: deadSigner, logger: (e) => logs.push(e) });
    const path = `/api/files/${up.fileId}/complete`;
    const res = await broken.request(path, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}` },
    });
    const requestId = res.headers.get("x-request-id");
    const message = `Internal error (request id ${requestId})`;
    expect(await refusal(res, "POST", path)).toEqual({
      status: 500,
      json: { code: "INTERNAL_SERVER_ERROR", message, error: { code: "INTERNAL_SERVER_ERROR", message } },
    });
    expect(logs).toContainEqual(expect.objectContaining({ msg: "unexpected error", id: requestId }));
  });
});

describe("personal API keys", () => {
  it("shows a key once, lists it by prefix only, and audits its creation without the key", async () => {
    const created = await createKey(alice, "read", { expiresInDays: 30 });
    expect(created.key).toMatch(/^sgk_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const list = await rest("GET", "/api/api-keys", alice.token);
    expect(JSON.stringify(list.json)).not.toContain(created.key);
    expect(list.json.items).toContainEqual(expect.objectContaining({ id: created.id, scope: "read" }));
    const audit = await rest("GET", "/api/audit?limit=100", alice.token);
    expect(audit.json.items).toContainEqual(
      expect.objectContaining({
        action: "api_key.create",
        detail: expect.objectContaining({ scope: "read" }),
      }),
    );
    expect(JSON.stringify(audit.json)).not.toContain(created.key);
    expect(JSON.stringify(h.logs)).not.toContain(created.key);
  });

  it("a read key reads but cannot create uploads (FORBIDDEN on REST and tRPC); upload cannot delete", async () => {
    const { key: read } = await createKey(alice, "read");
    expect((await rest("GET", "/api/files", read)).status).toBe(200);
    const refused = await rest("POST", "/api/files", read, {
      filename: "a.txt",
      contentType: "text/plain",
      size: 1,
    });
    expect(refused).toMatchObject({ status: 403, json: { code: "FORBIDDEN" } });
    const overTrpc = await h.trpc(
      "files.createUpload",
      { filename: "a", contentType: "text/plain", size: 1 },
      { token: read },
    );
    expect(overTrpc).toMatchObject({ ok: false, status: 403, code: "FORBIDDEN" });
    expect(ok(await h.trpc("files.list", {}, { token: read }, "query"))).toMatchObject({
      items: expect.any(Array),
    });

    const { key: upload } = await createKey(alice, "upload");
    const up = await readyFile(upload);
    expect(await rest("DELETE", `/api/files/${up.fileId}`, upload)).toMatchObject({ status: 403 });
    expect(await rest("PATCH", "/api/profile", upload, { name: "x" })).toMatchObject({ status: 403 });
    // No key manages keys, whatever its scope: that takes a signed-in session.
    const { key: full } = await createKey(alice, "full");
    expect(await rest("POST", "/api/api-keys", full, { name: "more", scope: "full" })).toMatchObject({
      status: 403,
      json: { code: "FORBIDDEN" },
    });
    expect(await rest("DELETE", `/api/files/${up.fileId}`, full)).toMatchObject({ status: 200 });
  });

  it("a revoked or expired key is UNAUTHORIZED on REST and tRPC; another user cannot revoke it", async () => {
    const revoked = await createKey(alice, "full");
    expect(await rest("DELETE", `/api/api-keys/${revoked.id}`, bob.token)).toMatchObject({ status: 404 });
    expect((await rest("GET", "/api/files", revoked.key)).status).toBe(200);
    const gone = await rest("DELETE", `/api/api-keys/${revoked.id}`, alice.token);
    expect(gone.json.revokedAt).toEqual(expect.any(String));
    expect(await rest("GET", "/api/files", revoked.key)).toMatchObject({
      status: 401,
      json: { code: "UNAUTHORIZED" },
    });
    expect(await h.trpc("files.list", {}, { token: revoked.key }, "query")).toMatchObject({
      ok: false,
      code: "UNAUTHORIZED",
    });
    const audit = await rest("GET", "/api/audit?limit=100", alice.token);
    expect(audit.json.items).toContainEqual(expect.objectContaining({ action: "api_key.revoke" }));

    const expiring = await createKey(alice, "read", { expiresInDays: 1 });
    expect((await rest("GET", "/api/files", expiring.key)).status).toBe(200);
    h.advance(86_400);
    expect(await rest("GET", "/api/files", expiring.key)).toMatchObject({ status: 401 });
    expect(await rest("GET", "/api/files", "sgk_not-a-key")).toMatchObject({ status: 401 });
  });
});

describe("a script's sign-in", () => {
  it("works from Node's fetch with no extra header; cross-site browser requests stay refused", async () => {
    const server = await serveNode(h.signet.fetch, { port: 0, hostname: "127.0.0.1" });
    try {
      const url = `http://127.0.0.1:${server.port}/api/auth/sign-in/email`;
      const credentials = JSON.stringify({ email: alice.email, password: "correct horse battery" });
      const json = { "content-type": "application/json" };
      // Node's fetch (undici) sends Sec-Fetch-Mode: cors and no Origin, as Bun's and Deno's do.
      const script = await fetch(url, { method: "POST", headers: json, body: credentials });
      expect(script.status).toBe(200);
      const token = script.headers.get("set-auth-token");
      expect(token).toBeTruthy();
      expect((await rest("GET", "/api/profile", token)).json).toMatchObject({ id: alice.id });

      const refused = async (headers: Record<string, string>) => {
        const res = await fetch(url, { method: "POST", headers: { ...json, ...headers }, body: credentials });
        return res.status;
      };
      // A page on another site, by fetch or by a form posted through a navigation.
      expect(await refused({ origin: "https://evil.example", "sec-fetch-site": "cross-site" })).toBe(403);
      expect(await refused({ "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" })).toBe(403);
      // A browser request without an Origin is still refused, as before, and so is a cookie without one.
      expect(await refused({ "sec-fetch-site": "same-origin", "sec-fetch-mode": "cors" })).toBe(403);
      expect(await refused({ cookie: alice.cookie })).toBe(403);
      // The SPA itself, from its own origin.
      expect(await refused({ origin: "http://localhost:5173", "sec-fetch-site": "same-site" })).toBe(200);
    } finally {
      await server.close();
    }
  });
});
