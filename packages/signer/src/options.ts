import { CONTROL_OR_SPACE } from "./chars.ts";
import { SignerInputError } from "./errors.ts";

/** How to reach the bucket and whose credentials sign. */
export interface SignerOptions {
  /** S3 endpoint origin, e.g. `https://<account>.r2.cloudflarestorage.com` or `http://127.0.0.1:9000`. */
  endpoint: string;
  /** Bucket name; URLs are path-style, `<endpoint>/<bucket>/<key>`. */
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary-credential token; sent as `X-Amz-Security-Token`. */
  sessionToken?: string | undefined;
  /** Signing region; `auto` (the default) is what R2 expects. */
  region?: string | undefined;
  /** Clock used for every signature (presigned URLs and the server's own S3 calls). Defaults to the wall clock. */
  now?: (() => Date) | undefined;
}

/** SignerOptions after validation. */
export interface ResolvedOptions {
  origin: string;
  host: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | undefined;
  region: string;
  now: () => Date;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9-]+$/;

/** Validates createSigner's options once, so the per-request paths can trust them. */
export function resolveOptions(options: SignerOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null)
    throw new SignerInputError("options", "must be an object");
  let url: URL;
  try {
    url = new URL(options.endpoint);
  } catch {
    throw new SignerInputError(
      "endpoint",
      "must be an absolute http(s) URL like https://<account>.r2.cloudflarestorage.com",
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new SignerInputError("endpoint", "must use http or https");
  }
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== "/" && url.pathname !== "")
  ) {
    throw new SignerInputError(
      "endpoint",
      "must be an origin only (no path, query, fragment or credentials)",
    );
  }
  if (typeof options.bucket !== "string" || !BUCKET.test(options.bucket) || options.bucket.includes("..")) {
    throw new SignerInputError(
      "bucket",
      "must be 3-63 characters of a-z, 0-9, '.' and '-', starting and ending alphanumeric",
    );
  }
  for (const field of ["accessKeyId", "secretAccessKey"] as const) {
    const value = options[field];
    if (typeof value !== "string" || value.length === 0 || CONTROL_OR_SPACE.test(value)) {
      throw new SignerInputError(field, "must be a non-empty string without spaces or control characters");
    }
  }
  if (options.accessKeyId.includes("/")) throw new SignerInputError("accessKeyId", "must not contain '/'");
  const { sessionToken } = options;
  if (
    sessionToken !== undefined &&
    (typeof sessionToken !== "string" || sessionToken.length === 0 || CONTROL_OR_SPACE.test(sessionToken))
  ) {
    throw new SignerInputError(
      "sessionToken",
      "must be a non-empty string without spaces or control characters when given",
    );
  }
  const region = options.region ?? "auto";
  if (typeof region !== "string" || !REGION.test(region)) {
    throw new SignerInputError("region", "must be a region name like 'auto' or 'us-east-1'");
  }
  if (options.now !== undefined && typeof options.now !== "function") {
    throw new SignerInputError("now", "must be a function returning a Date");
  }
  const clock = options.now;
  return {
    origin: url.origin,
    host: url.host,
    bucket: options.bucket,
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    sessionToken,
    region,
    now: clock
      ? () => {
          const date = clock();
          if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
            throw new SignerInputError("now", "must return a valid Date");
          }
          return date;
        }
      : () => new Date(),
  };
}
