// Flexible checksums end to end over HTTP, signed by aws4fetch: each algorithm R2 lists, verified against the
// body, refused when wrong, echoed in checksum mode; aws-chunked trailers; composite and full-object multipart.
// Expected CRCs come from the algorithms' published check values ("123456789") and node's zlib, not from the
// library the endpoint uses.
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { Crc64Nvme } from "@aws-sdk/checksums/crc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytes, type Endpoint, outcome, startEndpoint, xmlText } from "./testing.ts";

const Bucket = "checksums";
let ep: Endpoint;
const url = (key: string, query = "") => `${ep.url}/${Bucket}/${key}${query}`;

const CHECK = "123456789";
const b64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");
/** The standard check values of each CRC over "123456789". */
const CHECK_VALUES = {
  CRC32: b64("cbf43926"),
  CRC32C: b64("e3069283"),
  CRC64NVME: b64("ae8b14860a799888"),
  SHA1: createHash("sha1").update(CHECK).digest("base64"),
  SHA256: createHash("sha256").update(CHECK).digest("base64"),
};
const crc32Bytes = (data: Uint8Array) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data) >>> 0);
  return out;
};

function put(key: string, body: BodyInit, headers: Record<string, string>): Promise<Response> {
  return ep.aws.fetch(url(key), { method: "PUT", body, headers });
}

beforeAll(async () => {
  ep = await startEndpoint();
  expect((await ep.aws.fetch(`${ep.url}/${Bucket}`, { method: "PUT" })).status).toBe(200);
});
afterAll(() => ep.close());

describe("PutObject with a flexible checksum", () => {
  it.each(Object.entries(CHECK_VALUES))(
    "%s: verified, stored, echoed in checksum mode only",
    async (name, value) => {
      const header = `x-amz-checksum-${name.toLowerCase()}`;
      const response = await put(`check-${name}`, CHECK, { [header]: value });
      expect(response.status, await response.clone().text()).toBe(200);
      expect(response.headers.get(header)).toBe(value);
      expect(response.headers.get("x-amz-checksum-type")).toBe("FULL_OBJECT");
      const head = await ep.aws.fetch(url(`check-${name}`), {
        method: "HEAD",
        headers: { "x-amz-checksum-mode": "ENABLED" },
      });
      expect(head.headers.get(header)).toBe(value);
      const plain = await ep.aws.fetch(url(`check-${name}`), { method: "HEAD" });
      expect(plain.headers.get(header)).toBeNull();
      // A range is not the object the checksum describes, so it is not sent with one.
      const ranged = await ep.aws.fetch(url(`check-${name}`), {
        headers: { "x-amz-checksum-mode": "ENABLED", range: "bytes=0-3" },
      });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get(header)).toBeNull();
      expect(await ranged.text()).toBe("1234");
    },
  );

  it.each(Object.keys(CHECK_VALUES))("%s: a wrong value is BadDigest and stores nothing", async (name) => {
    const wrong = name.startsWith("CRC")
      ? b64(name === "CRC64NVME" ? "0000000000000000" : "00000000")
      : createHash(name === "SHA1" ? "sha1" : "sha256")
          .update("other")
          .digest("base64");
    const result = await outcome(
      await put(`bad-${name}`, CHECK, { [`x-amz-checksum-${name.toLowerCase()}`]: wrong }),
    );
    expect(result).toMatchObject({ status: 400, code: "BadDigest" });
    expect((await ep.aws.fetch(url(`bad-${name}`), { method: "HEAD" })).status).toBe(404);
  });

  it("refuses two checksums, a malformed one, an unknown algorithm and a mismatched SDK algorithm", async () => {
    expect(
      await outcome(
        await put("two", CHECK, {
          "x-amz-checksum-crc32": CHECK_VALUES.CRC32,
          "x-amz-checksum-sha256": CHECK_VALUES.SHA256,
        }),
      ),
    ).toMatchObject({ status: 400, code: "InvalidRequest" });
    expect(await outcome(await put("short", CHECK, { "x-amz-checksum-crc32": "AAAA" }))).toMatchObject({
      status: 400,
      code: "InvalidRequest",
    });
    expect(
      await outcome(await put("md5", CHECK, { "x-amz-checksum-md5": CHECK_VALUES.CRC32 })),
    ).toMatchObject({
      status: 501,
      code: "NotImplemented",
    });
    const mismatched = await outcome(
      await put("sdk", CHECK, {
        "x-amz-checksum-crc32": CHECK_VALUES.CRC32,
        "x-amz-sdk-checksum-algorithm": "CRC32C",
      }),
    );
    expect(mismatched).toMatchObject({ status: 400, code: "InvalidRequest" });
    const noValue = await outcome(await put("sdk2", CHECK, { "x-amz-sdk-checksum-algorithm": "CRC32" }));
    expect(noValue).toMatchObject({ status: 400, code: "InvalidRequest" });
  });
});

