import { AwsClient } from "aws4fetch";
import { describe, expect, it } from "vitest";
import {
  contentDisposition,
  createSigner,
  type PresignedRequest,
  r2Endpoint,
  SignerInputError,
} from "./index.ts";

const NOW = new Date("2026-03-14T15:09:26.535Z");
const CREDENTIALS = {
  accessKeyId: "AKIAEXAMPLEKEY000001",
  secretAccessKey: "secret/with+chars=EXAMPLE0000000000000",
};
const ENDPOINT = "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com";
const CHECKSUM = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; // SHA-256 of the empty body

function signerAt(now = NOW, extra: { sessionToken?: string; region?: string; endpoint?: string } = {}) {
  return createSigner({ endpoint: ENDPOINT, bucket: "uploads", ...CREDENTIALS, ...extra, now: () => now });
}

/**
 * aws4fetch's signature for the same request at the same time: the URL without our X-Amz-* parameters except
 * X-Amz-Expires, the headers we say the client must send, and every header signed.
 */
async function oracleSignature(
  request: PresignedRequest,
  options: { region?: string; sessionToken?: string; now?: Date } = {},
): Promise<string | null> {
  const url = new URL(request.url);
  for (const name of [...url.searchParams.keys()]) {
    if (name.startsWith("X-Amz-") && name !== "X-Amz-Expires") url.searchParams.delete(name);
  }
  const client = new AwsClient({
    ...CREDENTIALS,
    sessionToken: options.sessionToken,
    service: "s3",
    region: options.region ?? "auto",
  });
  const signed = await client.sign(url.toString(), {
    method: request.method,
    headers: request.headers,
    aws: { signQuery: true, allHeaders: true, datetime: "20260314T150926Z" },
  });
  return new URL(signed.url).searchParams.get("X-Amz-Signature");
}

const signatureOf = (request: PresignedRequest) => new URL(request.url).searchParams.get("X-Amz-Signature");

const KEYS = [
  "plain.txt",
  "with space.txt",
  "a+b=c&d.txt",
  "sub-delims !'()*~.txt",
  "ünïcødé/日本語/файл.pdf",
  "emoji 🎉.png",
  "deep/path/to/some/where/file.bin",
  "100% legit?.txt",
  "trailing/slash/",
  "double//slash",
  "semi;colon,comma:colon@at$dollar#hash[x]{y}|pipe^caret`tick\\back",
  "u/0d7b2f1a-8c3e-4b5f-9a6d-2e1f3c4b5a69.jpg",
];

