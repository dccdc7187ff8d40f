import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createSigner, S3Error, type Signer } from "./index.ts";

// The S3 calls against a real HTTP server answering the way S3 documents it, including answers a healthy
// endpoint rarely gives (an <Error> inside a 200, truncated listings, bodiless errors). s3-calls.test.ts runs
// the same calls against @signet/local-s3. Each test scripts the responses and checks what the signer sent.

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: string;
}
type Reply = { status: number; headers?: Record<string, string>; body?: string | Uint8Array };
type Handler = (request: Seen) => Reply;

const NOW = new Date("2026-03-14T15:09:26Z");
const servers: { close(): void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function serve(handler: Handler): Promise<{ signer: Signer; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://localhost");
    const request = {
      method: req.method ?? "",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    seen.push(request);
    const reply = handler(request);
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  const signer = createSigner({
    endpoint: `http://127.0.0.1:${port}`,
    bucket: "bucket",
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    now: () => NOW,
  });
  return { signer, seen };
}

const XML_HEADERS = { "content-type": "application/xml", "x-amz-request-id": "REQ" };
const errorBody = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>`;

describe("headObject", () => {
  it("reads every field, asks for the checksum and signs with the injected clock", async () => {
    const { signer, seen } = await serve(() => ({
      status: 200,
      headers: {
        "content-length": "1234",
        "content-type": "image/png",
        etag: '"abc"',
        "last-modified": "Sat, 14 Mar 2026 15:00:00 GMT",
        "x-amz-checksum-sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "cache-control": "no-cache",
        "content-disposition": 'attachment; filename="a.png"',
        "x-amz-meta-owner": "u-1",
        "x-amz-meta-note": "caf%C3%A9",
      },
    }));
    expect(await signer.headObject("dir/a b+.png")).toEqual({
      size: 1234,
      contentType: "image/png",
      etag: '"abc"',
      lastModified: new Date("2026-03-14T15:00:00Z"),
      checksumSha256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
      cacheControl: "no-cache",
      contentDisposition: 'attachment; filename="a.png"',
      metadata: { owner: "u-1", note: "caf%C3%A9" },
    });
    const [request] = seen;
    expect(request).toMatchObject({ method: "HEAD", path: "/bucket/dir/a%20b%2B.png" });
    expect(request?.headers["x-amz-checksum-mode"]).toBe("ENABLED");
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260314\/auto\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-checksum-mode[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers["x-amz-date"]).toBe("20260314T150926Z");
  });

  it("answers null for a missing key and throws S3Error for other failures", async () => {
    const { signer } = await serve(({ path }) =>
      path.endsWith("/missing") ? { status: 404 } : { status: 403, headers: { "x-amz-request-id": "R403" } },
    );
    expect(await signer.headObject("missing")).toBeNull();
    await expect(signer.headObject("secret")).rejects.toMatchObject({
      name: "S3Error",
      code: "Forbidden",
      status: 403,
      requestId: "R403",
    });
  });
});

describe("getObjectRange", () => {
  const object = new TextEncoder().encode("0123456789");
  it("sends an inclusive Range and returns those bytes", async () => {
    const { signer, seen } = await serve(() => ({ status: 206, body: object.subarray(2, 6) }));
    expect(new TextDecoder().decode(await signer.getObjectRange("k", 2, 5))).toBe("2345");
    expect(seen[0]?.headers.range).toBe("bytes=2-5");
  });

  it("cuts the range out itself when the server ignores Range", async () => {
    const { signer } = await serve(() => ({ status: 200, body: object }));
    expect(new TextDecoder().decode(await signer.getObjectRange("k", 0, 3))).toBe("0123");
  });

  it("throws InvalidRange and rejects bad bounds by name", async () => {
    const { signer } = await serve(() => ({
      status: 416,
      headers: XML_HEADERS,
      body: errorBody("InvalidRange", "The requested range is not satisfiable"),
    }));
    await expect(signer.getObjectRange("k", 100, 200)).rejects.toMatchObject({
      code: "InvalidRange",
      status: 416,
    });
    await expect(signer.getObjectRange("k", 5, 4)).rejects.toMatchObject({ field: "end" });
    await expect(signer.getObjectRange("k", -1, 4)).rejects.toMatchObject({ field: "start" });
  });
});

describe("deleteObject", () => {
  it("succeeds for present and absent keys, throws for denied ones and a missing bucket", async () => {
    const { signer, seen } = await serve(({ path }) =>
      path.endsWith("/no-bucket")
        ? { status: 404, body: errorBody("NoSuchBucket", "The specified bucket does not exist") }
        : path.endsWith("/denied")
          ? { status: 403, headers: XML_HEADERS, body: errorBody("AccessDenied", "Access Denied") }
          : path.endsWith("/gone")
            ? {
                status: 404,
                headers: XML_HEADERS,
                body: errorBody("NoSuchKey", "The specified key does not exist."),
              }
            : { status: 204 },
    );
    await expect(signer.deleteObject("present")).resolves.toBeUndefined();
    await expect(signer.deleteObject("gone")).resolves.toBeUndefined();
    const error = await signer.deleteObject("denied").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3Error);
    expect(error).toMatchObject({
      code: "AccessDenied",
      status: 403,
      message: "Access Denied",
      requestId: "4442587FB7D0A2F9",
    });
    await expect(signer.deleteObject("no-bucket")).rejects.toMatchObject({
      code: "NoSuchBucket",
      status: 404,
    });
    expect(seen.map((r) => r.method)).toEqual(["DELETE", "DELETE", "DELETE", "DELETE"]);
  });
});

describe("copyObject", () => {
  it("sends the encoded source, the directive and the replacement headers", async () => {
    const { signer, seen } = await serve(() => ({
      status: 200,
      headers: XML_HEADERS,
      body: `<CopyObjectResult><LastModified>2026-03-14T15:09:26.000Z</LastModified><ETag>&quot;9b2c&quot;</ETag></CopyObjectResult>`,
    }));
    expect(
      await signer.copyObject("staging/a b.png", "avatars/u 1", {
        ifMatch: '"src"',
        contentType: "image/png",
        metadata: { owner: "u-1" },
        cacheControl: "no-cache",
      }),
    ).toEqual({ etag: '"9b2c"' });
    const headers = seen[0]?.headers ?? {};
    expect(seen[0]).toMatchObject({ method: "PUT", path: "/bucket/avatars/u%201" });
    expect(headers["x-amz-copy-source"]).toBe("bucket/staging/a%20b.png");
    expect(headers["x-amz-metadata-directive"]).toBe("REPLACE");
    expect(headers["x-amz-copy-source-if-match"]).toBe('"src"');
    expect(headers["content-type"]).toBe("image/png");
    expect(headers["x-amz-meta-owner"]).toBe("u-1");
  });

  it("treats an <Error> inside a 200 as a failure, and 412 as PreconditionFailed", async () => {
    let reply: Reply = { status: 200, body: errorBody("InternalError", "We encountered an internal error.") };
    const { signer } = await serve(() => reply);
    await expect(signer.copyObject("a", "b")).rejects.toMatchObject({ code: "InternalError", status: 200 });
    reply = {
      status: 412,
      body: errorBody("PreconditionFailed", "At least one of the pre-conditions you specified did not hold"),
    };
    await expect(signer.copyObject("a", "b", { ifMatch: '"x"' })).rejects.toMatchObject({
      code: "PreconditionFailed",
      status: 412,
    });
    await expect(
      signer.copyObject("a", "b", { metadataDirective: "COPY", contentType: "text/plain" }),
    ).rejects.toMatchObject({
      field: "metadataDirective",
    });
  });
});

describe("multipart", () => {
  it("creates, lists (across pages), completes and aborts", async () => {
    const { signer, seen } = await serve(({ method, query }) => {
      if (method === "POST" && query.has("uploads")) {
        return {
          status: 200,
          body: `<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>big</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>`,
        };
      }
      if (method === "GET" && !query.get("part-number-marker")) {
        return {
          status: 200,
          body: `<ListPartsResult><PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>1</NextPartNumberMarker><IsTruncated>true</IsTruncated><Part><PartNumber>1</PartNumber><ETag>"e1"</ETag><Size>5242880</Size></Part></ListPartsResult>`,
        };
      }
      if (method === "GET") {
        return {
          status: 200,
          body: `<ListPartsResult><PartNumberMarker>1</PartNumberMarker><IsTruncated>false</IsTruncated><Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag><Size>10</Size></Part></ListPartsResult>`,
        };
      }
      if (method === "POST") {
        return {
          status: 200,
          body: `<CompleteMultipartUploadResult><Location>x</Location><ETag>"3858f62230ac3c915f300c664312c11f-2"</ETag></CompleteMultipartUploadResult>`,
        };
      }
      return { status: 404, body: errorBody("NoSuchUpload", "The specified upload does not exist.") };
    });
    expect(
      await signer.createMultipartUpload("big", { contentType: "application/zip", metadata: { a: "b" } }),
    ).toEqual({
      uploadId: "VXBsb2FkIElE",
    });
    expect(await signer.listParts("big", "VXBsb2FkIElE")).toEqual([
      { partNumber: 1, etag: '"e1"', size: 5242880 },
      { partNumber: 2, etag: '"e2"', size: 10 },
    ]);
    const parts = [
      { partNumber: 2, etag: '"e2"' },
      { partNumber: 1, etag: '"e1"' },
    ];
    expect(await signer.completeMultipartUpload("big", "VXBsb2FkIElE", parts, { ifNoneMatch: "*" })).toEqual({
      etag: '"3858f62230ac3c915f300c664312c11f-2"',
    });
    await expect(signer.abortMultipartUpload("big", "VXBsb2FkIElE")).resolves.toBeUndefined();

    const [create, list1, list2, complete, abort] = seen;
    expect(create?.headers["content-type"]).toBe("application/zip");
    expect(create?.headers["x-amz-meta-a"]).toBe("b");
    expect(list1?.query.get("uploadId")).toBe("VXBsb2FkIElE");
    expect(list2?.query.get("part-number-marker")).toBe("1");
    expect(complete?.headers["if-none-match"]).toBe("*");
    expect(complete?.body).toBe(
      `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part></CompleteMultipartUpload>`,
    );
    expect(abort).toMatchObject({ method: "DELETE" });
  });

  it("throws when a 200 CompleteMultipartUpload carries an <Error>", async () => {
    const { signer } = await serve(() => ({
      status: 200,
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n<Code>InternalError</Code>\n<Message>We encountered an internal error. Please try again.</Message>\n<RequestId>656c76696e6727732072657175657374</RequestId>\n<HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>\n</Error>`,
    }));
    const error = await signer
      .completeMultipartUpload("big", "id", [{ partNumber: 1, etag: '"e"' }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3Error);
    expect(error).toMatchObject({
      code: "InternalError",
      status: 200,
      requestId: "656c76696e6727732072657175657374",
    });
  });

  it("rejects bad parts by name before sending anything", async () => {
    const { signer, seen } = await serve(() => ({ status: 500 }));
    await expect(signer.completeMultipartUpload("k", "id", [])).rejects.toMatchObject({ field: "parts" });
    await expect(
      signer.completeMultipartUpload("k", "id", [{ partNumber: 0, etag: "e" }]),
    ).rejects.toMatchObject({
      field: "parts[0].partNumber",
    });
    await expect(
      signer.completeMultipartUpload("k", "id", [
        { partNumber: 1, etag: "a" },
        { partNumber: 1, etag: "b" },
      ]),
    ).rejects.toMatchObject({ field: "parts" });
    await expect(signer.listParts("k", "")).rejects.toMatchObject({ field: "uploadId" });
    expect(seen).toHaveLength(0);
  });
});

