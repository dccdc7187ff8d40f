/**
 * Connections to the configured database and bucket, the same for the Node start-up, the Worker and the CLI.
 * Nothing here touches the file system, so the Worker bundle can import it.
 */
import { createDb, type Database } from "@signet/db";
import { createSigner, type Signer } from "@signet/signer";
import type { Config } from "./env.ts";

/** Opens DATABASE_URL (a libSQL file or libsql:// URL) with DATABASE_AUTH_TOKEN when one is set; no migration. */
export function connectDatabase(config: Config): Promise<Database> {
  return createDb({
    url: config.databaseUrl,
    ...(config.databaseAuthToken ? { authToken: config.databaseAuthToken } : {}),
  });
}

/** A signer for the configured bucket at S3_ENDPOINT; the settings require both keys whenever it is set. */
export function bucketSigner(endpoint: string, s3: Config["s3"]): Signer {
  return createSigner({
    endpoint,
    bucket: s3.bucket,
    region: s3.region,
    accessKeyId: s3.accessKeyId!,
    secretAccessKey: s3.secretAccessKey!,
  });
}
