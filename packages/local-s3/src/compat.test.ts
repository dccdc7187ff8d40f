// What real clients rely on beyond the basics: ListObjects v1, listing edge cases, paged ListBuckets,
// DeleteObjects, `Expect: 100-continue` only after authentication, non-ASCII metadata values, and the
// headers of features local-s3 lacks refused as R2 refuses them instead of silently ignored.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiskStore } from "./store.ts";
import { type Endpoint, outcome, startEndpoint, xmlText } from "./testing.ts";

const Bucket = "compat";
let ep: Endpoint;
const url = (path: string) => `${ep.url}/${Bucket}${path}`;
const all = (xml: string, name: string) =>
  [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, "g"))].map((m) => m[1]);

beforeAll(async () => {
  ep = await startEndpoint();
  expect((await ep.aws.fetch(`${ep.url}/${Bucket}`, { method: "PUT" })).status).toBe(200);
  for (const key of ["a", "b/1", "b/2", "c d", "é"]) {
    expect(
      (await ep.aws.fetch(url(`/${encodeURIComponent(key)}`), { method: "PUT", body: key })).status,
    ).toBe(200);
  }
});
afterAll(() => ep.close());

describe("listings", () => {
  it("ListObjects v1: prefix, delimiter, max-keys with marker paging, encoding-type=url, Owner", async () => {
    const first = await (await ep.aws.fetch(url("?delimiter=/&max-keys=2"))).text();
    expect(all(first, "Key")).toEqual(["a"]);
    expect(all(first, "Prefix").slice(1)).toEqual(["b/"]);
    expect(xmlText(first, "IsTruncated")).toBe("true");
    expect(xmlText(first, "NextMarker")).toBe("b/");
    expect(xmlText(first, "Owner")).toContain("<ID>");
    const second = await (await ep.aws.fetch(url("?delimiter=/&max-keys=2&marker=b/"))).text();
    expect(all(second, "Key")).toEqual(["c d", "é"]);
    expect(xmlText(second, "IsTruncated")).toBe("false");
    expect(xmlText(second, "NextMarker")).toBeUndefined();
    const prefixed = await (await ep.aws.fetch(url("?prefix=b/"))).text();
    expect(all(prefixed, "Key")).toEqual(["b/1", "b/2"]);
    const encoded = await (await ep.aws.fetch(url("?encoding-type=url&prefix=%C3%A9"))).text();
    expect(all(encoded, "Key")).toEqual(["%C3%A9"]);
    expect((await outcome(await ep.aws.fetch(url("?list-type=3")))).code).toBe("InvalidArgument");
  });

  it("max-keys=0 lists nothing and is not truncated (no empty token to loop on), in both versions", async () => {
    for (const query of ["?list-type=2&max-keys=0", "?max-keys=0"]) {
      const xml = await (await ep.aws.fetch(url(query))).text();
      expect(xml, query).not.toContain("<Contents>");
      expect(xmlText(xml, "IsTruncated"), query).toBe("false");
      expect(xml, query).not.toContain("NextContinuationToken");
      expect(xml, query).not.toContain("NextMarker");
    }
  });

  it("ListObjectsV2 sends Owner only with fetch-owner=true", async () => {
    expect(await (await ep.aws.fetch(url("?list-type=2"))).text()).not.toContain("<Owner>");
    expect(await (await ep.aws.fetch(url("?list-type=2&fetch-owner=true"))).text()).toContain("<Owner>");
    expect((await outcome(await ep.aws.fetch(url("?list-type=2&fetch-owner=yes")))).code).toBe(
      "InvalidArgument",
    );
  });

  it("ListBuckets pages with max-buckets and continuation-token, and filters by prefix", async () => {
    for (const name of ["compat-2", "compat-3"]) {
      expect((await ep.aws.fetch(`${ep.url}/${name}`, { method: "PUT" })).status).toBe(200);
    }
    const names: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 5; page++) {
      const query = `?max-buckets=2${token ? `&continuation-token=${encodeURIComponent(token)}` : ""}`;
      const xml = await (await ep.aws.fetch(`${ep.url}/${query}`)).text();
      const found = all(xml, "Name");
      expect(found.length).toBeLessThanOrEqual(2);
      names.push(...(found as string[]));
      token = xmlText(xml, "ContinuationToken");
      if (!token) break;
    }
    expect(names).toEqual(["compat", "compat-2", "compat-3"]);
    const filtered = await (await ep.aws.fetch(`${ep.url}/?prefix=compat-`)).text();
    expect(all(filtered, "Name")).toEqual(["compat-2", "compat-3"]);
    expect((await outcome(await ep.aws.fetch(`${ep.url}/?max-buckets=0`))).code).toBe("InvalidArgument");
  });
});

