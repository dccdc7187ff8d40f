/** `signet upload` against a real server (Node entry, embedded local-s3) on free ports. */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveNode } from "../entry/node-serve.ts";
import { startSignet } from "../start.ts";
import { type Client, signUp } from "../testing/e2e-over-http.ts";
import { runUpload } from "./upload.ts";

const MiB = 1024 * 1024;
let dir: string;
let server: Awaited<ReturnType<typeof startSignet>>;
let client: Client;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-cli-upload-"));
  server = await startSignet({
    env: {
      DATA_DIR: join(dir, "data"),
      PORT: "0",
      LOCAL_S3_PORT: "0",
      MULTIPART_THRESHOLD_BYTES: String(6 * MiB),
    },
    serve: serveNode,
    print: () => {},
    logger: () => {},
    sweepIntervalMs: 0,
  });
  client = await signUp(server.publicUrl);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

function patterned(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i += 8) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function downloadedSha(fileId: string): Promise<string> {
  const { url } = await client.call<{ url: string }>("files.downloadUrl", { fileId }, "query");
  return sha(new Uint8Array(await (await fetch(url)).arrayBuffer()));
}

describe("signet upload", () => {
  it("uploads a file with a progress line per 10 % when not in a terminal", async () => {
    const path = join(dir, "notes.bin");
    const bytes = patterned(3 * MiB, 7);
    await writeFile(path, bytes);
    const lines: string[] = [];
    const progress: string[] = [];
    const env = {
      SIGNET_URL: server.publicUrl,
      SIGNET_TOKEN: client.token,
      SIGNET_STATE_DIR: join(dir, "s1"),
    };
    const code = await runUpload([path], {
      env,
      out: (l) => lines.push(l),
      progress: { write: (t) => progress.push(t), isTTY: false },
    });
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^uploaded notes\.bin: [0-9a-f-]{36} \(3145728 bytes, ready\)$/);
    expect(progress.at(-1)).toMatch(/^notes\.bin 100% 3\.1 MB\/3\.1 MB/);
    const id = /: ([0-9a-f-]{36}) /.exec(lines[0]!)![1]!;
    expect(await downloadedSha(id)).toBe(sha(bytes));
  }, 60_000);

  it("stops midway keeping the parts, and --resume sends the rest", async () => {
    const path = join(dir, "film.bin");
    const bytes = patterned(40 * MiB, 9);
    await writeFile(path, bytes);
    const stateDir = join(dir, "s2");
    const env = { SIGNET_URL: server.publicUrl, SIGNET_TOKEN: client.token, SIGNET_STATE_DIR: stateDir };
    const pause = new AbortController();
    const lines: string[] = [];
    const first = await runUpload([path], {
      env,
      out: (l) => lines.push(l),
      pause: pause.signal,
      // Ctrl-C once some of the file is across.
      progress: {
        write: (t) => {
          if (/ (4|5|6|7|8)\d% /.test(t)) pause.abort();
        },
        isTTY: false,
      },
    });
    expect(first).toBe(1);
    expect(lines.at(-1)).toMatch(
      /stopped; run `signet upload .*film\.bin --resume` to send only the missing parts$/,
    );
    expect(await readdir(stateDir)).toHaveLength(1);

    const resumed: string[] = [];
    const second = await runUpload([path, "--resume"], {
      env,
      out: (l) => resumed.push(l),
      progress: { write: () => {}, isTTY: false },
    });
    expect(resumed).toEqual([expect.stringMatching(/^uploaded film\.bin: .* \(41943040 bytes, ready\)$/)]);
    expect(second).toBe(0);
    expect(await readdir(stateDir)).toHaveLength(0);
    const id = /: ([0-9a-f-]{36}) /.exec(resumed[0]!)![1]!;
    expect(await downloadedSha(id)).toBe(sha(bytes));
  }, 120_000);

  it("says what is missing", async () => {
    const lines: string[] = [];
    expect(await runUpload([], { env: {}, out: (l) => lines.push(l) })).toBe(2);
    expect(await runUpload(["x"], { env: { SIGNET_URL: "http://x" }, out: (l) => lines.push(l) })).toBe(2);
    expect(lines).toEqual([
      expect.stringMatching(/^usage: signet upload <file> \[--resume\]/),
      "signet upload: SIGNET_TOKEN is required (the server's origin and a bearer token)",
    ]);
  });
});
