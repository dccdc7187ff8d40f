/**
 * How commands reach the bucket: the configured S3_ENDPOINT, or the embedded local-s3 of a running `pnpm start`
 * (its port and the dev credentials under DATA_DIR), exactly as the server signs for it.
 */
import { createSigner, type Signer } from "@signet/signer";
import { bucketSigner } from "../connect.ts";
import type { Config } from "../env.ts";
import { UsageError } from "./io.ts";

export interface CliStorage {
  signer: Signer;
  endpoint: string;
  /** The embedded endpoint of a running `pnpm start`. */
  local: boolean;
}

/** A signer for the bucket the server uses. Never starts anything. */
export async function connectStorage(config: Config): Promise<CliStorage> {
  const { s3 } = config;
  if (s3.endpoint) {
    const signer = bucketSigner(s3.endpoint, s3);
    return { signer, endpoint: s3.endpoint, local: false };
  }
  if (config.localS3.port === 0) {
    throw new UsageError(
      "LOCAL_S3_PORT: 0 means a random port chosen at start-up; set S3_ENDPOINT to the local-s3 URL that `pnpm start` printed",
    );
  }
  // Loaded on demand: start.ts pulls in the whole server, which a command against S3_ENDPOINT never needs.
  const { loadDevSecrets } = await import("../start.ts");
  const secrets = await loadDevSecrets(config.dataDir);
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host === "::" ? "[::1]" : config.host;
  const endpoint = `http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${config.localS3.port}`;
  const signer = createSigner({
    endpoint,
    bucket: s3.bucket,
    region: s3.region,
    accessKeyId: s3.accessKeyId ?? secrets.accessKeyId,
    secretAccessKey: s3.secretAccessKey ?? secrets.secretAccessKey,
  });
  return { signer, endpoint, local: true };
}

/** The SPA's origin: `--origin`, else PUBLIC_URL, else what `pnpm start` would use. */
export function spaOrigin(config: Config, option: string | undefined): string {
  const raw = option ?? config.publicUrl;
  if (raw !== undefined) {
    try {
      const url = new URL(raw);
      if (url.protocol === "http:" || url.protocol === "https:") return url.origin;
    } catch {}
    throw new UsageError(
      `--origin: must be an http(s) origin like https://app.example.com (got ${JSON.stringify(raw)})`,
    );
  }
  if (config.port === 0) {
    throw new UsageError(
      "--origin: PUBLIC_URL is unset and PORT is 0, so the SPA's origin is unknown; pass --origin",
    );
  }
  return `http://localhost:${config.port}`;
}
