/**
 * Values the signer refuses never get past the input rules: each answers 400 naming the field, through tRPC, the
 * REST routes and the Uppy routes, and nothing is written (no file row, no part record, no audit event).
 */
import { auditEvent, file, profileImageUpload, uploadPart } from "@signet/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  browserPut,
  createHarness,
  type Harness,
  ok,
  PUBLIC_URL,
  sha256Base64,
  type TestUser,
} from "./testing/harness.ts";

const MiB = 1024 * 1024;
const LONE_SURROGATE = "a\ud800b.txt";
// 43 digits and a pad, but "B" leaves bits set that 32 bytes cannot have: not the canonical base64 of any digest.
const NON_CANONICAL = `${"B".repeat(43)}=`;

let h: Harness;
let user: TestUser;

beforeAll(async () => {
  h = await createHarness({ multipartThresholdBytes: 1 * MiB });
  user = await h.signUp();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

/** Everything the user has in the tables an upload writes. */
async function written() {
  return {
    files: await h.db.select().from(file).where(eq(file.ownerId, user.id)),
    avatars: await h.db.select().from(profileImageUpload).where(eq(profileImageUpload.userId, user.id)),
    audit: await h.db.select().from(auditEvent).where(eq(auditEvent.actorId, user.id)),
    parts: await h.db.select().from(uploadPart),
  };
}

async function rest(method: string, path: string, body: unknown) {
  const response = await h.app.request(path, {
    method,
    headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const good = { filename: "a.txt", contentType: "text/plain", size: 10 };

describe("files.createUpload", () => {
  const cases: [string, Record<string, unknown>][] = [
    ["filename", { filename: LONE_SURROGATE }],
    ["contentType", { contentType: "*/*" }],
    ["contentType", { contentType: "text/pl%ain" }],
    ["checksumSha256", { checksumSha256: NON_CANONICAL }],
  ];

  it.each(cases)("refuses a bad %s over tRPC and REST, writing nothing", async (field, change) => {
    const before = await written();
    const trpc = await h.trpc("files.createUpload", { ...good, ...change }, { token: user.token });
    expect(trpc).toMatchObject({ ok: false, status: 400, code: "BAD_REQUEST" });
    expect(trpc.ok ? "" : trpc.message).toContain(field);
    const viaRest = await rest("POST", "/api/files", { ...good, ...change });
    expect(viaRest).toMatchObject({ status: 400, json: { code: "BAD_REQUEST", field } });
    expect(await written()).toEqual(before);
  });

  it("still takes a real SHA-256 and a type with parameters", async () => {
    const checksumSha256 = await sha256Base64(new TextEncoder().encode("0123456789"));
    ok(
      await h.trpc(
        "files.createUpload",
        { ...good, contentType: "Text/Plain; charset=utf-8", checksumSha256 },
        { token: user.token },
      ),
    );
  });
});

describe("profile.createImageUpload", () => {
  const cases: [string, Record<string, unknown>][] = [
    ["originalFilename", { originalFilename: LONE_SURROGATE }],
    ["checksumSha256", { checksumSha256: NON_CANONICAL }],
  ];

  it.each(cases)("refuses a bad %s, writing nothing", async (field, change) => {
    const before = await written();
    const input = { contentType: "image/png", fileSize: 10, ...change };
    const trpc = await h.trpc("profile.createImageUpload", input, { token: user.token });
    expect(trpc).toMatchObject({ ok: false, status: 400, code: "BAD_REQUEST" });
    expect(trpc.ok ? "" : trpc.message).toContain(field);
    expect(await written()).toEqual(before);
  });
});

describe("the Uppy create route", () => {
  it.each([
    ["filename", { filename: LONE_SURROGATE, type: "text/plain" }],
    ["type", { filename: "a.txt", type: "*/*" }],
  ])("refuses a bad %s, writing nothing", async (field, body) => {
    const before = await written();
    const response = await h.app.request("/api/uppy/s3/multipart", {
      method: "POST",
      headers: { cookie: user.cookie, origin: PUBLIC_URL, "content-type": "application/json" },
      body: JSON.stringify({ ...body, metadata: { size: 2 * MiB, partSize: 16 * MiB } }),
    });
    expect(response.status).toBe(400);
    expect(`${response.statusText} ${await response.text()}`).toContain(field);
    expect(await written()).toEqual(before);
  });
});

describe("POST /api/files/{id}/parts", () => {
  it("refuses a non-canonical part checksum without touching the part already declared and sent", async () => {
    const bytes = new Uint8Array(2 * MiB).fill(7);
    const upload = ok<{ fileId: string }>(
      await h.trpc(
        "files.createUpload",
        { filename: "big.bin", contentType: "application/octet-stream", size: bytes.length },
        { token: user.token },
      ),
    );
    const checksumSha256 = await sha256Base64(bytes);
    const signed = await rest("POST", `/api/files/${upload.fileId}/parts`, {
      parts: [{ partNumber: 1, checksumSha256 }],
    });
    expect(signed.status).toBe(200);
    const part = (signed.json.parts as { url: string; headers: Record<string, string> }[])[0]!;
    expect((await browserPut(part.url, part.headers, bytes)).status).toBe(200);

    const before = await written();
    const refused = await rest("POST", `/api/files/${upload.fileId}/parts`, {
      parts: [{ partNumber: 1, checksumSha256: NON_CANONICAL }],
    });
    expect(refused).toMatchObject({
      status: 400,
      json: { code: "BAD_REQUEST", field: "parts.0.checksumSha256" },
    });
    expect(await written()).toEqual(before);
    // The part that arrived still counts as arrived.
    const listed = await rest("GET", `/api/files/${upload.fileId}/parts`, undefined);
    expect(listed.json.parts).toEqual([expect.objectContaining({ partNumber: 1, size: bytes.length })]);
  });
});

describe("a whole-file checksum for an upload in parts", () => {
  it("is refused with a 400 that says what is verified instead, writing nothing", async () => {
    const before = await written();
    const openUploads = async () => (await h.signer.listMultipartUploads("")).uploads.length;
    const open = await openUploads();
    // A SHA-256 the bytes will not have: before, it was taken and dropped, and the file ended ready unverified.
    const checksumSha256 = await sha256Base64(new TextEncoder().encode("not the file"));
    const input = {
      filename: "big.bin",
      contentType: "application/octet-stream",
      size: 2 * MiB,
      checksumSha256,
    };
    const viaRest = await rest("POST", "/api/files", input);
    expect(viaRest).toMatchObject({ status: 400, json: { code: "BAD_REQUEST", field: "checksumSha256" } });
    expect(String(viaRest.json.message)).toMatch(/in parts.*each part's SHA-256/);
    const trpc = await h.trpc("files.createUpload", input, { token: user.token });
    expect(trpc).toMatchObject({ ok: false, status: 400, code: "BAD_REQUEST" });
    expect(await written()).toEqual(before);
    expect(await openUploads()).toBe(open);
  });
});