describe("listObjects", () => {
  it("reads a page, decodes keys and passes the continuation token", async () => {
    const { signer, seen } = await serve(({ query }) => ({
      status: 200,
      body: query.get("continuation-token")
        ? `<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>`
        : `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix>u/1/</Prefix><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken><Contents><Key>u/1/a &amp; b.txt</Key><LastModified>2026-03-14T15:00:00.000Z</LastModified><ETag>&quot;e1&quot;</ETag><Size>11</Size><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>u/1/b.txt</Key><LastModified>2026-03-14T15:01:00.000Z</LastModified><ETag>"e2"</ETag><Size>0</Size></Contents></ListBucketResult>`,
    }));
    const first = await signer.listObjects("u/1/");
    expect(first).toEqual({
      objects: [
        { key: "u/1/a & b.txt", size: 11, etag: '"e1"', lastModified: new Date("2026-03-14T15:00:00Z") },
        { key: "u/1/b.txt", size: 0, etag: '"e2"', lastModified: new Date("2026-03-14T15:01:00Z") },
      ],
      nextContinuationToken: "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=",
    });
    expect(await signer.listObjects("u/1/", first.nextContinuationToken)).toEqual({ objects: [] });
    expect(seen[0]).toMatchObject({ method: "GET", path: "/bucket" });
    expect(seen[0]?.query.get("list-type")).toBe("2");
    expect(seen[0]?.query.get("prefix")).toBe("u/1/");
    expect(seen[1]?.query.get("continuation-token")).toBe("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  });
});

describe("bucket CORS and creation", () => {
  it("puts CORS rules and reads the same shape back", async () => {
    let stored: string | undefined;
    const { signer, seen } = await serve(({ method, body }) => {
      if (method === "PUT") {
        stored = body;
        return { status: 200 };
      }
      return stored
        ? { status: 200, body: stored }
        : {
            status: 404,
            body: errorBody("NoSuchCORSConfiguration", "The CORS configuration does not exist"),
          };
    });
    expect(await signer.getBucketCors()).toEqual([]);
    const rules = [
      {
        allowedOrigins: ["http://localhost:8787"],
        allowedMethods: ["GET", "PUT", "HEAD"],
        allowedHeaders: ["content-type", "x-amz-*"],
        exposeHeaders: ["ETag"],
        maxAgeSeconds: 3600,
      },
      { allowedOrigins: ["*"], allowedMethods: ["GET"] },
    ];
    await signer.putBucketCors(rules);
    expect(await signer.getBucketCors()).toEqual(rules);
    const put = seen.find((r) => r.method === "PUT");
    expect(put?.query.has("cors")).toBe(true);
    expect(put?.headers["content-md5"]).toBe(
      createHash("md5")
        .update(put?.body ?? "")
        .digest("base64"),
    );
    await expect(
      signer.putBucketCors([{ allowedOrigins: ["*"], allowedMethods: ["PATCH"] }]),
    ).rejects.toMatchObject({
      field: "rules[0].allowedMethods[0]",
    });
    await expect(signer.putBucketCors([])).rejects.toMatchObject({ field: "rules" });
  });

  it("creates a bucket, accepts one we already own, refuses someone else's", async () => {
    let reply: Reply = { status: 200 };
    const { signer, seen } = await serve(() => reply);
    await expect(signer.createBucket()).resolves.toBeUndefined();
    reply = {
      status: 409,
      body: errorBody(
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
      ),
    };
    await expect(signer.createBucket()).resolves.toBeUndefined();
    reply = {
      status: 409,
      body: errorBody("BucketAlreadyExists", "The requested bucket name is not available."),
    };
    await expect(signer.createBucket()).rejects.toMatchObject({ code: "BucketAlreadyExists", status: 409 });
    expect(seen[0]).toMatchObject({ method: "PUT", path: "/bucket", body: "" });
  });
});
