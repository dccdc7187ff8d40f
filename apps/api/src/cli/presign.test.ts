import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Base64 } from "../testing/harness.ts";
import { spawnCli, startTestBucket, type TestBucket } from "./testing.ts";

// `signet presign` spawned as an operator runs it, against a real local-s3 that verifies every signature.

let bucket: TestBucket;
beforeAll(async () => {
  bucket = await startTestBucket();
});
afterAll(async () => {
  await bucket?.close();
});

/** The URL and headers from the human output: the URL first, then indented `name: value` lines. */
function parseHuman(stdout: string): { url: string; headers: Record<string, string> } {
  const [url = "", ...rest] = stdout.split("\n");
  const headers: Record<string, string> = {};
  for (const line of rest) {
    const match = /^ {2}([a-z0-9-]+): (.*)$/.exec(line);
    if (match) headers[match[1]!] = match[2]!;
  }
  return { url, headers };
}

// Each spawn starts tsx afresh: slow on a shared machine, hence the generous timeout.
describe("signet presign", { timeout: 60_000 }, () => {
  it("prints a PUT URL and headers that upload as printed, and refuses a changed header or another body", async () => {
    const body = new TextEncoder().encode("hello, signet");
    const checksum = await sha256Base64(body);
    const run = await spawnCli(
      [
        "presign",
        "docs/hello world+1.txt",
        "--method",
        "PUT",
        "--content-type",
        "text/plain",
        "--content-length",
        String(body.byteLength),
        "--checksum-sha256",
        checksum,
        "--expires-in",
        "120",
      ],
      bucket.env,
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const { url, headers } = parseHuman(run.stdout);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/signet\/docs\/hello%20world%2B1\.txt\?X-Amz-Algorithm=/);
    expect(url).toContain("X-Amz-Expires=120");
    expect(headers).toEqual({
      "content-length": String(body.byteLength),
      "content-type": "text/plain",
      "if-none-match": "*",
      "x-amz-checksum-sha256": checksum,
    });
    const { "content-length": _, ...sent } = headers;

    const changed = await fetch(url, {
      method: "PUT",
      headers: { ...sent, "content-type": "text/html" },
      body,
    });
    expect(changed.status).toBe(403);
    expect(await changed.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    const otherBody = await fetch(url, {
      method: "PUT",
      headers: sent,
      body: new TextEncoder().encode("HELLO, SIGNET"),
    });
    expect(otherBody.status).toBe(400);
    expect(await otherBody.text()).toContain("<Code>BadDigest</Code>");

    const put = await fetch(url, { method: "PUT", headers: sent, body });
    expect(put.status).toBe(200);
    expect((await bucket.signer.headObject("docs/hello world+1.txt"))?.size).toBe(body.byteLength);
    // If-None-Match: * was signed: the same URL cannot overwrite what it created.
    expect((await fetch(url, { method: "PUT", headers: sent, body })).status).toBe(412);
  });

  it("prints a GET URL as JSON that downloads the object", async () => {
    const run = await spawnCli(["presign", "docs/hello world+1.txt", "--json"], bucket.env);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      url: string;
      method: string;
      headers: object;
      expiresIn: number;
    };
    expect(result).toMatchObject({ method: "GET", headers: {}, expiresIn: 3600 });
    const response = await fetch(result.url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("hello, signet");
  });

  it("refuses what Signet's rules refuse, naming the option, with exit 2", async () => {
    const tooLong = await spawnCli(["presign", "k", "--expires-in", "604801"], bucket.env);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain("--expires-in: must be a whole number from 1 to 604800");
    const badChecksum = await spawnCli(
      ["presign", "k", "--method", "PUT", "--content-length", "3", "--checksum-sha256", "nope"],
      bucket.env,
    );
    expect(badChecksum.code).toBe(2);
    expect(badChecksum.stderr).toMatch(/--checksum-sha256: /);
    expect(badChecksum.stdout).toBe("");
  });
});
