/**
 * Input rules shared by the tRPC procedures and the REST routes. Every value that reaches the signer is also held
 * to the signer's own predicate here, so a rule can never accept what the signer then refuses (a 500 after the
 * input was taken as valid).
 */
import { isChecksumSha256, isContentType, isMetadataValue } from "@signet/signer";
import { z } from "zod";

// C0, DEL, C1, and the Unicode bidi controls that can disguise an extension ("evil\u202Egnp.exe").
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * A user-supplied filename reduced to something safe to store, put in `x-amz-meta-*` and in a
 * Content-Disposition: the last path segment, NFC, trimmed. Control characters are refused rather than
 * silently removed, because a filename carrying CR/LF is an attack, not a typo.
 */
export const filenameSchema = z
  .string({ error: "must be a string" })
  .max(255, "must be at most 255 characters")
  .refine((v) => !CONTROL.test(v), "must not contain control characters (CR, LF, NUL, bidi overrides)")
  .transform((v) => {
    const base = v.normalize("NFC").split(/[/\\]/).pop() ?? "";
    return base.trim().replace(/^\.+/, "").trim();
  })
  .refine((v) => v.length > 0, "must name a file (empty, '.', '..' or a bare path are not filenames)")
  // It is signed into the upload as the `original-filename` metadata value.
  .refine(isMetadataValue, "must be well-formed Unicode (no lone UTF-16 surrogate)");

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
// Quoted parameter values are visible ASCII too: the type is signed into the upload URL as a header value.
const QUOTED = '"[ !#-\\[\\]-~]*"';
const MIME = new RegExp(`^(${TOKEN})/(${TOKEN})((?:\\s*;\\s*${TOKEN}=(?:${TOKEN}|${QUOTED}))*)\\s*$`);

/** A MIME type (`type/subtype` with optional parameters), normalized to lower-case type and no spaces. */
export const contentTypeSchema = z
  .string({ error: "must be a string" })
  .max(255, "must be at most 255 characters")
  .transform((v, ctx) => {
    const m = MIME.exec(v.trim());
    if (!m) {
      ctx.addIssue({ code: "custom", message: 'must be a MIME type such as "image/png" or "text/plain"' });
      return z.NEVER;
    }
    const params = (m[3] ?? "")
      .split(";")
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => {
        const eq = p.indexOf("=");
        return `${p.slice(0, eq).toLowerCase()}=${p.slice(eq + 1)}`;
      });
    return [`${m[1]!.toLowerCase()}/${m[2]!.toLowerCase()}`, ...params].join(";");
  })
  // The normalized type is what gets signed as Content-Type.
  .refine(isContentType, 'must be a MIME type such as "image/png" or "text/plain" (no wildcards like "*/*")');

/** The canonical base64 of exactly 32 bytes, as S3's x-amz-checksum-sha256. */
export const checksumSchema = z
  .string({ error: "must be a string" })
  .refine(
    isChecksumSha256,
    "must be the base64 SHA-256 of the file (the canonical base64 of 32 bytes: 44 characters ending in '=')",
  );

/** The bare `type/subtype` of a normalized content type. */
export function essence(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase();
}

/** Whether `contentType` matches an entry of `allowed` (`type/subtype`, or `type/*` for a whole family). */
export function contentTypeAllowed(contentType: string, allowed: readonly string[]): boolean {
  const type = essence(contentType);
  const family = `${type.slice(0, type.indexOf("/"))}/*`;
  return allowed.includes(type) || allowed.includes(family);
}

/**
 * Types a browser would render as active content (script, markup). Served inline from the bucket's origin they
 * would run there, so they are only ever downloaded as attachments.
 */
export function isActiveContent(contentType: string): boolean {
  const t = essence(contentType);
  return (
    /html|xml|javascript|ecmascript|svg/.test(t) ||
    t === "multipart/x-mixed-replace" ||
    t === "text/xsl" ||
    t === "application/wasm"
  );
}

/** A short lower-case extension for the object key, or "" when the filename has none worth keeping. */
export function extensionOf(filename: string): string {
  const m = /\.([A-Za-z0-9]{1,10})$/.exec(filename);
  return m ? m[1]!.toLowerCase() : "";
}

/**
 * S3's (and R2's) most parts in one multipart upload: part numbers run 1..MAX_PARTS. The part size rule
 * (multipart.ts) plans within it; the part-number input rule below holds callers to it.
 */
export const MAX_PARTS = 10_000;

/** A part of a multipart upload, as S3 numbers them. */
export const partNumberSchema = z
  .number({ error: "must be a part number" })
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(MAX_PARTS, `must be at most ${MAX_PARTS}`);

/** The types a profile image may have: raster formats a browser shows and never runs. */
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif", "image/avif"] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/**
 * A folder's name: one path segment (NFC, trimmed), since folder paths are names joined by `/`. Folders are
 * metadata only, never part of an object key.
 */
export const folderNameSchema = z
  .string({ error: "must be a string" })
  .max(255, "must be at most 255 characters")
  .refine((v) => !CONTROL.test(v), "must not contain control characters")
  .transform((v) => v.normalize("NFC").trim())
  .refine((v) => v.length > 0, "must not be empty")
  .refine((v) => !/[/\\]/.test(v), "must not contain / or \\ (one folder per name)")
  .refine((v) => v !== "." && v !== "..", "must not be . or ..")
  .refine(isMetadataValue, "must be well-formed Unicode (no lone UTF-16 surrogate)");

/** A folder path as a browser gives it (`webkitRelativePath`'s folders): names separated by `/`. */
export const folderPathSchema = z
  .string({ error: "must be a string" })
  .max(1024, "must be at most 1024 characters")
  .transform((v) => v.split(/[/\\]/).filter((s) => s.trim().length > 0))
  .pipe(z.array(folderNameSchema).max(32, "must be at most 32 folders deep"));

/** A tag: trimmed, lower case, NFC, 1..40 characters, no control characters. */
export const tagSchema = z
  .string({ error: "must be a string" })
  .refine((v) => !CONTROL.test(v), "must not contain control characters")
  .transform((v) => v.normalize("NFC").trim().toLowerCase().replace(/\s+/g, " "))
  .refine((v) => v.length > 0, "must not be empty")
  .refine((v) => v.length <= 40, "must be at most 40 characters");

/** A file's tags: at most 20, duplicates (after normalising) kept once. */
export const tagsSchema = z
  .array(tagSchema)
  .transform((tags) => [...new Set(tags)])
  .refine((tags) => tags.length <= 20, "at most 20 tags per file");

// Like CONTROL, but a description may hold line breaks and tabs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const DESCRIPTION_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/;

/** A file's description: at most 1000 characters. */
export const descriptionSchema = z
  .string({ error: "must be a string" })
  .max(1000, "must be at most 1000 characters")
  .refine((v) => !DESCRIPTION_CONTROL.test(v), "must not contain control characters")
  .transform((v) => v.normalize("NFC").trim());