describe("DeleteObjects", () => {
  it("deletes the listed keys, requires an integrity header, reports per key unless Quiet", async () => {
    for (const key of ["del/1", "del/2"]) await ep.aws.fetch(url(`/${key}`), { method: "PUT", body: key });
    const body =
      "<Delete><Object><Key>del/1</Key></Object><Object><Key>del/2</Key></Object><Object><Key>del/none</Key></Object></Delete>";
    const md5 = (await import("node:crypto")).createHash("md5").update(body).digest("base64");
    const unprotected = await ep.aws.fetch(url("?delete"), { method: "POST", body });
    expect(await outcome(unprotected)).toMatchObject({ status: 400, code: "InvalidRequest" });
    const response = await ep.aws.fetch(url("?delete"), {
      method: "POST",
      body,
      headers: { "content-md5": md5 },
    });
    const xml = await response.text();
    expect(response.status, xml).toBe(200);
    expect(all(xml, "Key")).toEqual(["del/1", "del/2", "del/none"]);
    expect((await ep.aws.fetch(url("/del/1"), { method: "HEAD" })).status).toBe(404);
  });
});

/** A raw HTTP/1.1 exchange, so headers go out byte for byte and `100 Continue` can be observed. */
function raw(
  target: string,
  options: { method: string; headers: Record<string, string>; body?: Buffer },
): Promise<{ status: number; continued: boolean; body: string; response: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = httpRequest(target, { method: options.method, headers: options.headers });
    req.on("continue", () => {
      continued = true;
      req.end(options.body);
    });
    req.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          continued,
          body: Buffer.concat(chunks).toString(),
          response,
        }),
      );
    });
    req.on("error", reject);
    // With Expect: 100-continue the body waits for the server's go-ahead; otherwise it goes now.
    if (!/100-continue/i.test(options.headers.expect ?? "")) req.end(options.body);
    else req.flushHeaders();
  });
}

