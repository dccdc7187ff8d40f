import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wildcardMatch } from "./cors.ts";
import { type Endpoint, outcome, startEndpoint, xmlText } from "./testing.ts";

let ep: Endpoint;
const APP = "http://localhost:8787";

const CORS_XML = `<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule>
    <AllowedOrigin>${APP}</AllowedOrigin>
    <AllowedOrigin>https://*.example.com</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>content-type</AllowedHeader>
    <AllowedHeader>x-amz-checksum-sha256</AllowedHeader>
    <AllowedHeader>x-amz-meta-*</AllowedHeader>
    <AllowedHeader>If-None-Match</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
  </CORSRule>
</CORSConfiguration>`;

/** An OPTIONS request with exactly the headers Chrome sends for a cross-origin PUT. */
function browserPreflight(path: string, origin: string, method: string, headers?: string): Promise<Response> {
  const h: Record<string, string> = {
    accept: "*/*",
    origin,
    "access-control-request-method": method,
    "sec-fetch-mode": "cors",
    "sec-fetch-site": "cross-site",
    "sec-fetch-dest": "empty",
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36",
    referer: `${origin}/`,
  };
  if (headers !== undefined) h["access-control-request-headers"] = headers;
  return fetch(`${ep.url}${path}`, { method: "OPTIONS", headers: h });
}

beforeAll(async () => {
  ep = await startEndpoint();
  await ep.aws.fetch(`${ep.url}/web`, { method: "PUT" });
  await ep.aws.fetch(`${ep.url}/bare`, { method: "PUT" });
});
afterAll(() => ep.close());

describe("PutBucketCors / GetBucketCors / DeleteBucketCors", () => {
  it("answers NoSuchCORSConfiguration before any rules are set", async () => {
    expect(await outcome(await ep.aws.fetch(`${ep.url}/web?cors`))).toMatchObject({
      status: 404,
      code: "NoSuchCORSConfiguration",
    });
  });

  it("stores rules and returns them", async () => {
    expect((await ep.aws.fetch(`${ep.url}/web?cors`, { method: "PUT", body: CORS_XML })).status).toBe(200);
    const body = await (await ep.aws.fetch(`${ep.url}/web?cors`)).text();
    expect(body).toContain(`<AllowedOrigin>${APP}</AllowedOrigin>`);
    expect(body).toContain("<AllowedHeader>x-amz-meta-*</AllowedHeader>");
    expect(body).toContain("<ExposeHeader>ETag</ExposeHeader>");
    expect(xmlText(body, "MaxAgeSeconds")).toBe("3000");
  });

  it("refuses malformed XML, a rule without origin, and an unsupported method", async () => {
    const put = (body: string) => ep.aws.fetch(`${ep.url}/bare?cors`, { method: "PUT", body });
    expect(await outcome(await put("<CORSConfiguration><CORSRule>"))).toMatchObject({
      status: 400,
      code: "MalformedXML",
    });
    expect(
      await outcome(
        await put(
          "<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
        ),
      ),
    ).toMatchObject({ status: 400, code: "MalformedXML" });
    expect(
      await outcome(
        await put(
          "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>",
        ),
      ),
    ).toMatchObject({ status: 400, code: "InvalidRequest" });
  });

  it("deletes rules", async () => {
    const simple =
      "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    await ep.aws.fetch(`${ep.url}/bare?cors`, { method: "PUT", body: simple });
    expect((await ep.aws.fetch(`${ep.url}/bare?cors`, { method: "DELETE" })).status).toBe(204);
    expect((await ep.aws.fetch(`${ep.url}/bare?cors`)).status).toBe(404);
  });
});

describe("preflight (OPTIONS, unauthenticated)", () => {
  it("answers a browser's preflight for a PUT with signed headers", async () => {
    const res = await browserPreflight(
      "/web/u/1/photo.png",
      APP,
      "PUT",
      "content-type,if-none-match,x-amz-checksum-sha256,x-amz-meta-owner",
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
    expect(res.headers.get("access-control-allow-methods")).toBe("PUT, GET, HEAD");
    expect(res.headers.get("access-control-allow-headers")).toBe(
      "content-type, if-none-match, x-amz-checksum-sha256, x-amz-meta-owner",
    );
    expect(res.headers.get("access-control-expose-headers")).toBe("ETag");
    expect(res.headers.get("access-control-max-age")).toBe("3000");
    expect(res.headers.get("vary")).toContain("Origin");
  });

  it("matches a wildcard origin pattern", async () => {
    const res = await browserPreflight("/web/x", "https://app.example.com", "PUT", "content-type");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  });

  it("answers 403 when a requested header is not allowed", async () => {
    const res = await browserPreflight("/web/x", APP, "PUT", "content-type,x-custom");
    expect(await outcome(res)).toMatchObject({ status: 403, code: "AccessForbidden" });
  });

  it("answers 403 when the method is not allowed for the origin", async () => {
    expect((await browserPreflight("/web/x", APP, "DELETE")).status).toBe(403);
    expect((await browserPreflight("/web/x", "https://evil.test", "PUT", "content-type")).status).toBe(403);
  });

  it("uses the * origin rule with any header for GET", async () => {
    const res = await browserPreflight("/web/x", "https://anyone.test", "GET", "range,x-anything");
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("answers 403 on a bucket without CORS rules and 400 without Origin", async () => {
    expect(await outcome(await browserPreflight("/bare/x", APP, "PUT"))).toMatchObject({
      status: 403,
      code: "AccessForbidden",
    });
    const noOrigin = await fetch(`${ep.url}/web/x`, {
      method: "OPTIONS",
      headers: { "access-control-request-method": "PUT" },
    });
    expect(noOrigin.status).toBe(400);
  });
});

describe("actual responses", () => {
  it("carry Access-Control-Allow-Origin and Expose-Headers when the origin matches", async () => {
    const res = await ep.aws.fetch(`${ep.url}/web/cors.txt`, {
      method: "PUT",
      body: "x",
      headers: { origin: APP },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
    expect(res.headers.get("access-control-expose-headers")).toBe("ETag");
  });

  it("carry them on error answers too, so the browser can read the error", async () => {
    const res = await fetch(`${ep.url}/web/cors.txt`, { method: "PUT", body: "x", headers: { origin: APP } });
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP);
  });

  it("carry none when the origin does not match", async () => {
    const res = await ep.aws.fetch(`${ep.url}/web/cors.txt`, { headers: { origin: "https://evil.test" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*"); // the GET rule allows every origin
    const put = await ep.aws.fetch(`${ep.url}/web/cors.txt`, {
      method: "PUT",
      body: "y",
      headers: { origin: "https://evil.test" },
    });
    expect(put.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("wildcardMatch", () => {
  it.each([
    ["x-amz-meta-*", "x-amz-meta-owner", true],
    ["x-amz-meta-*", "x-amz-meta-", true],
    ["x-amz-meta-*", "x-amz-date", false],
    ["*", "anything", true],
    ["https://*.example.com", "https://a.example.com", true],
    ["https://*.example.com", "https://example.com", false],
    ["content-type", "content-type", true],
    ["content-type", "content-length", false],
  ])("%s vs %s → %s", (pattern, value, expected) => {
    expect(wildcardMatch(pattern, value)).toBe(expected);
  });
});
