// The same endpoint driven by @signet/signer: the URLs Signet hands to browsers, and the S3 calls its server makes.
import { createHash } from "node:crypto";
import { contentDisposition, createSigner, type Signer } from "@signet/signer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytes, CREDS, type Endpoint, outcome, startEndpoint } from "./testing.ts";

const MiB = 1024 * 1024;
let ep: Endpoint;
let signer: Signer;
let clock: Date | undefined;

beforeAll(async () => {
  ep = await startEndpoint();
  signer = createSigner({ endpoint: ep.url, bucket: "signet", ...CREDS, now: () => clock ?? new Date() });
  await signer.createBucket();
});
afterAll(() => ep.close());

const sha256 = (body: Uint8Array | string) => createHash("sha256").update(body).digest("base64");

describe("presigned URLs from @signet/signer", () => {
  it("an upload URL with every constraint is accepted exactly as signed, then downloads with overrides", async () => {
    const body = new TextEncoder().encode("signed upload body");
    const put = await signer.presignPut("u/1/ré sumé+v1.txt", {
      expiresIn: 600,
      contentType: "text/plain",
      contentLength: body.length,
      checksumSha256: sha256(body),
      metadata: { "original-name": "résumé.txt", owner: "u1" },
      ifNoneMatch: "*",
      cacheControl: "private, max-age=60",
    });
    const res = await fetch(put.url, { method: put.method, headers: put.headers, body });
    expect(res.status).toBe(200);

    const head = await signer.headObject("u/1/ré sumé+v1.txt");
    expect(head).toMatchObject({
      size: body.length,
      contentType: "text/plain",
      checksumSha256: sha256(body),
    });
    expect(head?.metadata.owner).toBe("u1");
    expect(head?.cacheControl).toBe("private, max-age=60");

    const get = await signer.presignGet("u/1/ré sumé+v1.txt", {
      expiresIn: 60,
      responseContentDisposition: contentDisposition("résumé.txt", "attachment"),
      responseContentType: "text/markdown",
    });
    const download = await fetch(get.url, { headers: get.headers });
    expect(download.status).toBe(200);
    expect(await download.text()).toBe("signed upload body");
    expect(download.headers.get("content-disposition")).toBe(contentDisposition("résumé.txt", "attachment"));
    expect(download.headers.get("content-type")).toBe("text/markdown");

    const headUrl = await signer.presignHead("u/1/ré sumé+v1.txt", { expiresIn: 60 });
    expect((await fetch(headUrl.url, { method: "HEAD", headers: headUrl.headers })).status).toBe(200);
  });

  it("refuses a second create through an ifNoneMatch URL (412)", async () => {
    const put = await signer.presignPut("once.txt", {
      expiresIn: 60,
      contentType: "text/plain",
      contentLength: 1,
      ifNoneMatch: "*",
    });
    expect((await fetch(put.url, { method: "PUT", headers: put.headers, body: "a" })).status).toBe(200);
    const again = await signer.presignPut("once.txt", {
      expiresIn: 60,
      contentType: "text/plain",
      contentLength: 1,
      ifNoneMatch: "*",
    });
    expect(
      await outcome(await fetch(again.url, { method: "PUT", headers: again.headers, body: "b" })),
    ).toMatchObject({
      status: 412,
      code: "PreconditionFailed",
    });
  });

  it("refuses a body of another size (403) or another checksum (400 BadDigest)", async () => {
    const put = await signer.presignPut("strict.txt", {
      expiresIn: 60,
      contentType: "text/plain",
      contentLength: 4,
      checksumSha256: sha256("good"),
    });
    // A browser cannot set Content-Length: it sends the body's real length, which no longer matches the signature.
    const { "content-length": _signedLength, ...browserHeaders } = put.headers;
    expect((await fetch(put.url, { method: "PUT", headers: browserHeaders, body: "longer" })).status).toBe(
      403,
    );
    expect(
      await outcome(await fetch(put.url, { method: "PUT", headers: put.headers, body: "evil" })),
    ).toMatchObject({
      status: 400,
      code: "BadDigest",
    });
    expect((await fetch(put.url, { method: "PUT", headers: put.headers, body: "good" })).status).toBe(200);
  });

  it("refuses the URL once expired", async () => {
    clock = new Date(Date.now() - 120_000);
    const get = await signer.presignGet("strict.txt", { expiresIn: 60 });
    clock = undefined;
    expect(await outcome(await fetch(get.url))).toMatchObject({ status: 403, code: "AccessDenied" });
  });

  it("deletes through a DELETE URL", async () => {
    const del = await signer.presignDelete("strict.txt", { expiresIn: 60 });
    expect((await fetch(del.url, { method: "DELETE", headers: del.headers })).status).toBe(204);
    expect(await signer.headObject("strict.txt")).toBeNull();
  });
});

