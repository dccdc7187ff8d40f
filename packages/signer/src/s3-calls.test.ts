import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSigner, S3Error, type Signer } from "./index.ts";

// Every S3 call, and the presigned URLs a browser would use, against a real S3-speaking endpoint: the
// workspace's @signet/local-s3, started through its public CLI on port 0 (a process, not an import, so the
// two packages do not depend on each other).

const CREDENTIALS = { accessKeyId: "AKIDSIGNERTEST", secretAccessKey: "signer/test+SECRET=0123456789abcdef" };
let child: ChildProcess | undefined;
let dir = "";
let endpoint = "";
let signer: Signer;

async function startLocalS3(): Promise<string> {
  dir = await mkdtemp(path.join(os.tmpdir(), "signer-s3-calls-"));
  const args = ["--filter", "@signet/local-s3", "start", "--", "--port", "0", "--dir", dir];
  args.push("--access-key-id", CREDENTIALS.accessKeyId, "--secret-access-key", CREDENTIALS.secretAccessKey);
  // Its own process group, so pnpm, tsx and node all stop together.
  const started = spawn("pnpm", args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child = started;
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`local-s3 did not start:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /endpoint:\s+(http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    started.stdout?.on("data", read);
    started.stderr?.on("data", read);
    started.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`local-s3 exited with ${code}:\n${output}`));
    });
  });
}

beforeAll(async () => {
  endpoint = await startLocalS3();
  signer = createSigner({ endpoint, bucket: "signer-test", ...CREDENTIALS });
  await signer.createBucket();
}, 90_000);

afterAll(async () => {
  if (child?.pid) {
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    process.kill(-child.pid, "SIGTERM");
    await exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

const text = new TextEncoder();
async function sha256Base64(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return btoa(String.fromCharCode(...digest));
}

describe("against @signet/local-s3", () => {
  it("createBucket is idempotent for the owner", async () => {
    await expect(signer.createBucket()).resolves.toBeUndefined();
  });

  it("putBucketCors and getBucketCors round-trip", async () => {
    const rules = [
      {
        allowedOrigins: ["http://localhost:8787"],
        allowedMethods: ["GET", "PUT", "HEAD"],
        allowedHeaders: ["content-type", "content-length", "x-amz-checksum-sha256", "if-none-match"],
        exposeHeaders: ["ETag"],
        maxAgeSeconds: 600,
      },
    ];
    await signer.putBucketCors(rules);
    expect(await signer.getBucketCors()).toEqual(rules);
  });

  it("a presigned PUT with every constraint is accepted once; HEAD, range, GET, copy, list and delete follow", async () => {
    const key = "u/1/a b+c ü!'()*~.txt";
    const body = text.encode("hello world, signed");
    const checksum = await sha256Base64(body);
    const put = await signer.presignPut(key, {
      expiresIn: 60,
      contentType: "text/plain",
      contentLength: body.length,
      checksumSha256: checksum,
      metadata: { owner: "u-1", note: "café" },
      ifNoneMatch: "*",
      cacheControl: "no-cache",
    });
    expect((await fetch(put.url, { method: "PUT", headers: put.headers, body })).status).toBe(200);
    const again = await fetch(put.url, { method: "PUT", headers: put.headers, body });
    expect(again.status).toBe(412);
    await again.body?.cancel();
    const tampered = await fetch(put.url, {
      method: "PUT",
      headers: { ...put.headers, "content-type": "text/html" },
      body,
    });
    expect(tampered.status).toBe(403);
    await tampered.body?.cancel();

    const head = await signer.headObject(key);
    expect(head).toMatchObject({
      size: body.length,
      contentType: "text/plain",
      checksumSha256: checksum,
      cacheControl: "no-cache",
      metadata: { owner: "u-1", note: "caf%C3%A9" },
    });
    expect(head?.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(head?.lastModified).toBeInstanceOf(Date);
    expect(await signer.headObject("u/1/missing")).toBeNull();
    expect(new TextDecoder().decode(await signer.getObjectRange(key, 6, 10))).toBe("world");

    const get = await signer.presignGet(key, {
      expiresIn: 60,
      responseContentDisposition: 'attachment; filename="x.txt"',
      responseContentType: "application/octet-stream",
    });
    const download = await fetch(get.url);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toBe('attachment; filename="x.txt"');
    expect(download.headers.get("content-type")).toBe("application/octet-stream");
    expect(await download.text()).toBe("hello world, signed");
    const headUrl = await signer.presignHead(key, { expiresIn: 60 });
    const headResponse = await fetch(headUrl.url, { method: "HEAD" });
    expect([headResponse.status, headResponse.headers.get("content-length")]).toEqual([
      200,
      String(body.length),
    ]);

    const copy = await signer.copyObject(key, "u/1/copy.md", {
      ifMatch: head?.etag,
      contentType: "text/markdown",
      metadata: { x: "y" },
    });
    expect(copy.etag).toBe(head?.etag);
    expect(await signer.headObject("u/1/copy.md")).toMatchObject({
      contentType: "text/markdown",
      metadata: { x: "y" },
    });
    await expect(signer.copyObject(key, "u/1/other", { ifMatch: '"0000"' })).rejects.toMatchObject({
      name: "S3Error",
      code: "PreconditionFailed",
      status: 412,
    });

    const listed = await signer.listObjects("u/1/");
    expect(listed.objects.map((o) => o.key)).toEqual(["u/1/a b+c ü!'()*~.txt", "u/1/copy.md"]);
    expect(listed.objects[0]).toMatchObject({ size: body.length, etag: head?.etag });
    expect(listed.objects[0]?.lastModified).toBeInstanceOf(Date);
    expect(listed.nextContinuationToken).toBeUndefined();

    const del = await signer.presignDelete("u/1/copy.md", { expiresIn: 60 });
    expect((await fetch(del.url, { method: "DELETE" })).status).toBe(204);
    await signer.deleteObject(key);
    await signer.deleteObject(key);
    expect((await signer.listObjects("u/1/")).objects).toEqual([]);
  });

  it("multipart: presigned parts, listParts, complete; abort is idempotent", async () => {
    const key = "big/file.bin";
    const { uploadId } = await signer.createMultipartUpload(key, {
      contentType: "application/octet-stream",
      metadata: { a: "b" },
      checksumAlgorithm: "SHA256",
    });
    expect((await signer.listMultipartUploads("big/")).uploads).toEqual([
      { key, uploadId, initiated: expect.any(Date) },
    ]);
    const parts = [new Uint8Array(5 * 1024 * 1024).fill(1), new Uint8Array(1000).fill(2)];
    const uploaded: { partNumber: number; etag: string }[] = [];
    for (const [i, bytes] of parts.entries()) {
      const part = await signer.presignUploadPart(key, uploadId, i + 1, {
        expiresIn: 60,
        contentLength: bytes.length,
        checksumSha256: await sha256Base64(bytes),
      });
      const response = await fetch(part.url, { method: "PUT", headers: part.headers, body: bytes });
      expect(response.status).toBe(200);
      uploaded.push({ partNumber: i + 1, etag: response.headers.get("etag") ?? "" });
    }
    expect(await signer.listParts(key, uploadId)).toEqual([
      {
        partNumber: 1,
        etag: uploaded[0]?.etag,
        size: 5 * 1024 * 1024,
        checksumSha256: await sha256Base64(parts[0]!),
      },
      { partNumber: 2, etag: uploaded[1]?.etag, size: 1000, checksumSha256: await sha256Base64(parts[1]!) },
    ]);
    // A part's checksum, when given, must be the one the storage keeps for it.
    const listed = await signer.listParts(key, uploadId);
    const wrong = listed.map((p) => ({ ...p, checksumSha256: listed[1]!.checksumSha256 }));
    await expect(signer.completeMultipartUpload(key, uploadId, wrong)).rejects.toMatchObject({
      code: "InvalidPart",
    });
    await expect(
      signer.completeMultipartUpload(key, uploadId, [{ ...uploaded[0]!, checksumSha256: "not base64" }]),
    ).rejects.toThrow("parts[0].checksumSha256");
    const { etag } = await signer.completeMultipartUpload(key, uploadId, listed.toReversed(), {
      ifNoneMatch: "*",
    });
    expect(etag).toMatch(/-2"$/);
    expect(await signer.headObject(key)).toMatchObject({
      size: 5 * 1024 * 1024 + 1000,
      etag,
      metadata: { a: "b" },
    });

    const other = await signer.createMultipartUpload("big/other.bin");
    await signer.abortMultipartUpload("big/other.bin", other.uploadId);
    await signer.abortMultipartUpload("big/other.bin", other.uploadId);
    await expect(
      signer.completeMultipartUpload("big/other.bin", other.uploadId, [{ partNumber: 1, etag: '"x"' }]),
    ).rejects.toMatchObject({ code: "NoSuchUpload", status: 404 });
    expect((await signer.listMultipartUploads("big/")).uploads).toEqual([]);
    await signer.deleteObject(key);
  }, 30_000);

  it("wrong credentials and expired URLs are refused with S3 error codes", async () => {
    const wrong = createSigner({
      endpoint,
      bucket: "signer-test",
      ...CREDENTIALS,
      secretAccessKey: "not-the-secret",
    });
    const error = await wrong.listObjects("").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3Error);
    expect(error).toMatchObject({ code: "SignatureDoesNotMatch", status: 403 });

    const past = createSigner({
      endpoint,
      bucket: "signer-test",
      ...CREDENTIALS,
      now: () => new Date(Date.now() - 3_600_000),
    });
    const expired = await past.presignGet("anything", { expiresIn: 60 });
    const response = await fetch(expired.url);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("<Code>AccessDenied</Code>");
  });
});
