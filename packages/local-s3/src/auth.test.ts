// One test per SigV4 rule, in both forms, with requests signed by aws4fetch at a fixed time and the endpoint's
// clock set to match.
import { createHash, createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { amzDate, CREDS, type Endpoint, outcome, startEndpoint, xmlText } from "./testing.ts";

const T0 = new Date("2026-03-01T12:00:00Z");
const EMPTY_SHA256 = createHash("sha256").update("").digest("hex");
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
let ep: Endpoint;

beforeAll(async () => {
  ep = await startEndpoint();
  await ep.aws.fetch(`${ep.url}/auth`, { method: "PUT" });
  await ep.aws.fetch(`${ep.url}/auth/hello.txt`, { method: "PUT", body: "hello" });
  ep.setNow(T0);
});
afterAll(() => ep.close());

/** A presigned URL made by aws4fetch at `at` (default T0). */
async function presign(
  path: string,
  init: { method?: string; headers?: Record<string, string>; expires?: number; at?: Date } = {},
): Promise<string> {
  const url = new URL(`${ep.url}${path}`);
  url.searchParams.set("X-Amz-Expires", String(init.expires ?? 300));
  const signed = await ep.aws.sign(url.toString(), {
    method: init.method ?? "GET",
    headers: init.headers ?? {},
    aws: { signQuery: true, allHeaders: true, datetime: amzDate(init.at ?? T0) },
  });
  return signed.url;
}

/** A header-signed request made by aws4fetch at `at` (default T0). */
async function headerSigned(path: string, init: RequestInit & { at?: Date } = {}): Promise<Request> {
  return ep.aws.sign(`${ep.url}${path}`, { ...init, aws: { datetime: amzDate(init.at ?? T0) } });
}

/** A GET signed by hand with the Date header as its time, as botocore signs when the caller sets Date. */
async function dateSigned(at: Date): Promise<Request> {
  const date = at.toUTCString();
  const scope = `${amzDate(at).slice(0, 8)}/auto/s3/aws4_request`;
  const host = new URL(ep.url).host;
  const canonical = [
    "GET",
    "/auth/hello.txt",
    "",
    `date:${date}`,
    `host:${host}`,
    `x-amz-content-sha256:${EMPTY_SHA256}`,
    "",
    "date;host;x-amz-content-sha256",
    EMPTY_SHA256,
  ].join("\n");
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    amzDate(at),
    scope,
    createHash("sha256").update(canonical).digest("hex"),
  ].join("\n");
  let key: Buffer | string = `AWS4${CREDS.secretAccessKey}`;
  for (const part of scope.split("/")) key = createHmac("sha256", key).update(part).digest();
  const signature = createHmac("sha256", key).update(stringToSign).digest("hex");
  return new Request(`${ep.url}/auth/hello.txt`, {
    headers: {
      date,
      "x-amz-content-sha256": EMPTY_SHA256,
      authorization: `AWS4-HMAC-SHA256 Credential=${CREDS.accessKeyId}/${scope}, SignedHeaders=date;host;x-amz-content-sha256, Signature=${signature}`,
    },
  });
}

function withParam(url: string, name: string, value: string | undefined): string {
  const u = new URL(url);
  if (value === undefined) u.searchParams.delete(name);
  else u.searchParams.set(name, value);
  return u.toString();
}

describe("anonymous requests", () => {
  it("are refused with 403 AccessDenied", async () => {
    expect(await outcome(await fetch(`${ep.url}/auth/hello.txt`))).toMatchObject({
      status: 403,
      code: "AccessDenied",
    });
  });

  it("carry x-amz-request-id and S3's error document shape", async () => {
    const res = await fetch(`${ep.url}/auth/hello.txt`);
    const { body } = await outcome(res);
    expect(res.headers.get("x-amz-request-id")).toMatch(/^[0-9A-F]{16}$/);
    expect(xmlText(body, "Resource")).toBe("/auth/hello.txt");
    expect(xmlText(body, "RequestId")).toBe(res.headers.get("x-amz-request-id"));
    expect(xmlText(body, "Message")).toBe("Access Denied");
  });
});

