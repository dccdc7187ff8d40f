import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Endpoint, outcome, startEndpoint, xmlText } from "./testing.ts";

let ep: Endpoint;
beforeAll(async () => {
  ep = await startEndpoint();
});
afterAll(() => ep.close());

describe("buckets", () => {
  it("CreateBucket, HeadBucket, then BucketAlreadyOwnedByYou on a second create", async () => {
    expect((await ep.aws.fetch(`${ep.url}/photos`, { method: "HEAD" })).status).toBe(404);
    expect((await ep.aws.fetch(`${ep.url}/photos`, { method: "PUT" })).status).toBe(200);
    expect((await ep.aws.fetch(`${ep.url}/photos`, { method: "HEAD" })).status).toBe(200);
    expect(await outcome(await ep.aws.fetch(`${ep.url}/photos`, { method: "PUT" }))).toMatchObject({
      status: 409,
      code: "BucketAlreadyOwnedByYou",
    });
  });

  it("refuses invalid bucket names (InvalidBucketName)", async () => {
    for (const name of ["ab", "Upper", "-dash", "a..b", "ab.-cd", "ab-.cd", "192.168.1.1"]) {
      expect(await outcome(await ep.aws.fetch(`${ep.url}/${name}`, { method: "PUT" }))).toMatchObject({
        status: 400,
        code: "InvalidBucketName",
      });
    }
  });

  it("DeleteBucket refuses a bucket with objects (BucketNotEmpty) and deletes an empty one", async () => {
    await ep.aws.fetch(`${ep.url}/full`, { method: "PUT" });
    await ep.aws.fetch(`${ep.url}/full/x`, { method: "PUT", body: "x" });
    expect(await outcome(await ep.aws.fetch(`${ep.url}/full`, { method: "DELETE" }))).toMatchObject({
      status: 409,
      code: "BucketNotEmpty",
    });
    await ep.aws.fetch(`${ep.url}/full/x`, { method: "DELETE" });
    expect((await ep.aws.fetch(`${ep.url}/full`, { method: "DELETE" })).status).toBe(204);
    expect((await ep.aws.fetch(`${ep.url}/full`, { method: "HEAD" })).status).toBe(404);
  });

  it("ListBuckets lists them", async () => {
    const body = await (await ep.aws.fetch(`${ep.url}/`)).text();
    expect(body).toContain("<Name>photos</Name>");
  });
});

describe("ListObjectsV2", () => {
  const keys = ["a.txt", "b/1.txt", "b/2.txt", "b/c/3.txt", "d.txt", "e/4.txt", "é.txt"];
  beforeAll(async () => {
    await ep.aws.fetch(`${ep.url}/listing`, { method: "PUT" });
    for (const key of keys) {
      await ep.aws.fetch(`${ep.url}/listing/${encodeURIComponent(key).replace(/%2F/g, "/")}`, {
        method: "PUT",
        body: key,
      });
    }
  });
  const list = async (query: string) => (await ep.aws.fetch(`${ep.url}/listing?list-type=2${query}`)).text();
  const keysOf = (xml: string) => [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1] ?? "");
  const prefixesOf = (xml: string) =>
    [...xml.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1] ?? "");

  it("lists every key in UTF-8 byte order with size and ETag", async () => {
    const xml = await list("");
    expect(keysOf(xml)).toEqual(keys);
    expect(xmlText(xml, "KeyCount")).toBe(String(keys.length));
    expect(xmlText(xml, "Size")).toBe("5");
  });

  it("filters by prefix and groups by delimiter", async () => {
    expect(keysOf(await list("&prefix=b%2F"))).toEqual(["b/1.txt", "b/2.txt", "b/c/3.txt"]);
    const grouped = await list("&delimiter=%2F");
    expect(keysOf(grouped)).toEqual(["a.txt", "d.txt", "é.txt"]);
    expect(prefixesOf(grouped)).toEqual(["b/", "e/"]);
    const nested = await list("&prefix=b%2F&delimiter=%2F");
    expect(keysOf(nested)).toEqual(["b/1.txt", "b/2.txt"]);
    expect(prefixesOf(nested)).toEqual(["b/c/"]);
  });

  it("pages with max-keys and continuation-token until every key is seen once", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const xml = await list(
        `&max-keys=2&delimiter=%2F${token ? `&continuation-token=${encodeURIComponent(token)}` : ""}`,
      );
      seen.push(...keysOf(xml), ...prefixesOf(xml));
      if (xmlText(xml, "IsTruncated") !== "true") break;
      token = xmlText(xml, "NextContinuationToken");
    }
    expect(seen).toEqual(["a.txt", "b/", "d.txt", "e/", "é.txt"]);
  });

  it("honours start-after and refuses a forged continuation token", async () => {
    expect(keysOf(await list("&start-after=b%2Fc%2F3.txt"))).toEqual(["d.txt", "e/4.txt", "é.txt"]);
    expect(
      await outcome(await ep.aws.fetch(`${ep.url}/listing?list-type=2&continuation-token=%%%`)),
    ).toMatchObject({
      status: 400,
    });
    expect(
      await outcome(await ep.aws.fetch(`${ep.url}/listing?list-type=2&continuation-token=%21%21`)),
    ).toMatchObject({
      status: 400,
      code: "InvalidArgument",
    });
  });

  it("refuses a non-integer max-keys (InvalidArgument)", async () => {
    expect(await outcome(await ep.aws.fetch(`${ep.url}/listing?list-type=2&max-keys=ten`))).toMatchObject({
      status: 400,
      code: "InvalidArgument",
    });
  });
});
