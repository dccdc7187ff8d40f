#!/usr/bin/env node
// Dev entry: `pnpm --filter @signet/local-s3 start -- --port 9000 --dir ./data/s3`. Reads credentials from flags
// or the environment, generates them when absent, creates no bucket, and prints what a client needs.
import { parseArgs } from "node:util";
import { createLocalS3, generateCredentials } from "./index.ts";

function fail(message: string): never {
  console.error(`local-s3: ${message}`);
  process.exit(2);
}

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    port: { type: "string" },
    host: { type: "string" },
    dir: { type: "string" },
    region: { type: "string" },
    "access-key-id": { type: "string" },
    "secret-access-key": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  strict: true,
});

if (values.help) {
  console.log(`Usage: local-s3 [--port 9000] [--host 127.0.0.1] [--dir ./data/s3] [--region auto]
                [--access-key-id ID --secret-access-key SECRET]
Environment: LOCAL_S3_PORT, LOCAL_S3_DIR, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY.
Credentials are generated when none are given.`);
  process.exit(0);
}

const env = process.env;
const portText = values.port ?? env.LOCAL_S3_PORT ?? "9000";
if (!/^\d+$/.test(portText) || Number(portText) > 65535)
  fail(`--port must be an integer 0..65535, got "${portText}"`);
const dir = values.dir ?? env.LOCAL_S3_DIR ?? "./data/s3";
const region = values.region ?? env.S3_REGION ?? "auto";
const accessKeyId = values["access-key-id"] ?? env.S3_ACCESS_KEY_ID;
const secretAccessKey = values["secret-access-key"] ?? env.S3_SECRET_ACCESS_KEY;
if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
  fail("--access-key-id and --secret-access-key (or S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY) go together");
}
const credentials =
  accessKeyId !== undefined && secretAccessKey !== undefined
    ? { accessKeyId, secretAccessKey }
    : generateCredentials();

try {
  const s3 = createLocalS3({ dir, credentials: [credentials], region });
  const server = await s3.listen({ port: Number(portText), hostname: values.host ?? "127.0.0.1" });
  // These are local dev keys the user needs to configure a client; this is the one place they are shown.
  console.log(`local-s3 listening
  endpoint:          ${server.url}
  region:            ${region}
  access key id:     ${credentials.accessKeyId}
  secret access key: ${credentials.secretAccessKey}
  data directory:    ${dir}`);
  const stop = () => {
    server.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
