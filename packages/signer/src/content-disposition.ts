import { CONTROL_CHARACTERS } from "./chars.ts";
import { SignerInputError } from "./errors.ts";

// Characters that must not reach the quoted-string fallback: anything outside printable ASCII (old clients
// would misread it), the quote and backslash (they end or escape the string), and `%` (some browsers
// percent-decode the fallback). Path separators are replaced too, so no client sees a directory.
const FALLBACK_UNSAFE = /[^\u0020-\u007e]|["\\%/]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// RFC 8187 attr-char is ALPHA / DIGIT / "!#$&+-.^_`|~"; encodeURIComponent leaves `'()*` too, which are not.
const NOT_ATTR_CHAR = /['()*]/g;

/**
 * A `Content-Disposition` value per RFC 6266: an ASCII `filename="…"` fallback plus `filename*=UTF-8''…` with the
 * exact name. Quotes, backslashes, CR/LF and other control characters can never break out of the header: control
 * characters are dropped and the fallback replaces anything unsafe with `_`.
 */
export function contentDisposition(filename: string, type: "inline" | "attachment" = "attachment"): string {
  if (type !== "inline" && type !== "attachment") {
    throw new SignerInputError("type", "must be 'inline' or 'attachment'");
  }
  if (typeof filename !== "string") throw new SignerInputError("filename", "must be a string");
  const name = filename.replace(CONTROL_CHARACTERS, "").replace(LONE_SURROGATE, "\ufffd").trim();
  if (name.length === 0)
    throw new SignerInputError("filename", "must contain at least one visible character");
  const fallback = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(FALLBACK_UNSAFE, "_");
  const encoded = encodeURIComponent(name).replace(
    NOT_ATTR_CHAR,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
