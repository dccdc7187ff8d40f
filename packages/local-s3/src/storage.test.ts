import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytes, type Endpoint, startEndpoint, xmlText } from "./testing.ts";

const MiB = 1024 * 1024;
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "local-s3-storage-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Every file under `dir`, relative. */
async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name).slice(dir.length + 1));
  }
  return out.sort();
}

describe("restart persistence", () => {
  it("keeps objects, metadata, CORS rules and multipart uploads in progress across a restart", async () => {
    const dir = join(root, "persist");
    let ep: Endpoint = await startEndpoint({ dir });
    await ep.aws.fetch(`${ep.url}/keep`, { method: "PUT" });
    await ep.aws.fetch(`${ep.url}/keep/doc.txt`, {
      method: "PUT",
      body: "persisted",
      headers: { "content-type": "text/plain", "x-amz-meta-v": "1" },
    });
    await ep.aws.fetch(`${ep.url}/keep?cors`, {
      method: "PUT",
      body: "<CORSConfiguration><CORSRule><AllowedOrigin>http://app.test</AllowedOrigin><AllowedMethod>PUT</AllowedMethod></CORSRule></CORSConfiguration>",
    });
    const created = await (await ep.aws.fetch(`${ep.url}/keep/big.bin?uploads`, { method: "POST" })).text();
    const uploadId = xmlText(created, "UploadId") ?? "";
    const part = await ep.aws.fetch(`${ep.url}/keep/big.bin?partNumber=1&uploadId=${uploadId}`, {
      method: "PUT",
      body: bytes(100),
    });
    const partEtag = part.headers.get("etag") ?? "";
    await ep.close();

    ep = await startEndpoint({ dir });
    try {
      const get = await ep.aws.fetch(`${ep.url}/keep/doc.txt`);
      expect(await get.text()).toBe("persisted");
      expect(get.headers.get("content-type")).toBe("text/plain");
      expect(get.headers.get("x-amz-meta-v")).toBe("1");
      const preflight = await fetch(`${ep.url}/keep/doc.txt`, {
        method: "OPTIONS",
        headers: { origin: "http://app.test", "access-control-request-method": "PUT" },
      });
      expect(preflight.status).toBe(200);
      expect(await (await ep.aws.fetch(`${ep.url}/keep?uploads`)).text()).toContain(uploadId);
      const complete = await ep.aws.fetch(`${ep.url}/keep/big.bin?uploadId=${uploadId}`, {
        method: "POST",
        body: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${partEtag}</ETag></Part></CompleteMultipartUpload>`,
      });
      expect(complete.status).toBe(200);
      expect(
        (await ep.aws.fetch(`${ep.url}/keep/big.bin`, { method: "HEAD" })).headers.get("content-length"),
      ).toBe("100");
    } finally {
      await ep.close();
    }
  });
});

describe("crafted keys", () => {
  const crafted = [
    "../../escape.txt",
    "../",
    "./x",
    "%2e%2e/%2e%2e/escape",
    "a\u0000b",
    "é".repeat(512),
    "objects",
    ".tmp",
    "cors.json",
    "uploads/upload.json",
    "../keys/objects/../cors.json",
    "\\..\\windows",
    "con",
    " leading and trailing ",
  ];

  it("stay inside the data directory, each readable as its own object and listed exactly", async () => {
    const outer = join(root, "crafted");
    const dir = join(outer, "data");
    const ep = await startEndpoint({ dir });
    try {
      await ep.aws.fetch(`${ep.url}/keys`, { method: "PUT" });
      for (const [i, key] of crafted.entries()) {
        // Every character but unreserved ones is percent-encoded, so no "." or ".." segment reaches the URL parser.
        const res = await ep.aws.fetch(`${ep.url}/keys/${encodeURIComponent(key).replace(/\./g, "%2E")}`, {
          method: "PUT",
          body: `body ${i}`,
        });
        expect(res.status, key).toBe(200);
      }
      for (const [i, key] of crafted.entries()) {
        const res = await ep.aws.fetch(`${ep.url}/keys/${encodeURIComponent(key).replace(/\./g, "%2E")}`);
        expect(await res.text(), key).toBe(`body ${i}`);
      }
      const listing = await (await ep.aws.fetch(`${ep.url}/keys?list-type=2&encoding-type=url`)).text();
      const listed = [...listing.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => decodeURIComponent(m[1] ?? ""));
      expect(listed.sort()).toEqual([...crafted].sort());
      // A "." or ".." segment never names a key: URL parsing resolves it before S3 semantics apply, so the
      // request lands elsewhere (here on the service root) and writes nothing.
      for (const segment of ["%2E%2E", "%2E", "..", "."]) {
        const res = await ep.aws.fetch(`${ep.url}/keys/${segment}`, { method: "PUT", body: "dot" });
        expect(res.status, segment).not.toBe(200);
      }
      const after = await (await ep.aws.fetch(`${ep.url}/keys?list-type=2`)).text();
      expect(xmlText(after, "KeyCount")).toBe(String(crafted.length));
      // Nothing was written beside the data directory.
      expect(await readdir(outer)).toEqual(["data"]);
      expect((await readdir(dir)).sort()).toEqual(["keys"]);
    } finally {
      await ep.close();
    }
  });

  it("refuses a key of 1025 bytes while accepting 1024", async () => {
    const ep = await startEndpoint();
    try {
      await ep.aws.fetch(`${ep.url}/keys`, { method: "PUT" });
      const ok = await ep.aws.fetch(`${ep.url}/keys/${encodeURIComponent("é".repeat(512))}`, {
        method: "PUT",
        body: "x",
      });
      expect(ok.status).toBe(200);
      const tooLong = await ep.aws.fetch(`${ep.url}/keys/${encodeURIComponent(`${"é".repeat(512)}a`)}`, {
        method: "PUT",
        body: "x",
      });
      expect(tooLong.status).toBe(400);
    } finally {
      await ep.close();
    }
  });
});

describe("two instances over one directory", () => {
  it("a second instance's start-up sweep leaves the first one's upload in progress alone", async () => {
    const dir = join(root, "shared");
    const first = await startEndpoint({ dir });
    try {
      await first.aws.fetch(`${first.url}/shared`, { method: "PUT" });
      const total = 2 * MiB;
      const signed = await first.aws.sign(`${first.url}/shared/slow.bin`, {
        method: "PUT",
        headers: { "content-length": String(total), "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      });
      const target = new URL(signed.url);
      let status = 0;
      const done = new Promise<void>((resolve, reject) => {
        const req = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method: "PUT",
            headers: Object.fromEntries(signed.headers),
          },
          (res) => {
            status = res.statusCode ?? 0;
            res.resume();
            res.on("end", resolve);
          },
        );
        req.on("error", reject);
        req.write(bytes(MiB, 5));
        const tmp = join(dir, "shared", ".tmp");
        (async () => {
          while ((await readdir(tmp)).length === 0) await new Promise((r) => setTimeout(r, 10));
          const second = await startEndpoint({ dir });
          // Any request runs the second instance's start-up sweep.
          expect((await second.aws.fetch(`${second.url}/shared`, { method: "HEAD" })).status).toBe(200);
          await second.close();
          req.end(bytes(MiB, 6));
        })().catch(reject);
      });
      await done;
      expect(status).toBe(200);
      expect(
        (await first.aws.fetch(`${first.url}/shared/slow.bin`, { method: "HEAD" })).headers.get(
          "content-length",
        ),
      ).toBe(String(total));
    } finally {
      await first.close();
    }
  });
});

describe("a killed writer", () => {
  it("leaves no object and no visible temp file when the process dies mid-PUT", async () => {
    const dir = join(root, "killed");
    // node with tsx's loader, not the tsx CLI: the CLI forks a second process, and killing the CLI would
    // leave the real server running.
    const child = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("./fixtures/serve.ts", import.meta.url)), dir],
      {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.once("data", (data: Buffer) => resolve(data.toString().trim()));
        child.once("exit", (code) => reject(new Error(`child exited early with ${code}`)));
      });
      const probe = await startEndpoint({ dir: join(root, "killed-signer") });
      await probe.close(); // only its aws4fetch client is needed, signing for the child's URL
      await probe.aws.fetch(`${url}/crash`, { method: "PUT" });
      const total = 8 * MiB;
      const signed = await probe.aws.sign(`${url}/crash/half.bin`, {
        method: "PUT",
        headers: { "content-length": String(total), "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
      });
      const target = new URL(signed.url);
      const req = httpRequest({
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "PUT",
        headers: Object.fromEntries(signed.headers),
      });
      req.on("error", () => {});
      req.write(bytes(2 * MiB));
      // Wait until the server has streamed part of the body into its temp file, then kill it.
      const tmp = join(dir, "crash", ".tmp");
      for (;;) {
        const names = await readdir(tmp).catch(() => []);
        const sizes = await Promise.all(
          names.map((n) =>
            stat(join(tmp, n)).then(
              (s) => s.size,
              () => 0,
            ),
          ),
        );
        if (sizes.some((size) => size > 0)) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
      req.destroy();

      // The crash left its half-written temp file behind, and nothing in the object store.
      expect(await files(join(dir, "crash", ".tmp"))).toHaveLength(1);
      expect(await files(join(dir, "crash", "objects"))).toEqual([]);
      const ep = await startEndpoint({ dir });
      try {
        expect((await ep.aws.fetch(`${ep.url}/crash/half.bin`, { method: "HEAD" })).status).toBe(404);
        const listing = await (await ep.aws.fetch(`${ep.url}/crash?list-type=2`)).text();
        expect(xmlText(listing, "KeyCount")).toBe("0");
        // Start-up swept the half-written temp file.
        expect(await files(join(dir, "crash"))).toEqual([]);
      } finally {
        await ep.close();
      }
    } finally {
      child.kill("SIGKILL");
      child.stdout.destroy();
    }
  });
});
