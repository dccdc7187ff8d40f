// The S3 tools people already use, with their default settings, against local-s3 on port 0: the AWS CLI (the
// image's `aws`, v1 with current botocore: CRC32 checksums by default), rclone and s3cmd (ListObjects v1), and
// the AWS SDK for JavaScript v3 with its default checksum settings (CRC32, aws-chunked trailers for streams).
// Each makes a bucket, copies a small and a 100 MiB file, lists, syncs a folder, downloads and compares bytes,
// presigns where the client can with SigV4 (and shows the refusal where it cannot), and removes everything.
import { execFile, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CREDS, type Endpoint, startEndpoint, xmlText } from "./testing.ts";

const BIG = 100 * 1024 * 1024;
let ep: Endpoint;
let work: string;
let bigSha256: string;
/** The folder every client syncs: two files, one in a sub-folder, one with a space and a non-ASCII name. */
const FOLDER = { "a.txt": "alpha\n", "sub/b c é.txt": "beta\n" };

/** Clients run with the caller's environment minus anything AWS-specific (a CA bundle, profiles, keys). */
function clientEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(AWS_|RCLONE_|S3CMD)/.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, maxBuffer: 16 << 20, timeout: 240_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function installed(command: string): boolean {
  return spawnSync(command, ["--version"], { stdio: "ignore", env: clientEnv({}) }).status === 0;
}

/** A client missing here fails in CI (which installs them all) and is skipped on a developer's machine. */
function needs(command: string): boolean {
  const present = installed(command);
  if (!present && process.env.CI) throw new Error(`${command} is not installed; .ci/run installs it`);
  return present;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest("hex");
}

/** Asserts that `prefix` in `bucket` holds exactly the synced folder's files with their bytes. */
async function expectSynced(bucket: string, prefix: string): Promise<void> {
  for (const [name, text] of Object.entries(FOLDER)) {
    const response = await ep.aws.fetch(`${ep.url}/${bucket}/${prefix}${encodeURI(name)}`);
    expect(response.status, name).toBe(200);
    expect(await response.text()).toBe(text);
  }
}