describe("Expect", () => {
  it("sends 100 Continue only once the request is authenticated; a refused one gets its answer instead", async () => {
    const body = Buffer.from("sent after the go-ahead");
    const signed = await ep.aws.sign(url("/expect.txt"), {
      method: "PUT",
      headers: { "content-length": String(body.length) },
      aws: { signQuery: true },
    });
    const good = await raw(signed.url, {
      method: "PUT",
      headers: { expect: "100-continue", "content-length": String(body.length) },
      body,
    });
    expect(good).toMatchObject({ status: 200, continued: true });
    expect(await (await ep.aws.fetch(url("/expect.txt"))).text()).toBe("sent after the go-ahead");

    const tampered = signed.url.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${"0".repeat(64)}`);
    const refused = await raw(tampered, {
      method: "PUT",
      headers: { expect: "100-continue", "content-length": String(body.length) },
      body,
    });
    expect(refused.continued).toBe(false);
    expect(refused.status).toBe(403);
    expect(xmlText(refused.body, "Code")).toBe("SignatureDoesNotMatch");
  });

  it("serves a request with another expectation instead of answering 417", async () => {
    const signed = await ep.aws.sign(url("/a"), { aws: { signQuery: true } });
    const response = await raw(signed.url, { method: "GET", headers: { expect: "something-else" } });
    expect(response.status).toBe(200);
    expect(response.body).toBe("a");
  });
});

describe("signed header values beyond ASCII", () => {
  /** PUTs `/key` with one metadata header sent as these exact bytes (signed as them), and reads back the raw header. */
  async function roundTrip(key: string, sent: Buffer): Promise<{ returned: string; stored: string }> {
    // aws4fetch signs a value's UTF-8 bytes; a latin1 string of the same bytes signs identically.
    const signed = await ep.aws.sign(url(`/${key}`), {
      method: "PUT",
      headers: { "x-amz-meta-note": sent.toString("utf8"), "content-length": "2" },
      body: "hi",
    });
    const headers: Record<string, string> = {};
    signed.headers.forEach((v, name) => {
      headers[name] = name === "x-amz-meta-note" ? sent.toString("latin1") : v;
    });
    const put = await raw(signed.url, { method: "PUT", headers, body: Buffer.from("hi") });
    expect(put.status, put.body).toBe(200);
    const get = await raw((await ep.aws.sign(url(`/${key}`), { aws: { signQuery: true } })).url, {
      method: "GET",
      headers: {},
    });
    const returned = get.response.rawHeaders[get.response.rawHeaders.indexOf("x-amz-meta-note") + 1] ?? "";
    const record = await new DiskStore(ep.dir).headObject(Bucket, key);
    return { returned, stored: record?.headers.metadata.note ?? "" };
  }

  it("stores a UTF-8 metadata value as its text and returns it RFC 2047-encoded, as S3 and R2 do", async () => {
    // What boto3 sends for u"Hello World\xe9": the UTF-8 bytes, signed as those bytes.
    const { returned, stored } = await roundTrip(
      "utf8.txt",
      Buffer.from("Hello Worldé café ünïcode", "utf8"),
    );
    expect(stored).toBe("Hello Worldé café ünïcode");
    expect(returned).toBe("=?UTF-8?Q?Hello_World=C3=A9_caf=C3=A9_=C3=BCn=C3=AFcode?=");
  });

  it("decodes RFC 2047 encoded-words on the way in, and returns an ASCII value as it came", async () => {
    const encoded = await roundTrip(
      "words.txt",
      Buffer.from("=?UTF-8?B?SGVsbG8gV29ybGTDqQ==?= =?utf-8?q?_=E2=9C=93?="),
    );
    expect(encoded.stored).toBe("Hello Worldé ✓");
    expect(encoded.returned).toBe("=?UTF-8?Q?Hello_World=C3=A9_=E2=9C=93?=");
    const ascii = await roundTrip("ascii.txt", Buffer.from("plain = ascii?"));
    expect(ascii).toEqual({ stored: "plain = ascii?", returned: "plain = ascii?" });
  });
});

describe("headers for features local-s3 does not implement", () => {
  const refused: [string, Record<string, string>][] = [
    ["SSE-S3", { "x-amz-server-side-encryption": "AES256" }],
    [
      "SSE-KMS",
      { "x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "k" },
    ],
    [
      "SSE-C",
      {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": Buffer.alloc(32, 1).toString("base64"),
        "x-amz-server-side-encryption-customer-key-md5": "x",
      },
    ],
    ["a public canned ACL", { "x-amz-acl": "public-read" }],
    ["an ACL grant", { "x-amz-grant-read": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' }],
    [
      "object lock",
      {
        "x-amz-object-lock-mode": "GOVERNANCE",
        "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z",
      },
    ],
    ["legal hold", { "x-amz-object-lock-legal-hold": "ON" }],
    ["tagging", { "x-amz-tagging": "a=b" }],
    ["storage class GLACIER", { "x-amz-storage-class": "GLACIER" }],
  ];

  it.each(refused)("%s: 501 NotImplemented naming the header, nothing stored", async (_, headers) => {
    const response = await ep.aws.fetch(url("/refused.txt"), { method: "PUT", body: "x", headers });
    const result = await outcome(response);
    expect(result).toMatchObject({ status: 501, code: "NotImplemented" });
    expect(xmlText(result.body, "Header")).toBe(Object.keys(headers)[0]);
    expect((await ep.aws.fetch(url("/refused.txt"), { method: "HEAD" })).status).toBe(404);
  });

  it("SSE-C on a read is refused too: an object never reads back 'decrypted' by a key it ignored", async () => {
    const response = await ep.aws.fetch(url("/a"), {
      headers: { "x-amz-server-side-encryption-customer-algorithm": "AES256" },
    });
    expect(await outcome(response)).toMatchObject({ status: 501, code: "NotImplemented" });
  });

  it("accepts what R2 accepts and what is true here anyway: STANDARD storage class, the private ACL", async () => {
    const accepted: Record<string, string>[] = [
      { "x-amz-storage-class": "STANDARD" },
      { "x-amz-acl": "private" },
    ];
    for (const headers of accepted) {
      const response = await ep.aws.fetch(url("/accepted.txt"), { method: "PUT", body: "x", headers });
      expect(response.status, JSON.stringify(headers)).toBe(200);
    }
    // rclone sends `private` on CreateBucket (R2's rclone guide configures `acl = private`); every bucket here is.
    const bucket = await ep.aws.fetch(`${ep.url}/private-acl`, {
      method: "PUT",
      headers: { "x-amz-acl": "private" },
    });
    expect(bucket.status).toBe(200);
    const publicBucket = await ep.aws.fetch(`${ep.url}/public-acl`, {
      method: "PUT",
      headers: { "x-amz-acl": "public-read" },
    });
    expect(await outcome(publicBucket)).toMatchObject({ status: 501, code: "NotImplemented" });
    const unknown = await ep.aws.fetch(url("/accepted.txt"), {
      method: "PUT",
      body: "x",
      headers: { "x-amz-storage-class": "COLD" },
    });
    expect(await outcome(unknown)).toMatchObject({ status: 400, code: "InvalidStorageClass" });
  });

  it("conditional DeleteObject is refused and deletes nothing", async () => {
    const etag = (await ep.aws.fetch(url("/a"), { method: "HEAD" })).headers.get("etag") ?? "";
    const response = await ep.aws.fetch(url("/a"), { method: "DELETE", headers: { "if-match": etag } });
    expect(await outcome(response)).toMatchObject({ status: 501, code: "NotImplemented" });
    expect((await ep.aws.fetch(url("/a"), { method: "HEAD" })).status).toBe(200);
  });

  it("CreateBucket takes the endpoint's region or R2's aliases as LocationConstraint, and refuses another", async () => {
    const config = (region: string) =>
      `<CreateBucketConfiguration><LocationConstraint>${region}</LocationConstraint></CreateBucketConfiguration>`;
    const wrong = await ep.aws.fetch(`${ep.url}/compat-eu`, { method: "PUT", body: config("eu-west-1") });
    expect(await outcome(wrong)).toMatchObject({ status: 400, code: "InvalidLocationConstraint" });
    expect((await ep.aws.fetch(`${ep.url}/compat-eu`, { method: "HEAD" })).status).toBe(404);
    for (const [name, region] of [
      ["compat-auto", "auto"],
      ["compat-use1", "us-east-1"],
    ]) {
      expect(
        (await ep.aws.fetch(`${ep.url}/${name}`, { method: "PUT", body: config(region ?? "") })).status,
      ).toBe(200);
    }
  });

  it("refuses SigV2 presigned URLs as R2 does (InvalidRequest), before anything else", async () => {
    const response = await fetch(url("/a?AWSAccessKeyId=AKIA&Expires=9999999999&Signature=abc"));
    expect(await outcome(response)).toMatchObject({ status: 400, code: "InvalidRequest" });
  });
});
