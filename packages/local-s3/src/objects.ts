import { bodyClaims, receiveInto, receiveSmallBody } from "./body.ts";
import { type BodyHash, createBodyHash } from "./body-hash.ts";
import { algorithmOfHeader, checksumElements, checksumHeaders, storedChecksum } from "./checksums.ts";
import {
  applyStoredHeaders,
  etagMatches,
  httpDate,
  MAX_OBJECT_SIZE,
  preconditionFailed,
  type RequestContext,
  storedHeadersFrom,
  toSeconds,
  writePreconditions,
  xmlResponse,
} from "./context.ts";
import { toHex } from "./digest.ts";
import { S3Error } from "./errors.ts";
import { parseRequestXml } from "./request-xml.ts";
import { decodeComponent } from "./sigv4.ts";
import type { ObjectRecord, StoredHeaders } from "./store.ts";
import { childrenNamed, type XmlNode } from "./xml.ts";

function noSuchKey(): S3Error {
  return new S3Error("NoSuchKey", "The specified key does not exist.");
}

/** PutObject: streams the body to a temp file, verifies every claim, then commits atomically. */
export async function putObject(ctx: RequestContext): Promise<Response> {
  const { request, store, bucket, key } = ctx;
  const check = writePreconditions(request);
  const claims = bodyClaims(request, ctx.auth.payloadHash, true, MAX_OBJECT_SIZE);
  const headers = storedHeadersFrom(request);
  // Refuse early when the condition already fails; it is checked again at commit, where it counts.
  check?.(await store.headObject(bucket, key));
  const temp = await store.createTemp(bucket);
  const record = await receiveInto(request, claims, MAX_OBJECT_SIZE, temp, ({ size, etag, checksum }) => {
    const fields: Omit<ObjectRecord, "data"> = {
      key,
      size,
      etag,
      lastModified: ctx.now().toISOString(),
      headers,
    };
    if (checksum) fields.checksum = { ...checksum, type: "FULL_OBJECT" };
    return store.commitObject(bucket, temp, fields, check);
  });
  const response = new Headers({ etag: record.etag });
  checksumHeaders(response, storedChecksum(record));
  return new Response(null, { status: 200, headers: response });
}

/** GET/HEAD conditionals in S3's precedence: If-Match beats If-Unmodified-Since, If-None-Match beats If-Modified-Since. */
function checkReadConditions(request: Request, record: ObjectRecord): void {
  const ifMatch = request.headers.get("if-match");
  const ifNoneMatch = request.headers.get("if-none-match");
  const modified = toSeconds(record.lastModified);
  if (ifMatch !== null) {
    if (!etagMatches(ifMatch, record.etag)) throw preconditionFailed("If-Match");
  } else {
    const since = httpDate(request.headers.get("if-unmodified-since"));
    if (since !== undefined && modified > since) throw preconditionFailed("If-Unmodified-Since");
  }
  const notModified = () => {
    const error = new S3Error("NotModified", "Not Modified");
    // A 304 still tells the cache which version it holds.
    error.headers = { etag: record.etag, "last-modified": new Date(record.lastModified).toUTCString() };
    return error;
  };
  if (ifNoneMatch !== null) {
    if (etagMatches(ifNoneMatch, record.etag)) throw notModified();
  } else {
    const since = httpDate(request.headers.get("if-modified-since"));
    if (since !== undefined && modified <= since) throw notModified();
  }
}

const OVERRIDES: [param: string, header: string][] = [
  ["response-content-type", "content-type"],
  ["response-content-language", "content-language"],
  ["response-expires", "expires"],
  ["response-cache-control", "cache-control"],
  ["response-content-disposition", "content-disposition"],
  ["response-content-encoding", "content-encoding"],
];

function objectHeaders(ctx: RequestContext, record: ObjectRecord, ranged: boolean): Headers {
  const headers = new Headers({
    etag: record.etag,
    "last-modified": new Date(record.lastModified).toUTCString(),
    "accept-ranges": "bytes",
  });
  applyStoredHeaders(headers, record.headers);
  for (const [param, header] of OVERRIDES) {
    const value = ctx.query.get(param);
    if (value !== undefined) headers.set(header, value);
  }
  // A checksum describes the whole object, so a range answer carries none (as S3 does): a client validating
  // it against the range would fail.
  if (ctx.request.headers.get("x-amz-checksum-mode") === "ENABLED" && !ranged) {
    checksumHeaders(headers, storedChecksum(record));
  }
  return headers;
}