beforeAll(async () => {
  ep = await startEndpoint();
  work = await mkdtemp(join(tmpdir(), "local-s3-clients-"));
  // Random bytes: a client that corrupted, truncated or reordered them could not match the hash by accident.
  const big = randomBytes(BIG);
  bigSha256 = createHash("sha256").update(big).digest("hex");
  await writeFile(join(work, "big.bin"), big);
  await writeFile(join(work, "small.txt"), "a small file\n");
  for (const [name, text] of Object.entries(FOLDER)) {
    await mkdir(join(work, "folder", name, ".."), { recursive: true });
    await writeFile(join(work, "folder", name), text);
  }
}, 60_000);
afterAll(async () => {
  await ep?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe.skipIf(!needs("aws"))("the AWS CLI (`aws`, default settings)", () => {
  const bucket = "cli-bucket";
  const aws = (...args: string[]) =>
    run(
      "aws",
      ["--endpoint-url", ep.url, ...args],
      clientEnv({
        AWS_ACCESS_KEY_ID: CREDS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey,
        AWS_DEFAULT_REGION: "auto",
        AWS_CONFIG_FILE: join(work, "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(work, "no-aws-credentials"),
      }),
    );

  it("mb, cp small and 100 MiB (multipart), ls, sync, cp back, presign, rm, rb", async () => {
    await aws("s3", "mb", `s3://${bucket}`);
    await aws("s3", "cp", join(work, "small.txt"), `s3://${bucket}/small.txt`, "--no-progress");
    await aws("s3", "cp", join(work, "big.bin"), `s3://${bucket}/big.bin`, "--no-progress");
    const head = JSON.parse(
      await aws("s3api", "head-object", "--bucket", bucket, "--key", "big.bin", "--checksum-mode", "ENABLED"),
    );
    expect(head.ContentLength).toBe(BIG);
    // Current botocore asks for CRC32 on multipart uploads; v2 of the CLI sends no checksum.
    if (head.ChecksumCRC32 !== undefined) expect(head.ChecksumType).toBe("COMPOSITE");
    const listing = await aws("s3", "ls", `s3://${bucket}`);
    expect(listing).toMatch(/104857600 big\.bin/);
    expect(listing).toMatch(/13 small\.txt/);
    await aws("s3", "sync", join(work, "folder"), `s3://${bucket}/synced`, "--no-progress");
    await expectSynced(bucket, "synced/");
    // A second sync finds nothing to do: the listing told it sizes and times that match.
    expect(await aws("s3", "sync", join(work, "folder"), `s3://${bucket}/synced`, "--no-progress")).toBe("");
    const down = join(work, "cli-down.bin");
    await aws("s3", "cp", `s3://${bucket}/big.bin`, down, "--no-progress");
    expect(await sha256File(down)).toBe(bigSha256);
    await rm(down);
    const url = (await aws("s3", "presign", `s3://${bucket}/small.txt`, "--expires-in", "300")).trim();
    expect(url).toContain("X-Amz-Algorithm=AWS4-HMAC-SHA256");
    expect(await (await fetch(url)).text()).toBe("a small file\n");
    await aws("s3", "rm", "--recursive", `s3://${bucket}`, "--only-show-errors");
    await aws("s3", "rb", `s3://${bucket}`);
    expect((await ep.aws.fetch(`${ep.url}/${bucket}`, { method: "HEAD" })).status).toBe(404);
  }, 240_000);
});

describe.skipIf(!needs("rclone"))("rclone (provider Other, default settings)", () => {
  const bucket = "rclone-bucket";
  const rclone = (...args: string[]) =>
    run(
      "rclone",
      [
        "--s3-provider=Other",
        `--s3-endpoint=${ep.url}`,
        `--s3-access-key-id=${CREDS.accessKeyId}`,
        `--s3-secret-access-key=${CREDS.secretAccessKey}`,
        ...args,
      ],
      clientEnv({ RCLONE_CONFIG: join(work, "no-rclone.conf") }),
    );

  it("mkdir, copyto small and 100 MiB, ls/lsf/size (ListObjects v1), sync, cat back, link, purge", async () => {
    await rclone("mkdir", `:s3:${bucket}`);
    await rclone("copyto", join(work, "small.txt"), `:s3:${bucket}/small.txt`);
    await rclone("copyto", join(work, "big.bin"), `:s3:${bucket}/big.bin`);
    const listing = await rclone("ls", `:s3:${bucket}`);
    expect(listing).toMatch(/104857600 big\.bin/);
    expect(listing).toMatch(/13 small\.txt/);
    expect((await rclone("lsf", `:s3:${bucket}`)).split("\n").sort()).toEqual(["", "big.bin", "small.txt"]);
    expect(JSON.parse(await rclone("size", "--json", `:s3:${bucket}`))).toMatchObject({
      count: 2,
      bytes: BIG + 13,
    });
    await rclone("sync", join(work, "folder"), `:s3:${bucket}/synced`);
    await expectSynced(bucket, "synced/");
    // The delimiter listing shows the folder as a directory.
    expect(await rclone("lsf", `:s3:${bucket}/synced`)).toContain("sub/");
    const down = join(work, "rclone-down.bin");
    await rclone("copyto", `:s3:${bucket}/big.bin`, down);
    expect(await sha256File(down)).toBe(bigSha256);
    await rm(down);
    const url = (await rclone("link", "--expire", "5m", `:s3:${bucket}/small.txt`)).trim();
    expect(url).toContain("X-Amz-Algorithm=AWS4-HMAC-SHA256");
    expect(await (await fetch(url)).text()).toBe("a small file\n");
    await rclone("purge", `:s3:${bucket}`);
    expect((await ep.aws.fetch(`${ep.url}/${bucket}`, { method: "HEAD" })).status).toBe(404);
  }, 240_000);
});

describe.skipIf(!needs("s3cmd"))("s3cmd (default settings, path-style host)", () => {
  const bucket = "s3cmd-bucket";
  let config: string;
  const s3cmd = (...args: string[]) => run("s3cmd", ["-c", config, ...args], clientEnv({}));

  beforeAll(async () => {
    // The least s3cmd needs: keys, the endpoint for both the service and bucket hosts, plain HTTP.
    const host = new URL(ep.url).host;
    config = join(work, "s3cfg");
    await writeFile(
      config,
      `[default]\naccess_key = ${CREDS.accessKeyId}\nsecret_key = ${CREDS.secretAccessKey}\nhost_base = ${host}\nhost_bucket = ${host}\nuse_https = False\n`,
    );
  });

  it("mb, put small and 100 MiB (multipart), ls/du (ListObjects v1), sync, get back, rm, rb", async () => {
    await s3cmd("mb", `s3://${bucket}`);
    await s3cmd("put", join(work, "small.txt"), `s3://${bucket}/small.txt`);
    await s3cmd("put", join(work, "big.bin"), `s3://${bucket}/big.bin`);
    const listing = await s3cmd("ls", `s3://${bucket}`);
    expect(listing).toMatch(/104857600\s+s3:\/\/s3cmd-bucket\/big\.bin/);
    expect(listing).toMatch(/13\s+s3:\/\/s3cmd-bucket\/small\.txt/);
    expect(await s3cmd("du", `s3://${bucket}`)).toMatch(new RegExp(`${BIG + 13}\\s+2 objects`));
    await s3cmd("sync", `${join(work, "folder")}/`, `s3://${bucket}/synced/`);
    await expectSynced(bucket, "synced/");
    expect(await s3cmd("ls", `s3://${bucket}/synced/`)).toMatch(/DIR\s+s3:\/\/s3cmd-bucket\/synced\/sub\//);
    const down = join(work, "s3cmd-down.bin");
    await s3cmd("get", "--force", `s3://${bucket}/big.bin`, down);
    expect(await sha256File(down)).toBe(bigSha256);
    await rm(down);
    await s3cmd("del", "--recursive", "--force", `s3://${bucket}`);
    await s3cmd("rb", `s3://${bucket}`);
    expect((await ep.aws.fetch(`${ep.url}/${bucket}`, { method: "HEAD" })).status).toBe(404);
  }, 240_000);

  it("signurl makes SigV2 URLs, which R2 and local-s3 refuse (use `aws s3 presign` or `rclone link`)", async () => {
    await s3cmd("mb", "s3://s3cmd-signurl");
    await s3cmd("put", join(work, "small.txt"), "s3://s3cmd-signurl/small.txt");
    const url = (await s3cmd("signurl", "s3://s3cmd-signurl/small.txt", "+300")).trim();
    expect(url).toContain("AWSAccessKeyId=");
    const response = await fetch(url);
    expect(response.status).toBe(400);
    expect(xmlText(await response.text(), "Code")).toBe("InvalidRequest");
  }, 60_000);
});

describe("the AWS SDK for JavaScript v3 (default checksum settings)", () => {
  const Bucket = "sdk-defaults";
  let client: S3Client;
  beforeAll(() => {
    client = new S3Client({ endpoint: ep.url, region: "auto", forcePathStyle: true, credentials: CREDS });
  });
  afterAll(() => client.destroy());

  it("creates, puts a string and a 100 MiB file stream (aws-chunked, CRC32 trailer), lists, gets back, presigns, deletes", async () => {
    await client.send(new CreateBucketCommand({ Bucket }));
    const small = await client.send(
      new PutObjectCommand({ Bucket, Key: "small.txt", Body: "a small file\n" }),
    );
    expect(small.ChecksumCRC32).toBeDefined();
    const big = await client.send(
      new PutObjectCommand({
        Bucket,
        Key: "big.bin",
        Body: createReadStream(join(work, "big.bin")),
        ContentLength: (await stat(join(work, "big.bin"))).size,
      }),
    );
    expect(big.ChecksumCRC32).toBeDefined();
    for (const [name, text] of Object.entries(FOLDER)) {
      await client.send(new PutObjectCommand({ Bucket, Key: `synced/${name}`, Body: text }));
    }
    await expectSynced(Bucket, "synced/");
    const listed = await client.send(new ListObjectsV2Command({ Bucket, Delimiter: "/" }));
    expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([
      ["big.bin", BIG],
      ["small.txt", 13],
    ]);
    expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["synced/"]);
    // GetObject validates the CRC32 it asks for (checksum mode) against the bytes it reads.
    const got = await client.send(new GetObjectCommand({ Bucket, Key: "big.bin" }));
    expect(got.ChecksumCRC32).toBe(big.ChecksumCRC32);
    const hash = createHash("sha256");
    for await (const chunk of got.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
    expect(hash.digest("hex")).toBe(bigSha256);
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket, Key: "small.txt" }), {
      expiresIn: 300,
    });
    expect(await (await fetch(url)).text()).toBe("a small file\n");
    for (const Key of ["small.txt", "big.bin", ...Object.keys(FOLDER).map((name) => `synced/${name}`)]) {
      await client.send(new DeleteObjectCommand({ Bucket, Key }));
    }
    await client.send(new DeleteBucketCommand({ Bucket }));
    expect((await ep.aws.fetch(`${ep.url}/${Bucket}`, { method: "HEAD" })).status).toBe(404);
  }, 240_000);
});