describe("query (presigned) form", () => {
  it("accepts a valid presigned GET", async () => {
    const res = await fetch(await presign("/auth/hello.txt"));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello");
  });

  it.each([
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
  ])("refuses a URL missing %s (400 AuthorizationQueryParametersError)", async (param) => {
    const url = withParam(await presign("/auth/hello.txt"), param, undefined);
    expect(await outcome(await fetch(url))).toMatchObject({
      status: 400,
      code: "AuthorizationQueryParametersError",
    });
  });

  it("refuses an algorithm other than AWS4-HMAC-SHA256", async () => {
    const url = withParam(await presign("/auth/hello.txt"), "X-Amz-Algorithm", "AWS4-HMAC-SHA512");
    expect(await outcome(await fetch(url))).toMatchObject({
      status: 400,
      code: "AuthorizationQueryParametersError",
    });
  });

  it.each(["2026-03-01T12:00:00Z", "20260301T120000", "20260230T120000Z", "20260301T250000Z"])(
    "refuses a malformed X-Amz-Date %s",
    async (date) => {
      const url = withParam(await presign("/auth/hello.txt"), "X-Amz-Date", date);
      expect(await outcome(await fetch(url))).toMatchObject({
        status: 400,
        code: "AuthorizationQueryParametersError",
      });
    },
  );

  it.each(["abc", "1.5", "604801"])("refuses X-Amz-Expires=%s", async (expires) => {
    const url = withParam(await presign("/auth/hello.txt"), "X-Amz-Expires", expires);
    expect(await outcome(await fetch(url))).toMatchObject({
      status: 400,
      code: "AuthorizationQueryParametersError",
    });
  });

  it("accepts the maximum X-Amz-Expires of 604800", async () => {
    expect((await fetch(await presign("/auth/hello.txt", { expires: 604800 }))).status).toBe(200);
  });

  it("refuses an expired URL with 403 AccessDenied 'Request has expired'", async () => {
    const url = await presign("/auth/hello.txt", { expires: 60 });
    ep.setNow(new Date(T0.getTime() + 60_000));
    expect((await fetch(url)).status).toBe(200);
    ep.setNow(new Date(T0.getTime() + 61_000));
    const result = await outcome(await fetch(url));
    ep.setNow(T0);
    expect(result).toMatchObject({ status: 403, code: "AccessDenied" });
    expect(xmlText(result.body, "Message")).toBe("Request has expired");
  });

  it.each([0, -7])(
    "refuses a URL signed with X-Amz-Expires=%i as expired (403, as S3 and R2)",
    async (expires) => {
      const result = await outcome(await fetch(await presign("/auth/hello.txt", { expires })));
      expect(result).toMatchObject({ status: 403, code: "AccessDenied" });
      expect(xmlText(result.body, "Message")).toBe("Request has expired");
    },
  );

  it("refuses a URL dated more than 15 minutes in the future with 403 AccessDenied", async () => {
    expect((await fetch(await presign("/auth/hello.txt", { at: minutes(14) }))).status).toBe(200);
    expect(await outcome(await fetch(await presign("/auth/hello.txt", { at: minutes(16) })))).toMatchObject({
      status: 403,
      code: "AccessDenied",
    });
  });

  it("reads + in the query as a space", async () => {
    const url = await presign("/auth/hello.txt?response-content-type=text%2Fplain%20x");
    const asPlus = url.replace(/text%2Fplain(%20|\+)x/, "text%2Fplain+x");
    const asPercent = url.replace(/text%2Fplain(%20|\+)x/, "text%2Fplain%20x");
    for (const variant of [asPlus, asPercent]) {
      const res = await fetch(variant);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain x");
    }
  });

  it("does not depend on the order of query parameters", async () => {
    const url = new URL(await presign("/auth/hello.txt?response-cache-control=no-store"));
    const reversed = [...url.searchParams].reverse();
    const shuffled = `${url.origin}${url.pathname}?${reversed.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}`;
    expect((await fetch(shuffled)).status).toBe(200);
  });

  it("refuses a tampered query parameter with SignatureDoesNotMatch", async () => {
    const url = await presign("/auth/hello.txt?response-content-type=text%2Fplain");
    const res = await fetch(url.replace("text%2Fplain", "text%2Fhtml"));
    expect(await outcome(res)).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
  });
});