/** Parses a single `bytes=` range; undefined means "serve the whole object" (absent or not a single range). */
function parseRange(value: string | null, size: number): { start: number; end: number } | undefined {
  if (value === null) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  const unsatisfiable = () =>
    new S3Error("InvalidRange", "The requested range is not satisfiable", [
      ["RangeRequested", value],
      ["ActualObjectSize", size],
    ]);
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return undefined;
  if (start >= size) throw unsatisfiable();
  return { start, end };
}

/** GetObject with Range, conditionals and response-* overrides. */
export async function getObject(ctx: RequestContext): Promise<Response> {
  const opened = await ctx.store.openObject(ctx.bucket, ctx.key);
  if (!opened) throw noSuchKey();
  let keepOpen = false;
  try {
    const { record } = opened;
    checkReadConditions(ctx.request, record);
    const range = parseRange(ctx.request.headers.get("range"), record.size);
    const headers = objectHeaders(ctx, record, range !== undefined);
    const start = range?.start ?? 0;
    const end = range?.end ?? record.size - 1;
    headers.set("content-length", String(end - start + 1));
    if (range) headers.set("content-range", `bytes ${start}-${end}/${record.size}`);
    if (record.size === 0) return new Response(null, { status: 200, headers });
    keepOpen = true;
    return new Response(opened.stream(start, end), { status: range ? 206 : 200, headers });
  } finally {
    if (!keepOpen) await opened.close().catch(() => {});
  }
}

/** HeadObject: GetObject's headers and status without a body. */
export async function headObject(ctx: RequestContext): Promise<Response> {
  const record = await ctx.store.headObject(ctx.bucket, ctx.key);
  if (!record) throw noSuchKey();
  checkReadConditions(ctx.request, record);
  const range = parseRange(ctx.request.headers.get("range"), record.size);
  const headers = objectHeaders(ctx, record, range !== undefined);
  if (range) {
    headers.set("content-length", String(range.end - range.start + 1));
    headers.set("content-range", `bytes ${range.start}-${range.end}/${record.size}`);
  } else headers.set("content-length", String(record.size));
  return new Response(null, { status: range ? 206 : 200, headers });
}

/** DeleteObject: 204 whether or not the key existed, as S3 answers. */
export async function deleteObject(ctx: RequestContext): Promise<Response> {
  await ctx.store.deleteObject(ctx.bucket, ctx.key);
  return new Response(null, { status: 204 });
}

