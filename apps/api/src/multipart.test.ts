/** The multipart plan against the real local-s3 (R2's part rules, per-part SHA-256) and a real libSQL file. */
import { uploadPart } from "@signet/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  browserPut,
  createHarness,
  type Harness,
  ok,
  sha256Base64,
  type TestUser,
} from "./testing/harness.ts";

const MiB = 1024 * 1024;
let h: Harness;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  h = await createHarness({ multipartThresholdBytes: 1 * MiB });
  alice = await h.signUp();
  bob = await h.signUp();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

type Multipart = {
  fileId: string;
  key: string;
  plan: "multipart";
  partSize: number;
  partCount: number;
  expiresAt: string;
};
type Signed = { parts: { partNumber: number; url: string; headers: Record<string, string> }[] };
type Parts = { partSize: number; partCount: number; parts: { partNumber: number; size: number }[] };

/** 20 MiB of bytes that differ per part, so a part sent in the wrong place cannot pass. */
function bigFile(size = 20 * MiB): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) & 0xff;
  bytes[size - 1] = 7;
  return bytes;
}

function partOf(bytes: Uint8Array, partSize: number, partNumber: number): Uint8Array {
  return bytes.subarray((partNumber - 1) * partSize, Math.min(bytes.length, partNumber * partSize));
}

async function start(user: TestUser, bytes: Uint8Array, filename = "video.mp4"): Promise<Multipart> {
  return ok<Multipart>(
    await h.trpc(
      "files.createUpload",
      { filename, contentType: "video/mp4", size: bytes.length },
      { token: user.token },
    ),
  );
}

async function sign(user: TestUser, upload: Multipart, bytes: Uint8Array, numbers: number[]) {
  const parts = await Promise.all(
    numbers.map(async (partNumber) => ({
      partNumber,
      checksumSha256: await sha256Base64(partOf(bytes, upload.partSize, partNumber)),
    })),
  );
  return ok<Signed>(await h.trpc("files.signParts", { fileId: upload.fileId, parts }, { token: user.token }))
    .parts;
}

async function openUploads(): Promise<string[]> {
  return (await h.signer.listMultipartUploads("u/")).uploads.map((u) => u.key);
}

describe("files.createUpload decides the plan by size", () => {
  it("below the threshold: one PUT, as before, with plan 'single'", async () => {
    const small = ok<{ plan: string; url: string }>(
      await h.trpc(
        "files.createUpload",
        { filename: "a.txt", contentType: "text/plain", size: 1000 },
        { token: alice.token },
      ),
    );
    expect(small.plan).toBe("single");
    expect(small.url).toMatch(/^http/);
  });

  it("from the threshold on: a multipart upload created by the server, 16 MiB parts", async () => {
    const bytes = bigFile();
    const upload = await start(alice, bytes);
    expect(upload).toMatchObject({ plan: "multipart", partSize: 16 * MiB, partCount: 2 });
    expect(upload).not.toHaveProperty("url");
    expect(upload).not.toHaveProperty("uploadId");
    expect(await openUploads()).toContain(upload.key);
    await h.caller(alice).files.abortUpload({ fileId: upload.fileId });
    expect(await openUploads()).not.toContain(upload.key);
  });

  it("the limits procedure tells the threshold and the part size rule", async () => {
    const limits = await h.caller(null).limits();
    expect(limits).toMatchObject({
      multipartThresholdBytes: MiB,
      multipartPartSize: 16 * MiB,
      multipartMaxParts: 10_000,
    });
  });
});

