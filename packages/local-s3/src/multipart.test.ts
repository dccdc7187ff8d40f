import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytes, type Endpoint, outcome, startEndpoint, xmlText } from "./testing.ts";

const MiB = 1024 * 1024;
let ep: Endpoint;
const url = (key: string, query = "") => `${ep.url}/multi/${key}${query}`;

beforeAll(async () => {
  ep = await startEndpoint();
  expect((await ep.aws.fetch(`${ep.url}/multi`, { method: "PUT" })).status).toBe(200);
});
afterAll(() => ep.close());

async function create(key: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await ep.aws.fetch(url(key, "?uploads"), { method: "POST", headers });
  expect(res.status).toBe(200);
  return xmlText(await res.text(), "UploadId") ?? "";
}

async function part(
  key: string,
  uploadId: string,
  n: number,
  body: Uint8Array<ArrayBuffer>,
): Promise<Response> {
  return ep.aws.fetch(url(key, `?partNumber=${n}&uploadId=${uploadId}`), { method: "PUT", body });
}

function completion(parts: [number, string][]): string {
  return `<CompleteMultipartUpload>${parts.map(([n, etag]) => `<Part><PartNumber>${n}</PartNumber><ETag>${etag}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
}

async function complete(
  key: string,
  uploadId: string,
  parts: [number, string][],
  headers: Record<string, string> = {},
) {
  return ep.aws.fetch(url(key, `?uploadId=${uploadId}`), {
    method: "POST",
    body: completion(parts),
    headers,
  });
}

const p1 = bytes(5 * MiB, 1);
const p2 = bytes(5 * MiB, 2);
const p3 = bytes(1000, 3);