describe("aws-chunked bodies with a trailing checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER)", () => {
  const chunked = (parts: string[], trailer: string) =>
    `${parts.map((p) => `${Buffer.byteLength(p).toString(16)}\r\n${p}\r\n`).join("")}0\r\n${trailer}\r\n\r\n`;
  const headers = (decoded: number) => ({
    "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "content-encoding": "aws-chunked",
    "x-amz-decoded-content-length": String(decoded),
    "x-amz-trailer": "x-amz-checksum-crc32",
    "content-type": "text/plain",
  });

  it("decodes the chunks, verifies the trailer and stores the content without the framing", async () => {
    const body = chunked(["12345", "6789"], `x-amz-checksum-crc32:${CHECK_VALUES.CRC32}`);
    const response = await put("chunked", body, headers(9));
    expect(response.status, await response.clone().text()).toBe(200);
    expect(response.headers.get("x-amz-checksum-crc32")).toBe(CHECK_VALUES.CRC32);
    const get = await ep.aws.fetch(url("chunked"));
    expect(await get.text()).toBe(CHECK);
    expect(get.headers.get("content-encoding")).toBeNull();
    expect(get.headers.get("content-length")).toBe("9");
  });

  it("refuses a wrong trailer, a missing one, a broken frame and a wrong decoded length", async () => {
    const wrong = chunked([CHECK], `x-amz-checksum-crc32:${b64("00000000")}`);
    expect(await outcome(await put("c1", wrong, headers(9)))).toMatchObject({
      status: 400,
      code: "BadDigest",
    });
    const missing = `9\r\n${CHECK}\r\n0\r\n\r\n`;
    expect(await outcome(await put("c2", missing, headers(9)))).toMatchObject({
      status: 400,
      code: "InvalidRequest",
    });
    const broken = `5\r\n${CHECK}\r\n0\r\n\r\n`;
    expect(await outcome(await put("c3", broken, headers(9)))).toMatchObject({
      status: 400,
      code: "IncompleteBody",
    });
    const short = chunked([CHECK], `x-amz-checksum-crc32:${CHECK_VALUES.CRC32}`);
    expect(await outcome(await put("c4", short, headers(10)))).toMatchObject({
      status: 400,
      code: "IncompleteBody",
    });
    for (const key of ["c1", "c2", "c3", "c4"]) {
      expect((await ep.aws.fetch(url(key), { method: "HEAD" })).status, key).toBe(404);
    }
  });
});