function parseCopySource(value: string): { bucket: string; key: string } {
  let source = value;
  const q = source.indexOf("?");
  if (q >= 0) {
    const param = source.slice(q + 1);
    if (param !== "versionId=null") {
      throw new S3Error("NotImplemented", "Copying a specific object version is not implemented", [
        ["Header", "x-amz-copy-source"],
      ]);
    }
    source = source.slice(0, q);
  }
  const decoded = decodeComponent(source.startsWith("/") ? source.slice(1) : source, false);
  const slash = decoded.indexOf("/");
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new S3Error(
      "InvalidArgument",
      "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
      [
        ["ArgumentName", "x-amz-copy-source"],
        ["ArgumentValue", value],
      ],
    );
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

function checkCopySourceConditions(request: Request, record: ObjectRecord): void {
  const h = request.headers;
  const modified = toSeconds(record.lastModified);
  const ifMatch = h.get("x-amz-copy-source-if-match");
  const ifNoneMatch = h.get("x-amz-copy-source-if-none-match");
  if (ifMatch !== null && !etagMatches(ifMatch, record.etag))
    throw preconditionFailed("x-amz-copy-source-If-Match");
  if (ifNoneMatch !== null && etagMatches(ifNoneMatch, record.etag)) {
    throw preconditionFailed("x-amz-copy-source-If-None-Match");
  }
  const unmodifiedSince = httpDate(h.get("x-amz-copy-source-if-unmodified-since"));
  if (ifMatch === null && unmodifiedSince !== undefined && modified > unmodifiedSince) {
    throw preconditionFailed("x-amz-copy-source-If-Unmodified-Since");
  }
  const modifiedSince = httpDate(h.get("x-amz-copy-source-if-modified-since"));
  if (ifNoneMatch === null && modifiedSince !== undefined && modified <= modifiedSince) {
    throw preconditionFailed("x-amz-copy-source-If-Modified-Since");
  }
}

/** CopyObject: server-side copy with metadata directive COPY or REPLACE and copy-source conditions. */
export async function copyObject(ctx: RequestContext, copySource: string): Promise<Response> {
  const { request, store } = ctx;
  const source = parseCopySource(copySource);
  const directive = request.headers.get("x-amz-metadata-directive") ?? "COPY";
  if (directive !== "COPY" && directive !== "REPLACE") {
    throw new S3Error("InvalidArgument", "Unknown metadata directive.", [
      ["ArgumentName", "x-amz-metadata-directive"],
      ["ArgumentValue", directive],
    ]);
  }
  if (source.bucket === ctx.bucket && source.key === ctx.key && directive === "COPY") {
    throw new S3Error(
      "InvalidRequest",
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  if (request.headers.get("content-length") !== null && request.headers.get("content-length") !== "0") {
    throw new S3Error("InvalidRequest", "CopyObject requests must not carry a body.");
  }
  const check = writePreconditions(request);
  const replaced: StoredHeaders | undefined =
    directive === "REPLACE" ? storedHeadersFrom(request) : undefined;
  if (!(await store.bucketExists(source.bucket)))
    throw new S3Error("NoSuchBucket", "The specified bucket does not exist");
  const opened = await store.openObject(source.bucket, source.key);
  if (!opened) throw noSuchKey();
  const temp = await store.createTemp(ctx.bucket);
  let record: ObjectRecord;
  let hash: BodyHash | undefined;
  try {
    checkCopySourceConditions(request, opened.record);
    check?.(await store.headObject(ctx.bucket, ctx.key));
    // A copy is hashed like an upload: large ones off the request thread.
    hash = createBodyHash(["md5"], opened.record.size);
    const reader = opened.stream(0, opened.record.size - 1).getReader();
    if (opened.record.size === 0) await opened.close();
    else {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await hash.update(value);
        await temp.write(value);
      }
    }
    const [md5] = await hash.digest();
    await temp.finish();
    const fields: Omit<ObjectRecord, "data"> = {
      key: ctx.key,
      size: opened.record.size,
      etag: `"${toHex(md5 as Uint8Array)}"`, // one digest per algorithm asked for
      lastModified: ctx.now().toISOString(),
      headers: replaced ?? opened.record.headers,
    };
    const checksum = storedChecksum(opened.record);
    if (checksum) fields.checksum = checksum;
    record = await store.commitObject(ctx.bucket, temp, fields, check);
  } catch (error) {
    hash?.abort();
    await opened.close().catch(() => {});
    await temp.discard();
    throw error;
  }
  return xmlResponse("CopyObjectResult", [
    ["LastModified", record.lastModified],
    ["ETag", record.etag],
    ...(record.checksum ? checksumElements(record.checksum) : []),
  ]);
}

/**
 * DeleteObjects (POST ?delete): up to 1000 keys in one request, each deleted as DeleteObject would; Quiet mode
 * reports only errors. S3 requires an integrity header on this request, so it does too.
 */
export async function deleteObjects(ctx: RequestContext): Promise<Response> {
  const h = ctx.request.headers;
  if (!h.has("content-md5") && ![...h.keys()].some((name) => algorithmOfHeader(name) !== undefined)) {
    throw new S3Error(
      "InvalidRequest",
      "Missing required header for this request: Content-MD5 or x-amz-checksum-*",
    );
  }
  const xml = await receiveSmallBody(ctx.request, ctx.auth.payloadHash, 2 << 20);
  const root = parseRequestXml(xml, "Delete");
  const quiet = childrenNamed(root, "Quiet")[0]?.text.trim() === "true";
  const keys = childrenNamed(root, "Object").map((object) => {
    const key = childrenNamed(object, "Key")[0]?.text;
    if (key === undefined || key === "") throw new S3Error("MalformedXML", "Each Object needs a Key");
    if (childrenNamed(object, "VersionId").some((v) => v.text.trim() !== "null")) {
      throw new S3Error("NotImplemented", "Deleting a specific object version is not implemented");
    }
    return key;
  });
  if (keys.length === 0 || keys.length > 1000) {
    throw new S3Error("MalformedXML", "A Delete request names between 1 and 1000 objects");
  }
  const results: XmlNode[] = [];
  for (const key of keys) {
    await ctx.store.deleteObject(ctx.bucket, key);
    if (!quiet) results.push(["Deleted", [["Key", key]]]);
  }
  return xmlResponse("DeleteResult", results);
}
