/**
 * Test fixtures for the CLI: spawn `signet` as an operator would (a child process with only the environment
 * given), and a real local-s3 bucket on a free port.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLocalS3 } from "@signet/local-s3";
import { createSigner, type Signer } from "@signet/signer";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));

export const TEST_CREDENTIALS = {
  accessKeyId: "AKIASIGNETCLITEST001",
  secretAccessKey: "c2lnbmV0IGNsaSB0ZXN0IHNlY3JldCBrZXkgMDAwMDA",
};

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `signet <args>` in a child process with exactly `env` (plus PATH); resolves when it exits. */
export function spawnCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface TestBucket {
  url: string;
  signer: Signer;
  /** The environment that points `signet` at this bucket. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** A local-s3 on port 0 over a fresh directory, with the bucket `signet` created and no CORS rule. */
export async function startTestBucket(extraEnv: Record<string, string> = {}): Promise<TestBucket> {
  const dir = await mkdtemp(join(tmpdir(), "signet-cli-s3-"));
  const server = await createLocalS3({ dir, credentials: [TEST_CREDENTIALS] }).listen({ port: 0 });
  return bucketAt(server.url, dir, extraEnv, async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
}

/** Creates the bucket `signet` at an endpoint and the environment pointing the CLI at it. */
export async function bucketAt(
  url: string,
  dataDir: string,
  extraEnv: Record<string, string>,
  close: () => Promise<void>,
  credentials = TEST_CREDENTIALS,
): Promise<TestBucket> {
  const endpoint = url.replace(/\/+$/, "");
  const signer = createSigner({ endpoint, bucket: "signet", region: "auto", ...credentials });
  await signer.createBucket();
  return {
    url: endpoint,
    signer,
    env: {
      DATA_DIR: join(dataDir, "signet-data"),
      S3_ENDPOINT: endpoint,
      S3_BUCKET: "signet",
      S3_ACCESS_KEY_ID: credentials.accessKeyId,
      S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      BETTER_AUTH_SECRET: "cli-test-secret-cli-test-secret-0123456789",
      PUBLIC_URL: "http://localhost:5173",
      ...extraEnv,
    },
    close,
  };
}