describe("header form", () => {
  it("accepts a valid header-signed request", async () => {
    expect((await fetch(await headerSigned("/auth/hello.txt"))).status).toBe(200);
  });

  it("refuses an x-amz-date more than 15 minutes from server time (RequestTimeTooSkewed)", async () => {
    expect((await fetch(await headerSigned("/auth/hello.txt", { at: minutes(-14) }))).status).toBe(200);
    expect(
      await outcome(await fetch(await headerSigned("/auth/hello.txt", { at: minutes(-16) }))),
    ).toMatchObject({
      status: 403,
      code: "RequestTimeTooSkewed",
    });
    expect(
      await outcome(await fetch(await headerSigned("/auth/hello.txt", { at: minutes(16) }))),
    ).toMatchObject({
      status: 403,
      code: "RequestTimeTooSkewed",
    });
  });

  it("takes the time from x-amz-date when Date is sent too, signed or not", async () => {
    const stale = "Tue, 01 Jan 2000 00:00:00 GMT";
    for (const signDate of [false, true]) {
      const signed = await ep.aws.sign(`${ep.url}/auth/hello.txt`, {
        headers: signDate ? { date: stale } : {},
        aws: { datetime: amzDate(T0), allHeaders: true },
      });
      const headers = new Headers(signed.headers);
      headers.set("date", stale);
      const response = await fetch(signed.url, { headers });
      expect(response.status, `date signed: ${signDate}`).toBe(200);
    }
  });

  it("takes the time from Date when there is no x-amz-date (botocore's way once Date is set)", async () => {
    const response = await fetch(await dateSigned(T0));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("hello");
    expect(await outcome(await fetch(await dateSigned(minutes(-16))))).toMatchObject({
      status: 403,
      code: "RequestTimeTooSkewed",
    });
  });

  it("requires x-amz-content-sha256 (400 InvalidRequest)", async () => {
    const signed = await headerSigned("/auth/hello.txt");
    const headers = new Headers(signed.headers);
    headers.delete("x-amz-content-sha256");
    expect(await outcome(await fetch(signed.url, { headers }))).toMatchObject({
      status: 400,
      code: "InvalidRequest",
    });
  });

  it("refuses an x-amz-content-sha256 that is neither UNSIGNED-PAYLOAD nor hex SHA-256 (400 InvalidArgument)", async () => {
    const signed = await headerSigned("/auth/hello.txt", { headers: { "x-amz-content-sha256": "nope" } });
    expect(await outcome(await fetch(signed))).toMatchObject({ status: 400, code: "InvalidArgument" });
  });

  it("verifies the body against a hex x-amz-content-sha256 (XAmzContentSHA256Mismatch)", async () => {
    const signed = await headerSigned("/auth/sha.txt", {
      method: "PUT",
      body: "real",
      headers: { "x-amz-content-sha256": createHash("sha256").update("fake").digest("hex") },
    });
    expect(await outcome(await fetch(signed))).toMatchObject({
      status: 400,
      code: "XAmzContentSHA256Mismatch",
    });
  });

  it("checks the payload hash of a request without a body too (XAmzContentSHA256Mismatch)", async () => {
    const claimed = createHash("sha256").update("not empty").digest("hex");
    const signed = await headerSigned("/auth/hello.txt", { headers: { "x-amz-content-sha256": claimed } });
    expect(await outcome(await fetch(signed))).toMatchObject({
      status: 400,
      code: "XAmzContentSHA256Mismatch",
    });
  });

  it("refuses a session token, which no key here can have (400 InvalidToken)", async () => {
    const url = await presign("/auth/hello.txt?X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE");
    expect(await outcome(await fetch(url))).toMatchObject({ status: 400, code: "InvalidToken" });
  });

  it("refuses a request with both an Authorization header and query signature", async () => {
    const url = await presign("/auth/hello.txt");
    const signed = await headerSigned("/auth/hello.txt");
    const res = await fetch(url, { headers: signed.headers });
    expect(await outcome(res)).toMatchObject({ status: 400, code: "InvalidArgument" });
  });
});