describe("multipart uploads with checksums", () => {
  const PART = 5 * 1024 * 1024;
  const data = bytes(2 * PART + 1000, 11);
  const parts = [data.subarray(0, PART), data.subarray(PART, 2 * PART), data.subarray(2 * PART)];

  async function create(key: string, headers: Record<string, string>): Promise<string> {
    const response = await ep.aws.fetch(url(key, "?uploads"), { method: "POST", headers });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    return xmlText(text, "UploadId") ?? "";
  }
  async function uploadPart(
    key: string,
    id: string,
    n: number,
    body: Uint8Array<ArrayBuffer>,
    headers: Record<string, string>,
  ) {
    return ep.aws.fetch(url(key, `?partNumber=${n}&uploadId=${id}`), { method: "PUT", body, headers });
  }
  const completion = (entries: string[]) =>
    `<CompleteMultipartUpload>${entries.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber>${e}</Part>`).join("")}</CompleteMultipartUpload>`;

  it("CRC32 composite: every part verified, the object's checksum is the CRC of the part CRCs, -N", async () => {
    const id = await create("composite.bin", { "x-amz-checksum-algorithm": "CRC32" });
    // A part without the upload's checksum is refused.
    const bare = await outcome(await uploadPart("composite.bin", id, 1, parts[0] ?? bytes(0), {}));
    expect(bare).toMatchObject({ status: 400, code: "InvalidRequest" });
    const crcs = parts.map((p) => crc32Bytes(p));
    const etags: string[] = [];
    for (const [i, part] of parts.entries()) {
      const response = await uploadPart("composite.bin", id, i + 1, part, {
        "x-amz-checksum-crc32": crcs[i]?.toString("base64") ?? "",
      });
      expect(response.status).toBe(200);
      etags.push(response.headers.get("etag") ?? "");
    }
    const listed = await (await ep.aws.fetch(url("composite.bin", `?uploadId=${id}`))).text();
    expect(xmlText(listed, "ChecksumCRC32")).toBe(crcs[0]?.toString("base64"));
    // A part listed with another checksum than it was uploaded with is not that part.
    const mismatch = await ep.aws.fetch(url("composite.bin", `?uploadId=${id}`), {
      method: "POST",
      body: completion(
        etags.map((e) => `<ETag>${e}</ETag><ChecksumCRC32>${b64("00000000")}</ChecksumCRC32>`),
      ),
    });
    expect(await outcome(mismatch)).toMatchObject({ status: 400, code: "InvalidPart" });
    const expected = `${crc32Bytes(Buffer.concat(crcs)).toString("base64")}-3`;
    const body = completion(
      etags.map((e, i) => `<ETag>${e}</ETag><ChecksumCRC32>${crcs[i]?.toString("base64")}</ChecksumCRC32>`),
    );
    const done = await ep.aws.fetch(url("composite.bin", `?uploadId=${id}`), { method: "POST", body });
    const doneText = await done.text();
    expect(done.status, doneText).toBe(200);
    expect(xmlText(doneText, "ChecksumCRC32")).toBe(expected);
    expect(xmlText(doneText, "ChecksumType")).toBe("COMPOSITE");
    const head = await ep.aws.fetch(url("composite.bin"), {
      method: "HEAD",
      headers: { "x-amz-checksum-mode": "ENABLED" },
    });
    expect(head.headers.get("x-amz-checksum-crc32")).toBe(expected);
    expect(head.headers.get("x-amz-checksum-type")).toBe("COMPOSITE");

    // A retried completion (its answer lost on the way) gets the same answer, not NoSuchUpload.
    const retry = await ep.aws.fetch(url("composite.bin", `?uploadId=${id}`), { method: "POST", body });
    const retryText = await retry.text();
    expect(retry.status, retryText).toBe(200);
    expect(xmlText(retryText, "ETag")).toBe(xmlText(doneText, "ETag"));
    expect(xmlText(retryText, "ChecksumCRC32")).toBe(expected);
    // The upload itself is gone: no more parts, no listing, no abort.
    expect((await outcome(await uploadPart("composite.bin", id, 1, parts[0] ?? bytes(0), {}))).code).toBe(
      "NoSuchUpload",
    );
    expect(
      (await outcome(await ep.aws.fetch(url("composite.bin", `?uploadId=${id}`), { method: "DELETE" }))).code,
    ).toBe("NoSuchUpload");
    const uploads = await (await ep.aws.fetch(`${ep.url}/${Bucket}?uploads`)).text();
    expect(uploads).not.toContain(id);
    expect(
      Buffer.from(await (await ep.aws.fetch(url("composite.bin"))).arrayBuffer()).equals(Buffer.from(data)),
    ).toBe(true);
  });

  it("CRC64NVME full object: the checksum of the whole object, checked against the one the client claims", async () => {
    const whole = new Crc64Nvme();
    whole.update(data);
    const expected = Buffer.from(await whole.digest()).toString("base64");
    for (const claim of ["wrong", "right"]) {
      const key = `full-${claim}.bin`;
      const id = await create(key, { "x-amz-checksum-algorithm": "CRC64NVME" });
      const etags: string[] = [];
      for (const [i, part] of parts.entries()) {
        const sum = new Crc64Nvme();
        sum.update(part);
        const response = await uploadPart(key, id, i + 1, part, {
          "x-amz-checksum-crc64nvme": Buffer.from(await sum.digest()).toString("base64"),
        });
        expect(response.status).toBe(200);
        etags.push(response.headers.get("etag") ?? "");
      }
      const done = await ep.aws.fetch(url(key, `?uploadId=${id}`), {
        method: "POST",
        body: completion(etags.map((e) => `<ETag>${e}</ETag>`)),
        headers: {
          "x-amz-checksum-crc64nvme": claim === "right" ? expected : b64("0000000000000000"),
          "x-amz-checksum-type": "FULL_OBJECT",
        },
      });
      const text = await done.text();
      if (claim === "wrong") {
        expect(done.status, text).toBe(400);
        expect(xmlText(text, "Code")).toBe("BadDigest");
        expect((await ep.aws.fetch(url(key), { method: "HEAD" })).status).toBe(404);
      } else {
        expect(done.status, text).toBe(200);
        expect(xmlText(text, "ChecksumCRC64NVME")).toBe(expected);
        expect(xmlText(text, "ChecksumType")).toBe("FULL_OBJECT");
      }
    }
  });

  it("refuses the combinations S3 refuses", async () => {
    for (const headers of <Record<string, string>[]>[
      { "x-amz-checksum-algorithm": "CRC64NVME", "x-amz-checksum-type": "COMPOSITE" },
      { "x-amz-checksum-algorithm": "SHA256", "x-amz-checksum-type": "FULL_OBJECT" },
      { "x-amz-checksum-type": "COMPOSITE" },
      { "x-amz-checksum-algorithm": "MD5" },
    ]) {
      const response = await ep.aws.fetch(url("refused.bin", "?uploads"), { method: "POST", headers });
      expect(await outcome(response), JSON.stringify(headers)).toMatchObject({
        status: 400,
        code: "InvalidRequest",
      });
    }
  });
});