describe("presigned URLs equal aws4fetch's signatures", () => {
  for (const key of KEYS) {
    it(`PUT ${JSON.stringify(key)} with every constraint`, async () => {
      const request = await signerAt().presignPut(key, {
        expiresIn: 600,
        contentType: "image/png",
        contentLength: 1234,
        checksumSha256: CHECKSUM,
        metadata: { "uploaded-by": "user-1", "original-name": "Été 2026.png" },
        ifNoneMatch: "*",
        cacheControl: "private,   max-age=3600", // inner runs of spaces are collapsed when signed
      });
      expect(signatureOf(request)).toBe(await oracleSignature(request));
    });

    it(`GET ${JSON.stringify(key)} with response overrides`, async () => {
      const request = await signerAt().presignGet(key, {
        expiresIn: 900,
        responseContentDisposition: `attachment; filename="a b.txt"; filename*=UTF-8''%C3%A9t%C3%A9.txt`,
        responseContentType: "text/plain; charset=utf-8",
        responseCacheControl: "no-store",
      });
      expect(signatureOf(request)).toBe(await oracleSignature(request));
    });
  }

  it("HEAD, DELETE and UploadPart", async () => {
    const signer = signerAt();
    const requests = [
      await signer.presignHead("dir/file name.txt", { expiresIn: 60 }),
      await signer.presignDelete("dir/file name.txt", { expiresIn: 60 }),
      await signer.presignUploadPart("big file.iso", "upload/id+with=odd chars", 17, {
        expiresIn: 3600,
        contentLength: 8 * 1024 * 1024,
        checksumSha256: CHECKSUM,
      }),
      await signer.presignUploadPart("big file.iso", "2~abc", 1, { expiresIn: 3600 }),
    ];
    for (const request of requests) expect(signatureOf(request)).toBe(await oracleSignature(request));
  });

  it("with a session token, another region and a non-default port", async () => {
    const extra = {
      sessionToken: "FwoGZXIvYXdzE+token/value==",
      region: "eu-west-3",
      endpoint: "http://127.0.0.1:9000",
    };
    const request = await signerAt(NOW, extra).presignPut("k.txt", {
      expiresIn: 1,
      contentType: "text/plain",
      contentLength: 0,
      ifMatch: '"9b2cf535f27731c974343645a3985328"',
    });
    expect(request.url.startsWith("http://127.0.0.1:9000/uploads/k.txt?")).toBe(true);
    expect(new URL(request.url).searchParams.get("X-Amz-Security-Token")).toBe(extra.sessionToken);
    expect(signatureOf(request)).toBe(await oracleSignature(request, extra));
  });

  it("the same inputs at the same time give the same URL; another second gives another", async () => {
    const options = { expiresIn: 600, contentType: "image/png", contentLength: 1 };
    const a = await signerAt().presignPut("x.png", options);
    const b = await signerAt(new Date(NOW.getTime() + 400)).presignPut("x.png", options);
    const c = await signerAt(new Date(NOW.getTime() + 1000)).presignPut("x.png", options);
    expect(b.url).toBe(a.url);
    expect(c.url).not.toBe(a.url);
  });
});