describe("rules common to both forms", () => {
  it.each(["auto", "us-east-1"])("accepts credential scope region %j", async (region) => {
    const url = await presign("/auth/hello.txt");
    const credential = `${CREDS.accessKeyId}/20260301/${region}/s3/aws4_request`;
    // Re-sign with the other region: aws4fetch's region option drives the scope.
    const { AwsClient } = await import("aws4fetch");
    const client = new AwsClient({ ...CREDS, service: "s3", region, retries: 0 });
    const u = new URL(url);
    u.search = "X-Amz-Expires=300";
    const signed = await client.sign(u.toString(), { aws: { signQuery: true, datetime: amzDate(T0) } });
    expect(new URL(signed.url).searchParams.get("X-Amz-Credential")).toBe(credential);
    expect((await fetch(signed.url)).status).toBe(200);
  });

  it("refuses another region in the scope (query → AuthorizationQueryParametersError, header → AuthorizationHeaderMalformed)", async () => {
    const { AwsClient } = await import("aws4fetch");
    const client = new AwsClient({ ...CREDS, service: "s3", region: "eu-west-1", retries: 0 });
    const q = await client.sign(`${ep.url}/auth/hello.txt?X-Amz-Expires=300`, {
      aws: { signQuery: true, datetime: amzDate(T0) },
    });
    expect(await outcome(await fetch(q.url))).toMatchObject({
      status: 400,
      code: "AuthorizationQueryParametersError",
    });
    const h = await client.sign(`${ep.url}/auth/hello.txt`, { aws: { datetime: amzDate(T0) } });
    expect(await outcome(await fetch(h))).toMatchObject({
      status: 400,
      code: "AuthorizationHeaderMalformed",
    });
  });

  it("refuses a scope for another service, another terminator or another date", async () => {
    const url = await presign("/auth/hello.txt");
    const credential = new URL(url).searchParams.get("X-Amz-Credential") ?? "";
    for (const bad of [
      credential.replace("/s3/", "/sqs/"),
      credential.replace("aws4_request", "aws4_reqest"),
      credential.replace("20260301", "20260302"),
      credential.split("/").slice(0, 4).join("/"),
    ]) {
      expect(await outcome(await fetch(withParam(url, "X-Amz-Credential", bad)))).toMatchObject({
        status: 400,
        code: "AuthorizationQueryParametersError",
      });
    }
  });

  it("refuses an unknown access key with 403 InvalidAccessKeyId", async () => {
    const url = await presign("/auth/hello.txt");
    const credential = (new URL(url).searchParams.get("X-Amz-Credential") ?? "").replace(
      CREDS.accessKeyId,
      "AKIAUNKNOWN0000000000",
    );
    expect(await outcome(await fetch(withParam(url, "X-Amz-Credential", credential)))).toMatchObject({
      status: 403,
      code: "InvalidAccessKeyId",
    });
  });

  it("refuses a wrong secret with SignatureDoesNotMatch carrying StringToSign and CanonicalRequest", async () => {
    const { AwsClient } = await import("aws4fetch");
    const client = new AwsClient({
      accessKeyId: CREDS.accessKeyId,
      secretAccessKey: "wrong-secret-000000",
      service: "s3",
      region: "auto",
    });
    const signed = await client.sign(`${ep.url}/auth/hello.txt?X-Amz-Expires=300`, {
      aws: { signQuery: true, datetime: amzDate(T0) },
    });
    const result = await outcome(await fetch(signed.url));
    expect(result).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
    expect(xmlText(result.body, "StringToSign")).toBe(
      `AWS4-HMAC-SHA256\n${amzDate(T0)}\n20260301/auto/s3/aws4_request\n${xmlText(result.body, "StringToSign")?.split("\n")[3]}`,
    );
    expect(xmlText(result.body, "CanonicalRequest")).toMatch(
      /^GET\n\/auth\/hello\.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&/,
    );
    expect(xmlText(result.body, "CanonicalRequest")).toMatch(
      /\nhost:127\.0\.0\.1:\d+\n\nhost\nUNSIGNED-PAYLOAD$/,
    );
    expect(xmlText(result.body, "SignatureProvided")).toBe(
      new URL(signed.url).searchParams.get("X-Amz-Signature"),
    );
  });

  it("requires host to be signed (403 AccessDenied naming host)", async () => {
    const url = withParam(await presign("/auth/hello.txt"), "X-Amz-SignedHeaders", "x-amz-date");
    const result = await outcome(await fetch(url));
    expect(result).toMatchObject({ status: 403, code: "AccessDenied" });
    expect(xmlText(result.body, "HeadersNotSigned")).toBe("host");
  });

  it("accepts an empty region in the scope, as R2 does", async () => {
    // aws4fetch fills an empty region in, so this URL is signed by hand (the SigV4 steps, nothing more).
    const date = amzDate(T0);
    const scope = `${date.slice(0, 8)}//s3/aws4_request`;
    const host = new URL(ep.url).host;
    const query = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(`${CREDS.accessKeyId}/${scope}`)}&X-Amz-Date=${date}&X-Amz-Expires=60&X-Amz-SignedHeaders=host`;
    const canonical = `GET\n/auth/hello.txt\n${query}\nhost:${host}\n\nhost\nUNSIGNED-PAYLOAD`;
    const toSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${createHash("sha256").update(canonical).digest("hex")}`;
    let key: Buffer = createHmac("sha256", `AWS4${CREDS.secretAccessKey}`).update(date.slice(0, 8)).digest();
    for (const part of ["", "s3", "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
    const signature = createHmac("sha256", key).update(toSign).digest("hex");
    expect((await fetch(`${ep.url}/auth/hello.txt?${query}&X-Amz-Signature=${signature}`)).status).toBe(200);
  });

  it("checks the signed host against the Host the request arrived with", async () => {
    const url = new URL(await presign("/auth/hello.txt"));
    const send = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          { host: url.hostname, port: url.port, path: url.pathname + url.search, headers: { host } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end();
      });
    expect(await send(url.host)).toBe(200);
    expect(await send(`localhost:${url.port}`)).toBe(403);
  });

  it("requires every signed header to be present (SignatureDoesNotMatch)", async () => {
    const url = await presign("/auth/put.txt", { method: "PUT", headers: { "content-type": "text/plain" } });
    expect(await outcome(await fetch(url, { method: "PUT", body: "x" }))).toMatchObject({
      status: 403,
      code: "SignatureDoesNotMatch",
    });
  });

  it("requires every signed header to carry the signed value (SignatureDoesNotMatch)", async () => {
    const url = await presign("/auth/put.txt", { method: "PUT", headers: { "content-type": "text/plain" } });
    const wrong = await fetch(url, { method: "PUT", body: "x", headers: { "content-type": "text/html" } });
    expect(await outcome(wrong)).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
    const right = await fetch(url, { method: "PUT", body: "x", headers: { "content-type": "text/plain" } });
    expect(right.status).toBe(200);
  });

  it("refuses unsigned x-amz-* headers (403 AccessDenied naming them)", async () => {
    const url = await presign("/auth/put.txt", { method: "PUT" });
    const result = await outcome(
      await fetch(url, { method: "PUT", body: "x", headers: { "x-amz-meta-sneaky": "1" } }),
    );
    expect(result).toMatchObject({ status: 403, code: "AccessDenied" });
    expect(xmlText(result.body, "HeadersNotSigned")).toBe("x-amz-meta-sneaky");
  });

  it("enforces a signed content-length against the body (SignatureDoesNotMatch)", async () => {
    const url = await presign("/auth/sized.txt", { method: "PUT", headers: { "content-length": "5" } });
    expect(await outcome(await fetch(url, { method: "PUT", body: "123456" }))).toMatchObject({
      status: 403,
      code: "SignatureDoesNotMatch",
    });
    expect((await fetch(url, { method: "PUT", body: "12345" })).status).toBe(200);
  });

  it("counts the body even when a caller forges Content-Length in process (IncompleteBody)", async () => {
    const url = await presign("/auth/forged.txt", { method: "PUT", headers: { "content-length": "5" } });
    const res = await ep.s3.fetch(
      new Request(url, { method: "PUT", body: "123", headers: { "content-length": "5" } }),
    );
    expect(await outcome(res)).toMatchObject({ status: 400, code: "IncompleteBody" });
  });

  it("enforces a signed x-amz-checksum-sha256 (BadDigest) and refuses a malformed one (InvalidRequest)", async () => {
    const claimed = createHash("sha256").update("expected").digest("base64");
    const url = await presign("/auth/sum.txt", {
      method: "PUT",
      headers: { "x-amz-checksum-sha256": claimed },
    });
    const bad = await fetch(url, {
      method: "PUT",
      body: "tampered",
      headers: { "x-amz-checksum-sha256": claimed },
    });
    expect(await outcome(bad)).toMatchObject({ status: 400, code: "BadDigest" });
    const good = await fetch(url, {
      method: "PUT",
      body: "expected",
      headers: { "x-amz-checksum-sha256": claimed },
    });
    expect(good.status).toBe(200);
    const malformedUrl = await presign("/auth/sum.txt", {
      method: "PUT",
      headers: { "x-amz-checksum-sha256": "abc=" },
    });
    const malformed = await fetch(malformedUrl, {
      method: "PUT",
      body: "x",
      headers: { "x-amz-checksum-sha256": "abc=" },
    });
    expect(await outcome(malformed)).toMatchObject({ status: 400, code: "InvalidRequest" });
  });

  it("keeps // in the path and decodes then re-encodes it once", async () => {
    expect(
      (await fetch(await presign("/auth/a//b.txt", { method: "PUT" }), { method: "PUT", body: "ab" })).status,
    ).toBe(200);
    const list = await (await fetch(await presign("/auth?list-type=2&prefix=a%2F"))).text();
    expect(xmlText(list, "Key")).toBe("a//b.txt");
    // %41 is "A": S3 decodes the path once before re-encoding it for the canonical request.
    const signedForA = await presign("/auth/A.txt", { method: "PUT" });
    expect((await fetch(signedForA.replace("/A.txt", "/%41.txt"), { method: "PUT", body: "A" })).status).toBe(
      200,
    );
    // A literal % in a key travels as %25 and is stored as %.
    expect(
      (await fetch(await presign("/auth/100%25.txt", { method: "PUT" }), { method: "PUT", body: "p" }))
        .status,
    ).toBe(200);
    const pct = await (await fetch(await presign("/auth?list-type=2&prefix=100"))).text();
    expect(xmlText(pct, "Key")).toBe("100%.txt");
  });
});
