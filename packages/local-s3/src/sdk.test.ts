// The same endpoint driven by AWS's own implementation: @aws-sdk/client-s3 (header-signed) and
// @aws-sdk/s3-request-presigner (query-signed). SDK >= 3.729 adds CRC32 checksums to requests unless told
// WHEN_REQUIRED; operations that require one (PutBucketCors) still send it, which the endpoint verifies.
import { createHash } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCorsCommand,
  DeleteObjectCommand,
  GetBucketCorsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytes, CREDS, type Endpoint, outcome, startEndpoint } from "./testing.ts";

const MiB = 1024 * 1024;
const Bucket = "sdk-bucket";
let ep: Endpoint;
let client: S3Client;

beforeAll(async () => {
  ep = await startEndpoint();
  client = new S3Client({
    endpoint: ep.url,
    region: "auto",
    forcePathStyle: true,
    credentials: CREDS,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 1,
  });
  await client.send(new CreateBucketCommand({ Bucket }));
});
afterAll(async () => {
  client.destroy();
  await ep.close();
});

describe("@aws-sdk/client-s3", () => {
  it("HeadBucket, PutObject, HeadObject, GetObject with metadata and checksum", async () => {
    await client.send(new HeadBucketCommand({ Bucket }));
    const body = "from the aws sdk";
    const checksum = createHash("sha256").update(body).digest("base64");
    const put = await client.send(
      new PutObjectCommand({
        Bucket,
        Key: "dir/sdk object.txt",
        Body: body,
        ContentType: "text/plain",
        CacheControl: "no-cache",
        ContentDisposition: "inline",
        Metadata: { origin: "sdk" },
        ChecksumSHA256: checksum,
      }),
    );
    expect(put.ETag).toBe(`"${createHash("md5").update(body).digest("hex")}"`);
    const head = await client.send(
      new HeadObjectCommand({ Bucket, Key: "dir/sdk object.txt", ChecksumMode: "ENABLED" }),
    );
    expect(head).toMatchObject({
      ContentLength: body.length,
      ContentType: "text/plain",
      CacheControl: "no-cache",
      ContentDisposition: "inline",
      Metadata: { origin: "sdk" },
      ChecksumSHA256: checksum,
    });
    const get = await client.send(
      new GetObjectCommand({ Bucket, Key: "dir/sdk object.txt", Range: "bytes=5-7" }),
    );
    expect(await get.Body?.transformToString()).toBe("the");
    expect(get.ContentRange).toBe(`bytes 5-7/${body.length}`);
  });

  it("surfaces S3 error codes the SDK understands", async () => {
    await expect(client.send(new GetObjectCommand({ Bucket, Key: "missing" }))).rejects.toMatchObject({
      name: "NoSuchKey",
    });
    await expect(
      client.send(new PutObjectCommand({ Bucket, Key: "dir/sdk object.txt", Body: "x", IfNoneMatch: "*" })),
    ).rejects.toMatchObject({ name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } });
    await expect(client.send(new CreateBucketCommand({ Bucket }))).rejects.toMatchObject({
      name: "BucketAlreadyOwnedByYou",
    });
  });

  it("CopyObject, ListObjectsV2 with delimiter, DeleteObject", async () => {
    const copy = await client.send(
      new CopyObjectCommand({ Bucket, Key: "dir/copy.txt", CopySource: `${Bucket}/dir/sdk%20object.txt` }),
    );
    expect(copy.CopyObjectResult?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const list = await client.send(new ListObjectsV2Command({ Bucket, Prefix: "dir/", Delimiter: "/" }));
    expect(list.Contents?.map((c) => c.Key)).toEqual(["dir/copy.txt", "dir/sdk object.txt"]);
    expect(list.KeyCount).toBe(2);
    await client.send(new DeleteObjectCommand({ Bucket, Key: "dir/copy.txt" }));
    const after = await client.send(new ListObjectsV2Command({ Bucket, Prefix: "dir/" }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(["dir/sdk object.txt"]);
  });

  it("multipart: create, upload parts, list parts and uploads, complete; and abort", async () => {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: "mp.bin" }));
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket }));
    expect(uploads.Uploads?.map((u) => u.UploadId)).toContain(UploadId);
    const bodies = [bytes(5 * MiB, 11), bytes(10, 12)];
    const parts = [];
    for (const [i, Body] of bodies.entries()) {
      const res = await client.send(
        new UploadPartCommand({ Bucket, Key: "mp.bin", UploadId, PartNumber: i + 1, Body }),
      );
      parts.push({ PartNumber: i + 1, ETag: res.ETag });
    }
    const listed = await client.send(new ListPartsCommand({ Bucket, Key: "mp.bin", UploadId }));
    expect(listed.Parts?.map((p) => p.Size)).toEqual([5 * MiB, 10]);
    const done = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: "mp.bin",
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    expect(done.ETag).toMatch(/-2"$/);
    const head = await client.send(new HeadObjectCommand({ Bucket, Key: "mp.bin" }));
    expect(head.ContentLength).toBe(5 * MiB + 10);

    const aborted = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: "gone.bin" }));
    await client.send(
      new AbortMultipartUploadCommand({ Bucket, Key: "gone.bin", UploadId: aborted.UploadId }),
    );
    await expect(
      client.send(new ListPartsCommand({ Bucket, Key: "gone.bin", UploadId: aborted.UploadId })),
    ).rejects.toMatchObject({ name: "NoSuchUpload" });
  });

  it("PutBucketCors (with the SDK's required CRC32), GetBucketCors, DeleteBucketCors", async () => {
    await client.send(
      new PutBucketCorsCommand({
        Bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: ["https://app.test"],
              AllowedMethods: ["PUT"],
              AllowedHeaders: ["*"],
              ExposeHeaders: ["ETag"],
            },
          ],
        },
      }),
    );
    const cors = await client.send(new GetBucketCorsCommand({ Bucket }));
    expect(cors.CORSRules?.[0]).toMatchObject({
      AllowedOrigins: ["https://app.test"],
      ExposeHeaders: ["ETag"],
    });
    await client.send(new DeleteBucketCorsCommand({ Bucket }));
    await expect(client.send(new GetBucketCorsCommand({ Bucket }))).rejects.toMatchObject({
      name: "NoSuchCORSConfiguration",
    });
  });
});