describe("the server's S3 calls from @signet/signer", () => {
  it("multipart with presigned parts, listParts, complete, ranged read, copy, list and delete", async () => {
    const { uploadId } = await signer.createMultipartUpload("mp/video.bin", { contentType: "video/mp4" });
    const parts = [bytes(5 * MiB, 7), bytes(123, 8)];
    for (const [i, body] of parts.entries()) {
      const url = await signer.presignUploadPart("mp/video.bin", uploadId, i + 1, {
        expiresIn: 60,
        contentLength: body.length,
        checksumSha256: sha256(body),
      });
      expect((await fetch(url.url, { method: "PUT", headers: url.headers, body })).status).toBe(200);
    }
    const listed = await signer.listParts("mp/video.bin", uploadId);
    expect(listed.map((p) => p.size)).toEqual([5 * MiB, 123]);
    const { etag } = await signer.completeMultipartUpload("mp/video.bin", uploadId, listed, {
      ifNoneMatch: "*",
    });
    expect(etag).toMatch(/-2"$/);

    const range = await signer.getObjectRange("mp/video.bin", 5 * MiB, 5 * MiB + 9);
    expect(range).toEqual(parts[1]?.subarray(0, 10));

    await signer.copyObject("mp/video.bin", "mp/copy.bin", {
      ifMatch: etag,
      contentType: "application/octet-stream",
    });
    expect((await signer.headObject("mp/copy.bin"))?.contentType).toBe("application/octet-stream");
    const page = await signer.listObjects("mp/");
    expect(page.objects.map((o) => o.key)).toEqual(["mp/copy.bin", "mp/video.bin"]);
    await signer.deleteObject("mp/copy.bin");
    expect(await signer.headObject("mp/copy.bin")).toBeNull();
  });

  it("abortMultipartUpload drops the upload", async () => {
    const { uploadId } = await signer.createMultipartUpload("mp/aborted.bin");
    await signer.abortMultipartUpload("mp/aborted.bin", uploadId);
    await expect(signer.listParts("mp/aborted.bin", uploadId)).rejects.toMatchObject({
      code: "NoSuchUpload",
    });
  });

  it("putBucketCors / getBucketCors round-trip, and the preflight follows the rules", async () => {
    await signer.putBucketCors([
      {
        allowedOrigins: ["http://localhost:8787"],
        allowedMethods: ["PUT", "GET"],
        allowedHeaders: ["content-type", "x-amz-meta-*", "if-none-match"],
        exposeHeaders: ["ETag"],
        maxAgeSeconds: 600,
      },
    ]);
    const rules = await signer.getBucketCors();
    expect(rules[0]?.allowedHeaders).toEqual(["content-type", "x-amz-meta-*", "if-none-match"]);
    const preflight = await fetch(`${ep.url}/signet/some/key`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:8787",
        "access-control-request-method": "PUT",
        "access-control-request-headers": "content-type,if-none-match,x-amz-meta-original-name",
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get("access-control-expose-headers")).toBe("ETag");
  });

  it("createBucket on an existing bucket is fine for the signer", async () => {
    await expect(signer.createBucket()).resolves.toBeUndefined();
  });
});