describe("presignPut", () => {
  it("returns the exact header map to send and signs every one of them", async () => {
    const request = await signerAt().presignPut("u/1/avatar.png", {
      expiresIn: 600,
      contentType: "image/png",
      contentLength: 2048,
      checksumSha256: CHECKSUM,
      metadata: { owner: "u-1", note: "café" },
      ifNoneMatch: "*",
      ifMatch: '"etag"',
      cacheControl: "no-cache",
    });
    expect(request.method).toBe("PUT");
    expect(request.headers).toEqual({
      "content-length": "2048",
      "content-type": "image/png",
      "cache-control": "no-cache",
      "if-match": '"etag"',
      "if-none-match": "*",
      "x-amz-checksum-sha256": CHECKSUM,
      "x-amz-meta-note": "caf%C3%A9",
      "x-amz-meta-owner": "u-1",
    });
    const url = new URL(request.url);
    expect(url.origin + url.pathname).toBe(`${ENDPOINT}/uploads/u/1/avatar.png`);
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe(
      "cache-control;content-length;content-type;host;if-match;if-none-match;x-amz-checksum-sha256;x-amz-meta-note;x-amz-meta-owner",
    );
    expect(url.searchParams.get("X-Amz-Expires")).toBe("600");
    expect(url.searchParams.get("X-Amz-Date")).toBe("20260314T150926Z");
    expect(url.searchParams.get("X-Amz-Credential")).toBe(
      `${CREDENTIALS.accessKeyId}/20260314/auto/s3/aws4_request`,
    );
    expect(request.expiresAt).toEqual(new Date("2026-03-14T15:19:26Z"));
  });

  it("encodes keys exactly once by S3 rules", async () => {
    const { url } = await signerAt().presignPut("a b+c/ü/!'()*~.txt", {
      expiresIn: 60,
      contentType: "text/plain",
      contentLength: 1,
    });
    expect(url).toContain("/uploads/a%20b%2Bc/%C3%BC/%21%27%28%29%2A~.txt?");
  });

  const valid = { expiresIn: 600, contentType: "image/png", contentLength: 10 };
  const rejections: [string, string, Record<string, unknown>][] = [
    ["expiresIn", "ok.png", { ...valid, expiresIn: 0 }],
    ["expiresIn", "ok.png", { ...valid, expiresIn: 604801 }],
    ["expiresIn", "ok.png", { ...valid, expiresIn: 1.5 }],
    ["expiresIn", "ok.png", { ...valid, expiresIn: "600" }],
    ["contentLength", "ok.png", { ...valid, contentLength: -1 }],
    ["contentLength", "ok.png", { ...valid, contentLength: 5 * 1024 ** 3 + 1 }],
    ["contentLength", "ok.png", { ...valid, contentLength: Number.NaN }],
    ["contentType", "ok.png", { ...valid, contentType: "" }],
    ["contentType", "ok.png", { ...valid, contentType: "image/png\r\nx-evil: 1" }],
    ["contentType", "ok.png", { ...valid, contentType: "png" }],
    ["checksumSha256", "ok.png", { ...valid, checksumSha256: "abc" }],
    [
      "checksumSha256",
      "ok.png",
      { ...valid, checksumSha256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=" },
    ],
    [
      "checksumSha256",
      "ok.png",
      { ...valid, checksumSha256: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" },
    ],
    ["ifNoneMatch", "ok.png", { ...valid, ifNoneMatch: "etag" }],
    ["ifMatch", "ok.png", { ...valid, ifMatch: "a\nb" }],
    ["cacheControl", "ok.png", { ...valid, cacheControl: "" }],
    ["metadata.Owner", "ok.png", { ...valid, metadata: { Owner: "x" } }],
    ["metadata.owner", "ok.png", { ...valid, metadata: { owner: "x\ny" } }],
    ["metadata.owner", "ok.png", { ...valid, metadata: { owner: 1 } }],
    ["metadata", "ok.png", { ...valid, metadata: { a: "x".repeat(8 * 1024) } }],
    ["key", "", valid],
    ["key", "/leading.png", valid],
    ["key", "a/../b.png", valid],
    ["key", "./b.png", valid],
    ["key", "a/.", valid],
    ["key", "..", valid],
    ["key", "tab\there", valid],
    ["key", "nul\u0000", valid],
    ["key", "c1\u0085", valid],
    ["key", "lone\ud800surrogate", valid],
    ["key", "é".repeat(513), valid],
  ];
  for (const [field, key, options] of rejections) {
    it(`rejects bad ${field} (${JSON.stringify(key === "ok.png" ? options : key).slice(0, 60)})`, async () => {
      const error = await signerAt()
        .presignPut(key, options as never)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SignerInputError);
      expect((error as SignerInputError).field).toBe(field);
      expect((error as Error).message.startsWith(field)).toBe(true);
      expect((error as Error).message).not.toContain(CREDENTIALS.secretAccessKey);
    });
  }

  it("accepts the boundaries", async () => {
    const signer = signerAt();
    await expect(signer.presignPut("é".repeat(512), { ...valid, expiresIn: 1 })).resolves.toBeTruthy();
    await expect(
      signer.presignPut("x", { ...valid, expiresIn: 604800, contentLength: 5 * 1024 ** 3 }),
    ).resolves.toBeTruthy();
    await expect(
      signer.presignPut("x", { ...valid, contentLength: 0, metadata: { a: "x".repeat(8 * 1024 - 1) } }),
    ).resolves.toBeTruthy();
    await expect(signer.presignPut("..a/b..", valid)).resolves.toBeTruthy();
  });
});

describe("presignGet, presignHead, presignDelete, presignUploadPart", () => {
  it("put response overrides in the signed query and send no headers", async () => {
    const request = await signerAt().presignGet("f.pdf", {
      expiresIn: 900,
      responseContentDisposition: 'attachment; filename="f.pdf"',
      responseContentType: "application/pdf",
    });
    const url = new URL(request.url);
    expect(request).toMatchObject({ method: "GET", headers: {} });
    expect(url.searchParams.get("response-content-disposition")).toBe('attachment; filename="f.pdf"');
    expect(url.searchParams.get("response-content-type")).toBe("application/pdf");
    expect(request.url).toContain("response-content-disposition=attachment%3B%20filename%3D%22f.pdf%22");
    expect(request.expiresAt).toEqual(new Date("2026-03-14T15:24:26Z"));
  });

  it("carries a Content-Disposition for a long non-Latin filename", async () => {
    const disposition = contentDisposition(`${"報告書".repeat(60)}.pdf`, "attachment");
    const request = await signerAt().presignGet("f.pdf", {
      expiresIn: 60,
      responseContentDisposition: disposition,
    });
    expect(new URL(request.url).searchParams.get("response-content-disposition")).toBe(disposition);
    expect(signatureOf(request)).toBe(await oracleSignature(request));
  });

  it("reject bad overrides, part numbers and upload ids by name", async () => {
    const signer = signerAt();
    const cases: [string, Promise<unknown>][] = [
      [
        "responseContentDisposition",
        signer.presignGet("f", { expiresIn: 1, responseContentDisposition: "a\r\nb" }),
      ],
      ["responseContentType", signer.presignGet("f", { expiresIn: 1, responseContentType: "nope" })],
      ["expiresIn", signer.presignHead("f", { expiresIn: -1 })],
      ["key", signer.presignDelete("", { expiresIn: 1 })],
      ["partNumber", signer.presignUploadPart("f", "id", 0, { expiresIn: 1 })],
      ["partNumber", signer.presignUploadPart("f", "id", 10001, { expiresIn: 1 })],
      ["uploadId", signer.presignUploadPart("f", "", 1, { expiresIn: 1 })],
      ["contentLength", signer.presignUploadPart("f", "id", 1, { expiresIn: 1, contentLength: -5 })],
      ["options", signer.presignGet("f", undefined as never)],
    ];
    for (const [field, promise] of cases) {
      await expect(promise, field).rejects.toMatchObject({ name: "SignerInputError", field });
    }
  });

  it("UploadPart signs partNumber and uploadId in the query", async () => {
    const request = await signerAt().presignUploadPart("big.iso", "abc 123", 2, {
      expiresIn: 60,
      contentLength: 5,
    });
    const url = new URL(request.url);
    expect(url.searchParams.get("partNumber")).toBe("2");
    expect(url.searchParams.get("uploadId")).toBe("abc 123");
    expect(request.headers).toEqual({ "content-length": "5" });
    expect(request.method).toBe("PUT");
  });
});

describe("createSigner and r2Endpoint", () => {
  const good = { endpoint: ENDPOINT, bucket: "uploads", ...CREDENTIALS };
  const bad: [string, Record<string, unknown>][] = [
    ["endpoint", { ...good, endpoint: "not a url" }],
    ["endpoint", { ...good, endpoint: "ftp://example.com" }],
    ["endpoint", { ...good, endpoint: "https://example.com/prefix" }],
    ["bucket", { ...good, bucket: "Uploads" }],
    ["bucket", { ...good, bucket: "ab" }],
    ["accessKeyId", { ...good, accessKeyId: "" }],
    ["secretAccessKey", { ...good, secretAccessKey: "has space" }],
    ["sessionToken", { ...good, sessionToken: "" }],
    ["region", { ...good, region: "US East" }],
    ["now", { ...good, now: "yesterday" }],
  ];
  for (const [field, options] of bad) {
    it(`rejects a bad ${field}`, () => {
      expect(() => createSigner(options as never)).toThrow(expect.objectContaining({ field }));
    });
  }

  it("rejects a clock that returns an invalid Date when signing", async () => {
    const signer = createSigner({ ...good, now: () => new Date(Number.NaN) });
    await expect(signer.presignGet("k", { expiresIn: 1 })).rejects.toMatchObject({ field: "now" });
  });

  it("builds R2 endpoints", () => {
    expect(r2Endpoint("0123456789ABCDEF0123456789abcdef")).toBe(
      "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com",
    );
    expect(() => r2Endpoint("evil.com/x")).toThrow(SignerInputError);
  });
});
