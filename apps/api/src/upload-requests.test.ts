/**
 * Upload requests: guests without an account upload into the owner's space through the token only, held to the
 * request's rules, through the real pipeline (local-s3, verification, quota).
 */
import { file, userQuota } from "@signet/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GUEST_UPLOAD_LIMITS } from "./services/limits.ts";
import {
  browserPut,
  createHarness,
  type Harness,
  ok,
  PUBLIC_URL,
  sha256Base64,
  type TestUser,
  type TrpcResult,
} from "./testing/harness.ts";
import { createInnerContext } from "./trpc/init.ts";
import { createCaller } from "./trpc/root.ts";

const MiB = 1024 ** 2;
let h: Harness;
let owner: TestUser;

beforeAll(async () => {
  h = await createHarness({ multipartThresholdBytes: MiB });
  owner = await h.signUp();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

type Created = { id: string; url: string; files: number };
type Ticket = {
  fileId: string;
  plan: "single" | "multipart";
  url: string;
  headers: Record<string, string>;
  partSize: number;
  partCount: number;
};

async function request(input: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
  const made = ok<Created>(
    await h.trpc("uploadRequests.create", { title: "Send me your photos", ...input }, { token: owner.token }),
  );
  expect(made.url).toMatch(new RegExp(`^${PUBLIC_URL}/u/[A-Za-z0-9_-]{43}$`));
  return { id: made.id, token: made.url.split("/u/")[1]! };
}

/** A guest's call: no session, no cookie, only what the guest page sends. */
const guest = (path: string, input: unknown): Promise<TrpcResult> =>
  h.trpc(
    `guestUploads.${path}`,
    input,
    null,
    ["describe", "listParts"].includes(path) ? "query" : "mutation",
  );

async function reserved(): Promise<number> {
  const [row] = await h.db.select().from(userQuota).where(eq(userQuota.userId, owner.id));
  return row?.reservedBytes ?? 0;
}

async function guestSingle(token: string, body: Uint8Array, extra: Record<string, unknown> = {}) {
  const ticket = ok<Ticket>(
    await guest("createUpload", {
      token,
      filename: "photo.png",
      contentType: "image/png",
      size: body.length,
      checksumSha256: await sha256Base64(body),
      ...extra,
    }),
  );
  expect((await browserPut(ticket.url, ticket.headers, body)).status).toBe(200);
  return ok<{ id: string; status: string }>(await guest("completeUpload", { token, fileId: ticket.fileId }));
}

describe("guest uploads", () => {
  it("go through the pipeline into the owner's space, marked with the request, counted in the quota exactly", async () => {
    const { id, token } = await request({ allowedTypes: ["image/*"] });
    const before = await reserved();
    const body = new Uint8Array(300).fill(9);
    const done = await guestSingle(token, body);
    expect(done.status).toBe("ready");
    const [row] = await h.db.select().from(file).where(eq(file.id, done.id));
    expect(row).toMatchObject({ ownerId: owner.id, uploadRequestId: id, status: "ready", size: 300 });
    expect((await reserved()) - before).toBe(300);
    const mine = ok<{ items: { id: string }[] }>(
      await h.trpc("files.list", {}, { token: owner.token }, "query"),
    );
    expect(mine.items.map((f) => f.id)).toContain(done.id);
  });

  it("refuse a type or size the request does not take, with the reason", async () => {
    const { token } = await request({ allowedTypes: ["image/png", "application/pdf"], maxFileBytes: 100 });
    const type = await guest("createUpload", {
      token,
      filename: "a.exe",
      contentType: "application/x-msdownload",
      size: 10,
    });
    expect(type).toMatchObject({ ok: false, status: 400, code: "BAD_REQUEST" });
    if (!type.ok)
      expect(type.message).toMatch(/^contentType: application\/x-msdownload .*not accepted.*image\/png/);
    const size = await guest("createUpload", {
      token,
      filename: "a.png",
      contentType: "image/png",
      size: 101,
    });
    expect(size).toMatchObject({ ok: false, status: 413, code: "PAYLOAD_TOO_LARGE" });
    if (!size.ok) expect(size.message).toMatch(/^size: at most 100 bytes/);
    const rest = await h.app.request("/api/guest-uploads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, filename: "a.png", contentType: "image/png", size: 101 }),
    });
    expect(rest.status).toBe(413);
    expect(await rest.json()).toMatchObject({ field: "size" });
  });

  it("stop at the number of files, at revocation and at expiry", async () => {
    const { token } = await request({ maxFiles: 1, expiresIn: 120 });
    await guestSingle(token, new Uint8Array([1, 2, 3]));
    const full = await guest("createUpload", { token, filename: "b.png", contentType: "image/png", size: 3 });
    expect(full).toMatchObject({ ok: false, code: "FORBIDDEN" });
    if (!full.ok) expect(full.message).toMatch(/all 1 files/);

    const other = await request({ expiresIn: 60 });
    h.advance(61);
    expect(
      await guest("createUpload", {
        token: other.token,
        filename: "c.png",
        contentType: "image/png",
        size: 3,
      }),
    ).toMatchObject({ ok: false, code: "FORBIDDEN", message: expect.stringMatching(/expired/) });

    const third = await request();
    ok(await h.trpc("uploadRequests.revoke", { id: third.id }, { token: owner.token }));
    expect(
      await guest("createUpload", {
        token: third.token,
        filename: "c.png",
        contentType: "image/png",
        size: 3,
      }),
    ).toMatchObject({ ok: false, code: "FORBIDDEN", message: expect.stringMatching(/revoked/) });
  });

  it("need the password when the request has one", async () => {
    const { token } = await request({ password: "let me in" });
    const input = { token, filename: "a.png", contentType: "image/png", size: 3 };
    expect(await guest("createUpload", input)).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    expect(await guest("createUpload", { ...input, password: "nope nope" })).toMatchObject({
      ok: false,
      code: "UNAUTHORIZED",
      message: "password: wrong password",
    });
    expect(await guest("createUpload", { ...input, password: "let me in" })).toMatchObject({ ok: true });
  });

  it("can list, download or delete nothing: only their own upload in flight is reachable", async () => {
    const { token } = await request();
    const own = ok<Ticket>(
      await h.trpc(
        "files.createUpload",
        { filename: "mine.txt", contentType: "text/plain", size: 5 },
        { token: owner.token },
      ),
    );
    for (const path of ["completeUpload", "abortUpload", "listParts"]) {
      expect(await guest(path, { token, fileId: own.fileId }), path).toMatchObject({
        ok: false,
        code: "NOT_FOUND",
      });
    }
    expect(
      await guest("signParts", {
        token,
        fileId: own.fileId,
        parts: [{ partNumber: 1, checksumSha256: await sha256Base64(new Uint8Array(1)) }],
      }),
    ).toMatchObject({ ok: false, code: "NOT_FOUND" });
    for (const [path, kind] of [
      ["files.list", "query"],
      ["files.get", "query"],
      ["files.downloadUrl", "query"],
      ["files.delete", "mutation"],
      ["shares.list", "query"],
    ] as const) {
      expect(await h.trpc(path, { fileId: own.fileId }, null, kind), path).toMatchObject({
        ok: false,
        code: "UNAUTHORIZED",
      });
    }
    // A bad token reaches nothing either.
    expect(await guest("describe", { token: "A".repeat(43) })).toMatchObject({
      ok: false,
      code: "NOT_FOUND",
    });
    expect(ok<{ title: string }>(await guest("describe", { token }))).toMatchObject({
      title: "Send me your photos",
    });
  });

  it("resume a multipart upload: the parts that arrived are listed, the rest sent, the whole verified", async () => {
    const { token } = await request();
    const bytes = new Uint8Array(17 * MiB);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = (i / 4096) & 0xff;
    const before = await reserved();
    const ticket = ok<Ticket>(
      await guest("createUpload", {
        token,
        filename: "film.mp4",
        contentType: "video/mp4",
        size: bytes.length,
      }),
    );
    expect(ticket).toMatchObject({ plan: "multipart", partCount: 2 });
    const part = (n: number) => bytes.subarray((n - 1) * ticket.partSize, n * ticket.partSize);
    const sign = async (n: number) =>
      ok<{ parts: { url: string; headers: Record<string, string> }[] }>(
        await guest("signParts", {
          token,
          fileId: ticket.fileId,
          parts: [{ partNumber: n, checksumSha256: await sha256Base64(part(n)) }],
        }),
      ).parts[0]!;
    const first = await sign(1);
    expect((await browserPut(first.url, first.headers, part(1))).status).toBe(200);
    // The tab closed here; the guest page comes back and asks what arrived.
    const listed = ok<{ parts: { partNumber: number }[] }>(
      await guest("listParts", { token, fileId: ticket.fileId }),
    );
    expect(listed.parts.map((p) => p.partNumber)).toEqual([1]);
    const second = await sign(2);
    expect((await browserPut(second.url, second.headers, part(2))).status).toBe(200);
    expect(
      ok<{ status: string }>(await guest("completeUpload", { token, fileId: ticket.fileId })).status,
    ).toBe("ready");
    expect((await reserved()) - before).toBe(bytes.length);
  });

  it("are rate-limited per address", async () => {
    const { token } = await request({ allowedTypes: ["image/png"] });
    const from = createCaller(createInnerContext(h.deps, null, { ip: "192.0.2.77", userAgent: "vitest" }));
    const refusedType = { token, filename: "a.txt", contentType: "text/plain", size: 1 };
    for (let i = 0; i < GUEST_UPLOAD_LIMITS.perAddress.max; i++) {
      await expect(from.guestUploads.createUpload(refusedType)).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
    }
    await expect(from.guestUploads.createUpload(refusedType)).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
    });
  });
});
