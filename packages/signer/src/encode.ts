import { CONTROL_CHARACTER } from "./chars.ts";
import { SignerInputError } from "./errors.ts";

// encodeURIComponent leaves these five alone, but SigV4 (RFC 3986 unreserved set only) wants them escaped.
const SUB_DELIMS = /[!'()*]/g;
const escapeSubDelim = (c: string): string => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;

/**
 * Percent-encodes one URI component the way SigV4 canonicalises it: everything except `A-Z a-z 0-9 - _ . ~`,
 * UTF-8 for non-ASCII. Throws URIError on lone surrogates (callers turn that into a SignerInputError).
 */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(SUB_DELIMS, escapeSubDelim);
}

const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;
const MAX_KEY_BYTES = 1024;

/**
 * Validates an object key and encodes it exactly once by S3 rules (`/` kept, `+` → `%2B`, space → `%20`,
 * unicode as UTF-8 percent-encoding). The result is both the URL path and the SigV4 canonical URI.
 */
export function encodeKey(key: string, field = "key"): string {
  if (typeof key !== "string" || key.length === 0) {
    throw new SignerInputError(field, "must be a non-empty string");
  }
  if (CONTROL_CHARACTER.test(key)) throw new SignerInputError(field, "must not contain control characters");
  if (key.charCodeAt(0) === 47) throw new SignerInputError(field, "must not start with '/'");
  if (DOT_SEGMENT.test(key)) throw new SignerInputError(field, "must not contain '.' or '..' path segments");
  let encoded: string;
  try {
    encoded = uriEncode(key);
  } catch {
    throw new SignerInputError(field, "must be well-formed Unicode (no lone surrogates)");
  }
  if (utf8LengthOfEncoded(encoded) > MAX_KEY_BYTES) {
    throw new SignerInputError(field, `must be at most ${MAX_KEY_BYTES} UTF-8 bytes`);
  }
  return encoded.includes("%2F") ? encoded.replaceAll("%2F", "/") : encoded;
}

// Every byte of the UTF-8 form is either one literal character or one %XX triplet in the encoded form,
// so the byte length falls out of the encoding we need anyway, without a TextEncoder pass.
function utf8LengthOfEncoded(encoded: string): number {
  let percents = 0;
  for (let i = encoded.indexOf("%"); i !== -1; i = encoded.indexOf("%", i + 3)) percents++;
  return encoded.length - 2 * percents;
}
