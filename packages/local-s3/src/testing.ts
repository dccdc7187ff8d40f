// Shared fixtures for the conformance suite: a real endpoint on port 0 over a fresh temp dir, and signing
// clients that are not ours (aws4fetch here; the AWS SDK in sdk.test.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { createLocalS3, type LocalS3, type RunningServer } from "./index.ts";

export const CREDS = {
  accessKeyId: "AKIALOCALS3TEST00001",
  secretAccessKey: "bG9jYWwtczMgdGVzdCBzZWNyZXQga2V5IDAwMDAw",
};

export interface Endpoint {
  dir: string;
  url: string;
  s3: LocalS3;
  server: RunningServer;
  aws: AwsClient;
  /** Sets the endpoint's clock (undefined = real time). */
  setNow(date: Date | undefined): void;
  close(): Promise<void>;
}

/** Starts an endpoint over `dir` (a fresh temp dir by default) on a free port. */
export async function startEndpoint(options: { dir?: string; region?: string } = {}): Promise<Endpoint> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "local-s3-test-")));
  let fixed: Date | undefined;
  const s3 = createLocalS3({
    dir,
    credentials: [CREDS],
    region: options.region ?? "auto",
    now: () => fixed ?? new Date(),
  });
  const server = await s3.listen({ port: 0 });
  // No retries: aws4fetch retries 5xx answers, which would hide NotImplemented behind seconds of back-off.
  const aws = new AwsClient({ ...CREDS, service: "s3", region: options.region ?? "auto", retries: 0 });
  return {
    dir,
    url: server.url,
    s3,
    server,
    aws,
    setNow: (date) => {
      fixed = date;
    },
    close: async () => {
      await server.close();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** SigV4's compact timestamp for a Date. */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** Extracts one element's text from an XML body (enough for asserting on S3 answers). */
export function xmlText(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m?.[1];
}

/** Asserts nothing but returns status and the S3 error code, for compact expectations. */
export async function outcome(
  response: Response,
): Promise<{ status: number; code: string | undefined; body: string }> {
  const body = await response.text();
  return { status: response.status, code: xmlText(body, "Code"), body };
}

/** Deterministic pseudo-random bytes (xorshift), so large bodies are reproducible without storing them. */
export function bytes(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