describe("a complete multipart upload", () => {
  it("assembles the parts, with ETag = MD5 of the part MD5s + -N, and keeps the headers given at creation", async () => {
    const id = await create("big.bin", { "content-type": "application/x-big", "x-amz-meta-kind": "test" });
    const etags: string[] = [];
    for (const [i, body] of [p1, p2, p3].entries()) {
      const res = await part("big.bin", id, i + 1, body);
      expect(res.status).toBe(200);
      etags.push(res.headers.get("etag") ?? "");
    }
    const list = await (await ep.aws.fetch(url("big.bin", `?uploadId=${id}`))).text();
    expect(list.match(/<Part>/g)).toHaveLength(3);
    expect(xmlText(list, "Size")).toBe(String(5 * MiB));

    const res = await complete(
      "big.bin",
      id,
      etags.map((e, i) => [i + 1, e]),
    );
    const body = await res.text();
    expect(res.status).toBe(200);
    const binary = Buffer.concat([p1, p2, p3].map((p) => createHash("md5").update(p).digest()));
    const expected = `"${createHash("md5").update(binary).digest("hex")}-3"`;
    expect(xmlText(body, "ETag")).toBe(expected.replace(/"/g, "&quot;"));

    const get = await ep.aws.fetch(url("big.bin"));
    const got = new Uint8Array(await get.arrayBuffer());
    expect(get.headers.get("etag")).toBe(expected);
    expect(get.headers.get("content-type")).toBe("application/x-big");
    expect(get.headers.get("x-amz-meta-kind")).toBe("test");
    expect(got.length).toBe(10 * MiB + 1000);
    expect(createHash("sha256").update(got).digest("hex")).toBe(
      createHash("sha256")
        .update(Buffer.concat([p1, p2, p3]))
        .digest("hex"),
    );
    // The upload is gone once completed.
    expect((await ep.aws.fetch(url("big.bin", `?uploadId=${id}`))).status).toBe(404);
  });

  it("lets a part be re-uploaded, the last upload winning", async () => {
    const id = await create("redo.bin");
    await part("redo.bin", id, 1, bytes(10, 9));
    const second = await part("redo.bin", id, 1, bytes(20, 8));
    const res = await complete("redo.bin", id, [[1, second.headers.get("etag") ?? ""]]);
    expect(res.status).toBe(200);
    expect((await ep.aws.fetch(url("redo.bin"), { method: "HEAD" })).headers.get("content-length")).toBe(
      "20",
    );
  });
});

describe("a part sent again after the others (ceph s3-tests' resend case)", () => {
  it("completes with the last write of part 1, whether its bytes changed or not", async () => {
    for (const again of [p1, bytes(5 * MiB, 7)]) {
      const id = await create("resent.bin");
      await part("resent.bin", id, 1, p1);
      const etags: [number, string][] = [];
      for (const [n, body] of [[2, p2] as const, [3, p3] as const]) {
        etags.push([n, (await part("resent.bin", id, n, body)).headers.get("etag") ?? ""]);
      }
      const last = (await part("resent.bin", id, 1, again)).headers.get("etag") ?? "";
      const done = await complete("resent.bin", id, [[1, last], ...etags]);
      expect(done.status, await done.clone().text()).toBe(200);
      const stored = new Uint8Array(await (await ep.aws.fetch(url("resent.bin"))).arrayBuffer());
      expect(Buffer.compare(stored, Buffer.concat([again, p2, p3]))).toBe(0);
    }
  });
});

/** Uploads p1, p2, p3 as `key` in bucket `multi` of endpoint `e` and completes it; answers the key's URL. */
async function assembled(e: Endpoint, key: string): Promise<string> {
  const at = `${e.url}/multi/${key}`;
  const id = xmlText(await (await e.aws.fetch(`${at}?uploads`, { method: "POST" })).text(), "UploadId");
  const etags: [number, string][] = [];
  for (const [i, body] of [p1, p2, p3].entries()) {
    const res = await e.aws.fetch(`${at}?partNumber=${i + 1}&uploadId=${id}`, { method: "PUT", body });
    etags.push([i + 1, res.headers.get("etag") ?? ""]);
  }
  const done = await e.aws.fetch(`${at}?uploadId=${id}`, { method: "POST", body: completion(etags) });
  expect(done.status).toBe(200);
  return at;
}

const whole = Buffer.concat([p1, p2, p3]);
const dataFiles = async (dir: string) =>
  (await readdir(join(dir, "multi", "objects"))).filter((name) => name.endsWith(".data"));

describe("an assembled object keeps its parts' files (completion copies nothing)", () => {
  it("answers ranges within and across part boundaries, and copies, byte for byte", async () => {
    await assembled(ep, "extents.bin");
    const ranges: [number, number][] = [
      [0, 9],
      [5 * MiB - 10, 5 * MiB + 9],
      [5 * MiB - 1, 10 * MiB + 1],
      [10 * MiB, 10 * MiB + 999],
      [3, 10 * MiB + 998],
    ];
    for (const [start, end] of ranges) {
      const res = await ep.aws.fetch(url("extents.bin"), { headers: { range: `bytes=${start}-${end}` } });
      expect(res.status, `${start}-${end}`).toBe(206);
      expect(
        Buffer.from(await res.arrayBuffer()).equals(whole.subarray(start, end + 1)),
        `${start}-${end}`,
      ).toBe(true);
    }
    const suffix = await ep.aws.fetch(url("extents.bin"), { headers: { range: "bytes=-1500" } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(whole.subarray(whole.length - 1500))).toBe(true);
    const copy = await ep.aws.fetch(url("extents-copy.bin"), {
      method: "PUT",
      headers: { "x-amz-copy-source": "/multi/extents.bin" },
    });
    expect(copy.status).toBe(200);
    const got = Buffer.from(await (await ep.aws.fetch(url("extents-copy.bin"))).arrayBuffer());
    expect(got.equals(whole)).toBe(true);
  });

  it("lets a read that began before a delete or an overwrite finish with the old bytes, then removes them", async () => {
    const ep2 = await startEndpoint();
    try {
      expect((await ep2.aws.fetch(`${ep2.url}/multi`, { method: "PUT" })).status).toBe(200);
      for (const change of ["delete", "overwrite"]) {
        const at = await assembled(ep2, "busy.bin");
        expect(await dataFiles(ep2.dir)).toHaveLength(3);
        // Read the first bytes only: the later parts' files are opened when the read reaches them.
        const reader = (await ep2.aws.fetch(at)).body!.getReader();
        const chunks: Uint8Array[] = [(await reader.read()).value!];
        const replaced =
          change === "delete"
            ? await ep2.aws.fetch(at, { method: "DELETE" })
            : await ep2.aws.fetch(at, { method: "PUT", body: "new" });
        expect(replaced.status, change).toBeLessThan(300);
        for (;;) {
          const { done: end, value } = await reader.read();
          if (end) break;
          chunks.push(value);
        }
        expect(Buffer.concat(chunks).equals(whole), change).toBe(true);
        await expect.poll(() => dataFiles(ep2.dir)).toHaveLength(change === "delete" ? 0 : 1);
        if (change === "overwrite") expect(await (await ep2.aws.fetch(at)).text()).toBe("new");
        await ep2.aws.fetch(at, { method: "DELETE" });
      }
    } finally {
      await ep2.close();
    }
  });

  it("survives a restart: the start-up sweep keeps every file an object names, however old", async () => {
    const dir = await mkdtemp(join(tmpdir(), "local-s3-restart-"));
    const first = await startEndpoint({ dir });
    expect((await first.aws.fetch(`${first.url}/multi`, { method: "PUT" })).status).toBe(200);
    await assembled(first, "old.bin");
    await first.close();
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const name of await dataFiles(dir))
      await utimes(join(dir, "multi", "objects", name), twoHoursAgo, twoHoursAgo);
    const second = await startEndpoint({ dir });
    try {
      const got = Buffer.from(await (await second.aws.fetch(`${second.url}/multi/old.bin`)).arrayBuffer());
      expect(got.equals(whole)).toBe(true);
    } finally {
      await second.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("multipart rules", () => {
  it("refuses a non-trailing part under 5 MiB (EntityTooSmall)", async () => {
    const id = await create("small.bin");
    const a = (await part("small.bin", id, 1, bytes(1000, 1))).headers.get("etag") ?? "";
    const b = (await part("small.bin", id, 2, bytes(1000, 2))).headers.get("etag") ?? "";
    expect(
      await outcome(
        await complete("small.bin", id, [
          [1, a],
          [2, b],
        ]),
      ),
    ).toMatchObject({
      status: 400,
      code: "EntityTooSmall",
    });
  });

  it("refuses non-trailing parts of different sizes (R2's rule, InvalidPart)", async () => {
    const id = await create("uneven.bin");
    const a = (await part("uneven.bin", id, 1, p1)).headers.get("etag") ?? "";
    const b = (await part("uneven.bin", id, 2, bytes(5 * MiB + 1, 4))).headers.get("etag") ?? "";
    const c = (await part("uneven.bin", id, 3, p3)).headers.get("etag") ?? "";
    expect(
      await outcome(
        await complete("uneven.bin", id, [
          [1, a],
          [2, b],
          [3, c],
        ]),
      ),
    ).toMatchObject({
      status: 400,
      code: "InvalidPart",
    });
  });

  it("refuses a last part larger than the others (R2's rule, InvalidPart)", async () => {
    const id = await create("bigtail.bin");
    const a = (await part("bigtail.bin", id, 1, p1)).headers.get("etag") ?? "";
    const b = (await part("bigtail.bin", id, 2, bytes(5 * MiB + 1, 5))).headers.get("etag") ?? "";
    expect(
      await outcome(
        await complete("bigtail.bin", id, [
          [1, a],
          [2, b],
        ]),
      ),
    ).toMatchObject({
      status: 400,
      code: "InvalidPart",
    });
  });

  it("refuses an unknown part or a wrong ETag (InvalidPart) and descending order (InvalidPartOrder)", async () => {
    const id = await create("order.bin");
    const a = (await part("order.bin", id, 1, bytes(10, 1))).headers.get("etag") ?? "";
    const b = (await part("order.bin", id, 2, bytes(10, 2))).headers.get("etag") ?? "";
    expect(
      await outcome(
        await complete("order.bin", id, [
          [1, a],
          [3, b],
        ]),
      ),
    ).toMatchObject({ code: "InvalidPart" });
    expect(await outcome(await complete("order.bin", id, [[1, b]]))).toMatchObject({
      status: 400,
      code: "InvalidPart",
    });
    expect(
      await outcome(
        await complete("order.bin", id, [
          [2, b],
          [1, a],
        ]),
      ),
    ).toMatchObject({
      status: 400,
      code: "InvalidPartOrder",
    });
  });

  it("refuses part numbers outside 1..10000 (InvalidArgument)", async () => {
    const id = await create("num.bin");
    expect(await outcome(await part("num.bin", id, 0, bytes(1)))).toMatchObject({
      status: 400,
      code: "InvalidArgument",
    });
    expect(await outcome(await part("num.bin", id, 10001, bytes(1)))).toMatchObject({
      status: 400,
      code: "InvalidArgument",
    });
  });

  it("answers NoSuchUpload for unknown, crafted, aborted or other-key upload ids", async () => {
    expect(await outcome(await part("x.bin", "0".repeat(48), 1, bytes(1)))).toMatchObject({
      status: 404,
      code: "NoSuchUpload",
    });
    expect(await outcome(await part("x.bin", "..%2F..%2Fobjects", 1, bytes(1)))).toMatchObject({
      code: "NoSuchUpload",
    });
    const id = await create("abort.bin");
    expect(await outcome(await part("other.bin", id, 1, bytes(1)))).toMatchObject({ code: "NoSuchUpload" });
    expect((await ep.aws.fetch(url("abort.bin", `?uploadId=${id}`), { method: "DELETE" })).status).toBe(204);
    expect(await outcome(await part("abort.bin", id, 1, bytes(1)))).toMatchObject({ code: "NoSuchUpload" });
    expect(await outcome(await complete("abort.bin", id, [[1, '"x"']]))).toMatchObject({
      code: "NoSuchUpload",
    });
    expect(
      await outcome(await ep.aws.fetch(url("abort.bin", `?uploadId=${id}`), { method: "DELETE" })),
    ).toMatchObject({
      code: "NoSuchUpload",
    });
  });

  it("applies If-None-Match: * on completion (412 when the key exists)", async () => {
    await ep.aws.fetch(url("exists.bin"), { method: "PUT", body: "already" });
    const id = await create("exists.bin");
    const a = (await part("exists.bin", id, 1, bytes(10))).headers.get("etag") ?? "";
    const res = await complete("exists.bin", id, [[1, a]], { "if-none-match": "*" });
    expect(await outcome(res)).toMatchObject({ status: 412, code: "PreconditionFailed" });
    expect(await (await ep.aws.fetch(url("exists.bin"))).text()).toBe("already");
  });

  it("applies If-None-Match with an ETag on completion (412 when it names the current object)", async () => {
    const put = await ep.aws.fetch(url("not-this.bin"), { method: "PUT", body: "v1" });
    const id = await create("not-this.bin");
    const a = (await part("not-this.bin", id, 1, bytes(10))).headers.get("etag") ?? "";
    const refused = await complete("not-this.bin", id, [[1, a]], {
      "if-none-match": put.headers.get("etag") ?? "",
    });
    expect(await outcome(refused)).toMatchObject({ status: 412, code: "PreconditionFailed" });
    const done = await complete("not-this.bin", id, [[1, a]], {
      "if-none-match": '"00000000000000000000000000000000"',
    });
    expect(done.status).toBe(200);
  });

  it("applies a write's conditions when the upload is created, before any part is sent (R2)", async () => {
    const put = await ep.aws.fetch(url("guarded.bin"), { method: "PUT", body: "v1" });
    const refused = await ep.aws.fetch(url("guarded.bin", "?uploads"), {
      method: "POST",
      headers: { "if-none-match": "*" },
    });
    expect(await outcome(refused)).toMatchObject({ status: 412, code: "PreconditionFailed" });
    expect(await create("guarded.bin", { "if-match": put.headers.get("etag") ?? "" })).not.toBe("");
  });

  it("applies If-Match on completion (412 when the ETag differs)", async () => {
    const put = await ep.aws.fetch(url("cas.bin"), { method: "PUT", body: "v1" });
    const id = await create("cas.bin");
    const a = (await part("cas.bin", id, 1, bytes(10))).headers.get("etag") ?? "";
    expect(
      await outcome(
        await complete("cas.bin", id, [[1, a]], { "if-match": '"00000000000000000000000000000000"' }),
      ),
    ).toMatchObject({
      status: 412,
    });
    expect(
      (await complete("cas.bin", id, [[1, a]], { "if-match": put.headers.get("etag") ?? "" })).status,
    ).toBe(200);
  });

  it("refuses a malformed completion document (MalformedXML)", async () => {
    const id = await create("xml.bin");
    const res = await ep.aws.fetch(url("xml.bin", `?uploadId=${id}`), {
      method: "POST",
      body: "<CompleteMultipartUpload><Part>",
    });
    expect(await outcome(res)).toMatchObject({ status: 400, code: "MalformedXML" });
  });
});

describe("ListMultipartUploads", () => {
  it("lists incomplete uploads, filtered by prefix, and forgets aborted ones", async () => {
    const a = await create("inc/a.bin");
    const b = await create("inc/b.bin");
    const c = await create("other/c.bin");
    const body = await (await ep.aws.fetch(`${ep.url}/multi?uploads&prefix=inc%2F`)).text();
    expect(body).toContain(`<UploadId>${a}</UploadId>`);
    expect(body).toContain(`<UploadId>${b}</UploadId>`);
    expect(body).not.toContain(c);
    const paged = await (await ep.aws.fetch(`${ep.url}/multi?uploads&prefix=inc%2F&max-uploads=1`)).text();
    expect(xmlText(paged, "IsTruncated")).toBe("true");
    expect(xmlText(paged, "NextKeyMarker")).toBe("inc/a.bin");
    await ep.aws.fetch(url("inc/a.bin", `?uploadId=${a}`), { method: "DELETE" });
    const after = await (await ep.aws.fetch(`${ep.url}/multi?uploads&prefix=inc%2F`)).text();
    expect(after).not.toContain(a);
    const grouped = await (await ep.aws.fetch(`${ep.url}/multi?uploads&delimiter=%2F`)).text();
    expect(grouped).toContain("<CommonPrefixes><Prefix>inc/</Prefix></CommonPrefixes>");
  });
});