describe("parts signed on demand, listed from storage, completed by the server", () => {
  it("uploads in parts, resumes from the server's list, completes once and downloads byte-identical", async () => {
    const bytes = bigFile();
    const upload = await start(alice, bytes);
    const who = { token: alice.token };
    expect(ok<Parts>(await h.trpc("files.listParts", { fileId: upload.fileId }, who, "query")).parts).toEqual(
      [],
    );

    const [, second] = await sign(alice, upload, bytes, [1, 2]);
    expect(second?.headers["content-length"]).toBe(String(4 * MiB));
    expect(second?.headers["x-amz-checksum-sha256"]).toBe(await sha256Base64(partOf(bytes, 16 * MiB, 2)));
    expect((await browserPut(second!.url, second!.headers, partOf(bytes, 16 * MiB, 2))).status).toBe(200);

    // Completing early names what is missing and leaves the upload pending.
    const early = await h.trpc("files.completeUpload", { fileId: upload.fileId }, who);
    expect(early).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(!early.ok && early.message).toBe(
      "Upload incomplete: part 1 has not arrived; send it and complete again",
    );
    const listed = ok<Parts>(await h.trpc("files.listParts", { fileId: upload.fileId }, who, "query"));
    expect(listed.parts).toEqual([
      { partNumber: 2, size: 4 * MiB, etag: expect.any(String), checksumSha256: expect.any(String) },
    ]);

    // The resume: only part 1 is still to send.
    const [first] = await sign(alice, upload, bytes, [1]);
    expect((await browserPut(first!.url, first!.headers, partOf(bytes, 16 * MiB, 1))).status).toBe(200);
    const done = await h.trpc("files.completeUpload", { fileId: upload.fileId }, who);
    expect(done).toMatchObject({ ok: true, data: { status: "ready", size: bytes.length } });
    expect(await h.trpc("files.completeUpload", { fileId: upload.fileId }, who)).toMatchObject({
      ok: true,
      data: { status: "ready" },
    });
    expect(await openUploads()).not.toContain(upload.key);

    const { url } = await h.caller(alice).files.downloadUrl({ fileId: upload.fileId });
    const got = new Uint8Array(await (await fetch(url)).arrayBuffer());
    expect(got.length).toBe(bytes.length);
    expect(Buffer.compare(got, bytes)).toBe(0);

    // A completed upload takes no more parts.
    const late = await h.trpc(
      "files.signParts",
      { fileId: upload.fileId, parts: [{ partNumber: 1, checksumSha256: await sha256Base64(bytes) }] },
      who,
    );
    expect(late).toMatchObject({ ok: false, code: "BAD_REQUEST", message: "fileId: the upload is ready" });
  }, 60_000);

  it("storage refuses a part whose bytes differ from the declared checksum", async () => {
    const bytes = bigFile();
    const upload = await start(alice, bytes);
    const [second] = await sign(alice, upload, bytes, [2]);
    const wrong = partOf(bytes, 16 * MiB, 2).slice();
    wrong[0] = (wrong[0] ?? 0) ^ 0xff;
    const refused = await browserPut(second!.url, second!.headers, wrong);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("BadDigest");
    await h.caller(alice).files.abortUpload({ fileId: upload.fileId });
  });

  it("completion holds each part to the checksum it was last signed with, and forgets them once settled", async () => {
    const bytes = bigFile();
    const upload = await start(alice, bytes);
    const who = { token: alice.token };
    for (const part of await sign(alice, upload, bytes, [1, 2])) {
      const body = partOf(bytes, 16 * MiB, part.partNumber);
      expect((await browserPut(part.url, part.headers, body)).status).toBe(200);
    }
    // Part 2 signed again for other bytes: what the storage holds is no longer what was declared for it.
    const other = partOf(bytes, 16 * MiB, 2).slice();
    other[0] = (other[0] ?? 0) ^ 0xff;
    const checksumSha256 = await sha256Base64(other);
    const [resigned] = ok<Signed>(
      await h.trpc(
        "files.signParts",
        { fileId: upload.fileId, parts: [{ partNumber: 2, checksumSha256 }] },
        who,
      ),
    ).parts;
    const listed = ok<Parts>(await h.trpc("files.listParts", { fileId: upload.fileId }, who, "query"));
    expect(listed.parts.map((p) => p.partNumber)).toEqual([1]);
    const refused = await h.trpc("files.completeUpload", { fileId: upload.fileId }, who);
    expect(refused).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(!refused.ok && refused.message).toBe(
      "Upload incomplete: part 2 does not match the checksum it was signed with; send it and complete again",
    );

    // Sending the declared bytes puts it right; the object is what was declared, and nothing is kept after.
    expect((await browserPut(resigned!.url, resigned!.headers, other)).status).toBe(200);
    const done = await h.trpc("files.completeUpload", { fileId: upload.fileId }, who);
    expect(done).toMatchObject({ ok: true, data: { status: "ready" } });
    const { url } = await h.caller(alice).files.downloadUrl({ fileId: upload.fileId });
    const got = new Uint8Array(await (await fetch(url)).arrayBuffer());
    expect(Buffer.compare(got, Buffer.concat([partOf(bytes, 16 * MiB, 1), other]))).toBe(0);
    expect(await h.db.select().from(uploadPart).where(eq(uploadPart.fileId, upload.fileId))).toEqual([]);
  }, 60_000);

  it("a part URL that expired is refused by storage, and signing it again works", async () => {
    const bytes = bigFile();
    const upload = await start(alice, bytes);
    const [second] = await sign(alice, upload, bytes, [2]);
    h.advance(601);
    const expired = await browserPut(second!.url, second!.headers, partOf(bytes, 16 * MiB, 2));
    expect(expired.status).toBe(403);
    const [again] = await sign(alice, upload, bytes, [2]);
    expect((await browserPut(again!.url, again!.headers, partOf(bytes, 16 * MiB, 2))).status).toBe(200);
    await h.caller(alice).files.abortUpload({ fileId: upload.fileId });
    expect(await openUploads()).not.toContain(upload.key);
  });

  it("refuses part numbers out of range and a single-PUT upload, naming the field", async () => {
    const bytes = bigFile();
    const upload = await start(alice, bytes);
    const checksumSha256 = await sha256Base64(bytes.subarray(0, 10));
    const who = { token: alice.token };
    const beyond = await h.trpc(
      "files.signParts",
      { fileId: upload.fileId, parts: [{ partNumber: 3, checksumSha256 }] },
      who,
    );
    expect(beyond).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(!beyond.ok && beyond.message).toMatch(/^parts\.0\.partNumber: this upload has parts 1\.\.2/);
    const zero = await h.trpc(
      "files.signParts",
      { fileId: upload.fileId, parts: [{ partNumber: 0, checksumSha256 }] },
      who,
    );
    expect(zero).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(!zero.ok && zero.message).toMatch(/partNumber/);

    const single = ok<{ fileId: string }>(
      await h.trpc("files.createUpload", { filename: "s.txt", contentType: "text/plain", size: 10 }, who),
    );
    const notParts = await h.trpc(
      "files.signParts",
      { fileId: single.fileId, parts: [{ partNumber: 1, checksumSha256 }] },
      who,
    );
    expect(notParts).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(!notParts.ok && notParts.message).toMatch(/single PUT/);
    await h.caller(alice).files.abortUpload({ fileId: upload.fileId });
  });

  it("another user's fileId is NOT_FOUND on every multipart procedure", async () => {
    const bytes = bigFile();
    const upload = await start(alice, bytes);
    const checksumSha256 = await sha256Base64(bytes.subarray(0, 10));
    const asBob = { token: bob.token };
    const calls = [
      await h.trpc(
        "files.signParts",
        { fileId: upload.fileId, parts: [{ partNumber: 1, checksumSha256 }] },
        asBob,
      ),
      await h.trpc("files.listParts", { fileId: upload.fileId }, asBob, "query"),
      await h.trpc("files.completeUpload", { fileId: upload.fileId }, asBob),
      await h.trpc("files.abortUpload", { fileId: upload.fileId }, asBob),
    ];
    for (const call of calls) expect(call).toMatchObject({ ok: false, code: "NOT_FOUND" });
    expect(await openUploads()).toContain(upload.key);
    await h.caller(alice).files.abortUpload({ fileId: upload.fileId });
  });
});

describe("the sweeper leaves no multipart upload behind", () => {
  it("aborts an expired multipart upload (quota released) and an orphan no row knows", async () => {
    const carol = await h.signUp();
    const bytes = bigFile();
    const upload = await start(carol, bytes);
    const [first] = await sign(carol, upload, bytes, [1]);
    expect((await browserPut(first!.url, first!.headers, partOf(bytes, 16 * MiB, 1))).status).toBe(200);
    const orphanKey = `u/${carol.id}/orphan.bin`;
    await h.signer.createMultipartUpload(orphanKey);
    expect(await openUploads()).toEqual(expect.arrayContaining([upload.key, orphanKey]));

    h.advance(86_400 + 61);
    const result = await h.signet.sweep();
    expect(result.rejected).toBeGreaterThanOrEqual(1);
    expect(result.orphansAborted).toBeGreaterThanOrEqual(1);
    expect(await openUploads()).toEqual([]);
    expect(await h.caller(carol).files.get({ fileId: upload.fileId })).toMatchObject({ status: "rejected" });
    // The quota is back: the same size can be announced again.
    const again = await start(carol, bytes);
    await h.caller(carol).files.abortUpload({ fileId: again.fileId });
    expect(await openUploads()).toEqual([]);
  }, 60_000);
});