describe("@aws-sdk/s3-request-presigner", () => {
  it("presigned PUT and GET work, with signed content-type and response overrides", async () => {
    const putUrl = await getSignedUrl(
      client,
      new PutObjectCommand({ Bucket, Key: "presigned/ünïcode & co.txt", ContentType: "text/plain" }),
      // The presigner leaves content-type unsigned unless asked; Signet always signs it.
      { expiresIn: 300, signableHeaders: new Set(["content-type"]) },
    );
    const put = await fetch(putUrl, {
      method: "PUT",
      body: "presigned by aws",
      headers: { "content-type": "text/plain" },
    });
    expect(put.status).toBe(200);
    const wrongType = await fetch(putUrl, {
      method: "PUT",
      body: "x",
      headers: { "content-type": "text/html" },
    });
    expect(await outcome(wrongType)).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });

    const getUrl = await getSignedUrl(
      client,
      new GetObjectCommand({
        Bucket,
        Key: "presigned/ünïcode & co.txt",
        ResponseContentDisposition: 'attachment; filename="x.txt"',
      }),
      { expiresIn: 300 },
    );
    const get = await fetch(getUrl);
    expect(await get.text()).toBe("presigned by aws");
    expect(get.headers.get("content-disposition")).toBe('attachment; filename="x.txt"');
  });

  it("a presigned URL signed in the past expires (403 AccessDenied)", async () => {
    const url = await getSignedUrl(
      client,
      new GetObjectCommand({ Bucket, Key: "presigned/ünïcode & co.txt" }),
      {
        expiresIn: 60,
        signingDate: new Date(Date.now() - 3600_000),
      },
    );
    expect(await outcome(await fetch(url))).toMatchObject({ status: 403, code: "AccessDenied" });
  });
});
