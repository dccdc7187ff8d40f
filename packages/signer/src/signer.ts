import { SignerInputError } from "./errors.ts";
import { type ResolvedOptions, resolveOptions, type SignerOptions } from "./options.ts";
import { createPresigner, type Presigner } from "./presign.ts";
import { createS3Calls, type S3Calls } from "./s3-calls.ts";

/** Presigned URLs for browsers plus the few S3 calls the server makes itself, for one bucket. */
export interface Signer extends Presigner, S3Calls {}

/**
 * Creates a signer for one bucket. Options are validated here (a SignerInputError names the bad one), so the
 * returned methods only check their own arguments. URLs are path-style: `<endpoint>/<bucket>/<key>`.
 */
export function createSigner(options: SignerOptions): Signer {
  const config: ResolvedOptions = resolveOptions(options);
  return { ...createPresigner(config), ...createS3Calls(config) };
}

const ACCOUNT_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** The S3 endpoint of a Cloudflare account's R2: `https://<accountId>.r2.cloudflarestorage.com`. */
export function r2Endpoint(accountId: string): string {
  if (typeof accountId !== "string" || !ACCOUNT_ID.test(accountId)) {
    throw new SignerInputError("accountId", "must be a Cloudflare account id (letters, digits and '-')");
  }
  return `https://${accountId.toLowerCase()}.r2.cloudflarestorage.com`;
}
