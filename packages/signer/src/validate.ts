import { CONTROL_CHARACTER } from "./chars.ts";
import { SignerInputError } from "./errors.ts";

// Input rules shared by presigning and the S3 calls. Every failure names the field; none echoes a secret.

/** Longest lifetime SigV4 allows for a presigned URL: 7 days. */
export const MAX_EXPIRES_IN = 604_800;
/** Largest single PUT S3 accepts: 5 GiB. */
export const MAX_CONTENT_LENGTH = 5 * 1024 ** 3;
/** Upper bound for all user metadata of one object, names plus values, in UTF-8 bytes. */
export const MAX_METADATA_BYTES = 8 * 1024;

const VISIBLE_ASCII = /^[\u0020-\u007e]*$/;
// 32 bytes are 43 base64 digits plus one pad; the last digit carries 2 padding bits, so it must be one whose
// low bits are zero or the value is not the canonical encoding of 32 bytes.
const SHA256_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const MIME_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9!#$&^_.+-]+(?:\s*;.*)?$/;
const METADATA_NAME = /^[a-z0-9-]+$/;

/** An integer number of seconds in 1..604800. */
export function checkExpiresIn(value: unknown, field = "expiresIn"): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_EXPIRES_IN) {
    throw new SignerInputError(field, `must be an integer number of seconds from 1 to ${MAX_EXPIRES_IN}`);
  }
  return value as number;
}

/** An integer byte count in 0..5 GiB. */
export function checkContentLength(value: unknown, field = "contentLength"): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_CONTENT_LENGTH) {
    throw new SignerInputError(
      field,
      `must be an integer number of bytes from 0 to ${MAX_CONTENT_LENGTH} (5 GiB)`,
    );
  }
  return value as number;
}

// The predicates below are what the checks refuse by, exported so that an application's input rules can be
// exactly the signer's and never accept a value the signer would then refuse.

/** Whether `value` is the canonical base64 of exactly 32 bytes: decoding and re-encoding give it back. */
export function isChecksumSha256(value: unknown): value is string {
  return typeof value === "string" && SHA256_BASE64.test(value);
}

/** Whether `value` is a media type the signer signs: `type/subtype`, optional parameters, visible ASCII. */
export function isContentType(value: unknown): value is string {
  return (
    typeof value === "string" && value.length <= 255 && VISIBLE_ASCII.test(value) && MIME_TYPE.test(value)
  );
}

/** Whether `value` is a header value the signer signs as-is (see `checkHeaderValue`). */
export function isHeaderValue(value: unknown, maxLength = 1024): value is string {
  return (
    typeof value === "string" &&
    value.length > 0 &&
    value.length <= maxLength &&
    VISIBLE_ASCII.test(value) &&
    value.trim() === value
  );
}

/**
 * Whether `value` can be a user metadata value: a string without control characters, and well-formed Unicode
 * (no lone UTF-16 surrogate half), because a value that is not visible ASCII is sent percent-encoded.
 */
export function isMetadataValue(value: unknown): value is string {
  return typeof value === "string" && !CONTROL_CHARACTER.test(value) && isWellFormed(value);
}

function isWellFormed(value: string): boolean {
  try {
    encodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
}

/** Base64 of exactly 32 bytes (a SHA-256 digest), as S3's `x-amz-checksum-sha256` wants it. */
export function checkChecksumSha256(value: unknown, field = "checksumSha256"): string {
  if (!isChecksumSha256(value)) {
    throw new SignerInputError(field, "must be the base64 encoding of exactly 32 bytes (a SHA-256 digest)");
  }
  return value;
}

/** A `type/subtype` media type, optionally with parameters, in visible ASCII. */
export function checkContentType(value: unknown, field = "contentType"): string {
  if (!isContentType(value)) {
    throw new SignerInputError(
      field,
      "must be a media type like 'image/png' (visible ASCII, at most 255 chars)",
    );
  }
  return value;
}

/**
 * A header value that a browser can send unchanged and S3 signs as-is: non-empty visible ASCII (spaces allowed,
 * no leading or trailing space, no control characters).
 */
export function checkHeaderValue(value: unknown, field: string, maxLength = 1024): string {
  if (isHeaderValue(value, maxLength)) return value;
  if (typeof value !== "string" || value.length === 0 || value.length > maxLength) {
    throw new SignerInputError(field, `must be a non-empty string of at most ${maxLength} characters`);
  }
  throw new SignerInputError(field, "must be visible ASCII without control characters or surrounding spaces");
}

/** A non-empty string without control characters (upload ids, continuation tokens, prefixes). */
export function checkOpaque(value: unknown, field: string, allowEmpty = false): string {
  if (typeof value !== "string" || (!allowEmpty && value.length === 0)) {
    throw new SignerInputError(field, "must be a non-empty string");
  }
  if (CONTROL_CHARACTER.test(value)) throw new SignerInputError(field, "must not contain control characters");
  return value;
}

/** An integer in [min, max]. */
export function checkInteger(value: unknown, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new SignerInputError(field, `must be an integer from ${min} to ${max}`);
  }
  return value as number;
}

/**
 * Validates user metadata and returns it as sorted `[x-amz-meta-<name>, value]` header pairs.
 *
 * Names must match `[a-z0-9-]+` (HTTP lower-cases them anyway; anything else would not round-trip). Values must
 * not contain control characters. Header values have to be ASCII and lose surrounding spaces, so a value with any
 * non-ASCII character or leading/trailing whitespace is sent as `encodeURIComponent(value)`; read it back with
 * `decodeURIComponent`. Other ASCII values are sent unchanged.
 * Names plus (encoded) values may total at most 8 KiB.
 */
export function metadataHeaders(metadata: unknown, field = "metadata"): [string, string][] {
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new SignerInputError(field, "must be an object of name → string value");
  }
  const headers: [string, string][] = [];
  let bytes = 0;
  for (const name of Object.keys(metadata).sort()) {
    const raw = (metadata as Record<string, unknown>)[name];
    if (!METADATA_NAME.test(name)) {
      throw new SignerInputError(`${field}.${name}`, "name must match [a-z0-9-]+");
    }
    if (typeof raw !== "string") throw new SignerInputError(`${field}.${name}`, "value must be a string");
    if (!isMetadataValue(raw)) {
      throw new SignerInputError(
        `${field}.${name}`,
        "value must be well-formed Unicode without control characters",
      );
    }
    const value = raw.trim() === raw && VISIBLE_ASCII.test(raw) ? raw : encodeURIComponent(raw);
    bytes += name.length + value.length; // both ASCII by now, so length is bytes
    headers.push([`x-amz-meta-${name}`, value]);
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new SignerInputError(field, `must total at most ${MAX_METADATA_BYTES} bytes (names plus values)`);
  }
  return headers;
}
