import type { CorsRule } from "./cors.ts";
import { S3Error } from "./errors.ts";
import { metadataFromHeader, metadataToHeader } from "./metadata-words.ts";
import type { AuthResult, Target } from "./sigv4.ts";
import type { DiskStore, StoredHeaders } from "./store.ts";
import { type XmlNode, xmlDocument } from "./xml.ts";

/** Everything an operation handler needs about one authenticated request. */
export interface RequestContext {
  request: Request;
  target: Target;
  /** Query parameters by name (the first value when repeated). */
  query: ReadonlyMap<string, string>;
  bucket: string;
  key: string;
  auth: AuthResult;
  store: DiskStore;
  now: () => Date;
  region: string;
  setCors(bucket: string, rules: CorsRule[] | undefined): void;
}

export const MAX_OBJECT_SIZE = 5 * 1024 ** 3;
/** The signer accepts up to 8 KiB of user metadata (R2's limit); refuse more rather than truncate. */
const MAX_METADATA_BYTES = 8192;

/** An XML 200 answer in S3's namespace. */
export function xmlResponse(root: string, children: XmlNode[], status = 200): Response {
  return new Response(xmlDocument(root, children), {
    status,
    headers: { "content-type": "application/xml" },
  });
}

/** Headers S3 stores with an object, read from a PutObject / CreateMultipartUpload / CopyObject(REPLACE) request. */
export function storedHeadersFrom(request: Request): StoredHeaders {
  const h = request.headers;
  const stored: StoredHeaders = {
    contentType: h.get("content-type") ?? "application/octet-stream",
    metadata: {},
  };
  const cacheControl = h.get("cache-control");
  if (cacheControl !== null) stored.cacheControl = cacheControl;
  const disposition = h.get("content-disposition");
  if (disposition !== null) stored.contentDisposition = disposition;
  // aws-chunked describes how this request framed the body, not the object: S3 drops it from what it stores.
  const encoding = h
    .get("content-encoding")
    ?.split(",")
    .map((token) => token.trim())
    .filter((token) => token !== "" && token.toLowerCase() !== "aws-chunked")
    .join(", ");
  if (encoding) stored.contentEncoding = encoding;
  const language = h.get("content-language");
  if (language !== null) stored.contentLanguage = language;
  const expires = h.get("expires");
  if (expires !== null) stored.expires = expires;
  let metadataBytes = 0;
  for (const [name, value] of h) {
    if (!name.startsWith("x-amz-meta-")) continue;
    const short = name.slice("x-amz-meta-".length);
    stored.metadata[short] = metadataFromHeader(value);
    metadataBytes += new TextEncoder().encode(short + stored.metadata[short]).byteLength;
  }
  if (metadataBytes > MAX_METADATA_BYTES) {
    throw new S3Error("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.", [
      ["Size", metadataBytes],
      ["MaxSizeAllowed", MAX_METADATA_BYTES],
    ]);
  }
  return stored;
}

/** Writes stored headers onto a GET/HEAD response. */
export function applyStoredHeaders(headers: Headers, stored: StoredHeaders): void {
  headers.set("content-type", stored.contentType);
  if (stored.cacheControl !== undefined) headers.set("cache-control", stored.cacheControl);
  if (stored.contentDisposition !== undefined) headers.set("content-disposition", stored.contentDisposition);
  if (stored.contentEncoding !== undefined) headers.set("content-encoding", stored.contentEncoding);
  if (stored.contentLanguage !== undefined) headers.set("content-language", stored.contentLanguage);
  if (stored.expires !== undefined) headers.set("expires", stored.expires);
  for (const [name, value] of Object.entries(stored.metadata))
    headers.set(`x-amz-meta-${name}`, metadataToHeader(value));
}

/** True when an If-Match / If-None-Match list names `etag` (or is `*`). */
export function etagMatches(condition: string, etag: string): boolean {
  const bare = etag.replace(/^"|"$/g, "");
  return condition.split(",").some((item) => {
    const candidate = item.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
    return candidate === "*" || candidate === bare;
  });
}

/** Parses an HTTP date, undefined when absent or unparseable (S3 then ignores the condition). */
export function httpDate(value: string | null): number | undefined {
  if (value === null) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Time with second precision, as Last-Modified carries it. */
export function toSeconds(iso: string): number {
  return Math.floor(Date.parse(iso) / 1000) * 1000;
}

export function preconditionFailed(condition: string): S3Error {
  return new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", [
    ["Condition", condition],
  ]);
}

/**
 * Reads a write's conditions (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since; ETag lists or `*`,
 * as R2 takes them on PutObject and CompleteMultipartUpload) and returns the check to run, under the key's lock,
 * against the object current at commit time: that is what makes two racing `If-None-Match: *` writes safe.
 * Every condition given must hold. A date that does not parse is ignored, as RFC 9110 asks.
 */
export function writePreconditions(
  request: Request,
): ((current: { etag: string; lastModified: string } | undefined) => void) | undefined {
  const ifMatch = request.headers.get("if-match");
  const ifNoneMatch = request.headers.get("if-none-match");
  const modifiedSince = httpDate(request.headers.get("if-modified-since"));
  const unmodifiedSince = httpDate(request.headers.get("if-unmodified-since"));
  if (
    ifMatch === null &&
    ifNoneMatch === null &&
    modifiedSince === undefined &&
    unmodifiedSince === undefined
  )
    return undefined;
  return (current) => {
    if (ifMatch !== null) {
      // S3 answers a missing key NoSuchKey here rather than 412.
      if (!current) throw new S3Error("NoSuchKey", "The specified key does not exist.");
      if (!etagMatches(ifMatch, current.etag)) throw preconditionFailed("If-Match");
    }
    if (ifNoneMatch !== null && current && etagMatches(ifNoneMatch, current.etag))
      throw preconditionFailed("If-None-Match");
    const modified = current ? toSeconds(current.lastModified) : undefined;
    if (modifiedSince !== undefined && (modified === undefined || modified <= modifiedSince))
      throw preconditionFailed("If-Modified-Since");
    if (unmodifiedSince !== undefined && modified !== undefined && modified > unmodifiedSince)
      throw preconditionFailed("If-Unmodified-Since");
  };
}

/** Parses an integer query parameter within bounds, or throws InvalidArgument naming it. */
export function intParam(
  ctx: RequestContext,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = ctx.query.get(name);
  if (text === undefined) return fallback;
  if (!/^-?\d+$/.test(text) || Number(text) < min) {
    throw new S3Error("InvalidArgument", `Provided ${name} not an integer or within integer range`, [
      ["ArgumentName", name],
      ["ArgumentValue", text],
    ]);
  }
  return Math.min(Number(text), max);
}
