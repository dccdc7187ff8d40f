import { receiveSmallBody } from "./body.ts";
import { storedChecksum } from "./checksums.ts";
import { intParam, type RequestContext, xmlResponse } from "./context.ts";
import { corsToXml, parseCorsConfiguration } from "./cors.ts";
import { S3Error } from "./errors.ts";
import { parseRequestXml } from "./request-xml.ts";
import { compareKeys, type ObjectRecord } from "./store.ts";
import { childrenNamed, escapeXml, type XmlNode } from "./xml.ts";

const OWNER: XmlNode[] = [
  ["ID", "local-s3"],
  ["DisplayName", "local-s3"],
];

/**
 * A CreateBucketConfiguration may name the bucket's region: this endpoint's, or one of the aliases R2 accepts
 * for it ("auto", "us-east-1", empty). Any other region is one this endpoint cannot put a bucket in.
 */
function checkLocationConstraint(ctx: RequestContext, body: string): void {
  if (body.trim() === "") return;
  const root = parseRequestXml(body, "CreateBucketConfiguration");
  const constraint = childrenNamed(root, "LocationConstraint")[0]?.text.trim() ?? "";
  if (![ctx.region, "auto", "us-east-1", ""].includes(constraint)) {
    throw new S3Error("InvalidLocationConstraint", "The specified location-constraint is not valid", [
      ["LocationConstraint", constraint],
    ]);
  }
}

/** CreateBucket: 200 with Location; 409 BucketAlreadyOwnedByYou when it exists (one owner here). */
export async function createBucket(ctx: RequestContext): Promise<Response> {
  checkLocationConstraint(ctx, await receiveSmallBody(ctx.request, ctx.auth.payloadHash));
  if (!(await ctx.store.createBucket(ctx.bucket))) {
    throw new S3Error(
      "BucketAlreadyOwnedByYou",
      "Your previous request to create the named bucket succeeded and you already own it.",
      [["BucketName", ctx.bucket]],
    );
  }
  return new Response(null, { status: 200, headers: { location: `/${ctx.bucket}` } });
}

export async function headBucket(ctx: RequestContext): Promise<Response> {
  return new Response(null, { status: 200, headers: { "x-amz-bucket-region": ctx.region } });
}

/** DeleteBucket: refuses while objects remain (BucketNotEmpty). */
export async function deleteBucket(ctx: RequestContext): Promise<Response> {
  if (!(await ctx.store.deleteBucket(ctx.bucket))) {
    throw new S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", [
      ["BucketName", ctx.bucket],
    ]);
  }
  ctx.setCors(ctx.bucket, undefined);
  return new Response(null, { status: 204 });
}

/** ListBuckets with prefix, max-buckets and continuation-token paging. */
export async function listBuckets(ctx: RequestContext): Promise<Response> {
  const prefix = ctx.query.get("prefix") ?? "";
  const token = ctx.query.get("continuation-token");
  const paged = ctx.query.has("max-buckets");
  const maxBuckets = intParam(ctx, "max-buckets", 10000, 1, 10000);
  const after = token !== undefined ? decodeToken(token) : "";
  const matching = (await ctx.store.listBuckets()).filter(
    (b) => b.name.startsWith(prefix) && (after === "" || b.name > after),
  );
  const buckets = matching.slice(0, maxBuckets);
  const last = buckets.at(-1);
  const truncated = matching.length > buckets.length && last !== undefined;
  return xmlResponse("ListAllMyBucketsResult", [
    ["Owner", OWNER],
    [
      "Buckets",
      buckets.map(
        (b): XmlNode => [
          "Bucket",
          [
            ["Name", b.name],
            ["CreationDate", b.created],
            ["BucketRegion", paged || token !== undefined ? ctx.region : undefined],
          ],
        ],
      ),
    ],
    ["ContinuationToken", truncated ? encodeToken(last.name) : undefined],
    ["Prefix", ctx.query.has("prefix") ? prefix : undefined],
  ]);
}

export async function getBucketLocation(ctx: RequestContext): Promise<Response> {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${escapeXml(ctx.region)}</LocationConstraint>`;
  return new Response(body, { headers: { "content-type": "application/xml" } });
}

export async function putBucketCors(ctx: RequestContext): Promise<Response> {
  const rules = parseCorsConfiguration(await receiveSmallBody(ctx.request, ctx.auth.payloadHash, 64 * 1024));
  await ctx.store.putCors(ctx.bucket, rules);
  ctx.setCors(ctx.bucket, rules);
  return new Response(null, { status: 200 });
}

export async function getBucketCors(
  ctx: RequestContext,
  rules: ReturnType<typeof parseCorsConfiguration> | undefined,
): Promise<Response> {
  if (!rules)
    throw new S3Error("NoSuchCORSConfiguration", "The CORS configuration does not exist", [
      ["BucketName", ctx.bucket],
    ]);
  return xmlResponse("CORSConfiguration", corsToXml(rules));
}

export async function deleteBucketCors(ctx: RequestContext): Promise<Response> {
  await ctx.store.deleteCors(ctx.bucket);
  ctx.setCors(ctx.bucket, undefined);
  return new Response(null, { status: 204 });
}

function encodeToken(key: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(key)));
}

function decodeToken(token: string): string {
  try {
    const binary = atob(token);
    const key = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
    if (encodeToken(key) === token) return key;
  } catch {}
  throw new S3Error("InvalidArgument", "The continuation token provided is incorrect", [
    ["ArgumentName", "continuation-token"],
  ]);
}

/** One page of a listing: objects and common prefixes after `after`, in S3's order. */
interface ListingPage {
  records: ObjectRecord[];
  prefixes: string[];
  /** Entries listed (objects plus common prefixes). */
  count: number;
  truncated: boolean;
  /** The last key or common prefix listed: where the next page starts. */
  lastKey: string;
}

async function listPage(
  ctx: RequestContext,
  prefix: string,
  delimiter: string,
  after: string,
  maxKeys: number,
): Promise<ListingPage> {
  const page: ListingPage = { records: [], prefixes: [], count: 0, truncated: false, lastKey: "" };
  for (const record of await ctx.store.listObjects(ctx.bucket)) {
    if (!record.key.startsWith(prefix) || compareKeys(record.key, after) <= 0) continue;
    const rest = record.key.slice(prefix.length);
    const cut = delimiter === "" ? -1 : rest.indexOf(delimiter);
    const common = cut >= 0 ? prefix + rest.slice(0, cut + delimiter.length) : undefined;
    // Keys under a prefix already returned belong to it; a marker pointing inside one skips the rest of it.
    if (
      common !== undefined &&
      (page.prefixes.at(-1) === common || (after !== "" && after.startsWith(common)))
    )
      continue;
    if (page.count >= maxKeys) {
      // max-keys=0 lists nothing and, as S3 answers it, is not "truncated": there is no token to go on from.
      page.truncated = maxKeys > 0;
      break;
    }
    page.count++;
    if (common !== undefined) {
      page.prefixes.push(common);
      page.lastKey = common;
      continue;
    }
    page.lastKey = record.key;
    page.records.push(record);
  }
  return page;
}

function encodingOf(ctx: RequestContext): { type: string | undefined; encode(text: string): string } {
  const type = ctx.query.get("encoding-type");
  if (type !== undefined && type !== "url") {
    throw new S3Error("InvalidArgument", "Invalid Encoding Method specified in Request", [
      ["ArgumentName", "encoding-type"],
    ]);
  }
  return {
    type,
    encode: (text) => (type === "url" ? encodeURIComponent(text).replace(/%2F/g, "/") : text),
  };
}

function contentsOf(record: ObjectRecord, key: string, withOwner: boolean): XmlNode {
  const checksum = storedChecksum(record);
  return [
    "Contents",
    [
      ["Key", key],
      ["LastModified", record.lastModified],
      ["ETag", record.etag],
      ["ChecksumAlgorithm", checksum?.algorithm],
      ["ChecksumType", checksum?.type],
      ["Size", record.size],
      ["Owner", withOwner ? OWNER : undefined],
      ["StorageClass", "STANDARD"],
    ],
  ];
}

function booleanParam(ctx: RequestContext, name: string): boolean {
  const text = ctx.query.get(name);
  if (text === undefined || text === "false") return false;
  if (text === "true") return true;
  throw new S3Error("InvalidArgument", `Invalid value for ${name}: expected true or false`, [
    ["ArgumentName", name],
    ["ArgumentValue", text],
  ]);
}

/** ListObjectsV2 with prefix, delimiter, max-keys, continuation-token, start-after, fetch-owner and encoding-type=url. */
export async function listObjectsV2(ctx: RequestContext): Promise<Response> {
  const prefix = ctx.query.get("prefix") ?? "";
  const delimiter = ctx.query.get("delimiter") ?? "";
  const token = ctx.query.get("continuation-token");
  const startAfter = ctx.query.get("start-after");
  const { type, encode } = encodingOf(ctx);
  const maxKeys = intParam(ctx, "max-keys", 1000, 0, 1000);
  const fetchOwner = booleanParam(ctx, "fetch-owner");
  const after = token !== undefined ? decodeToken(token) : (startAfter ?? "");
  const page = await listPage(ctx, prefix, delimiter, after, maxKeys);
  return xmlResponse("ListBucketResult", [
    ["Name", ctx.bucket],
    ["Prefix", encode(prefix)],
    ["Delimiter", delimiter ? encode(delimiter) : undefined],
    ["MaxKeys", maxKeys],
    ["KeyCount", page.count],
    ["IsTruncated", page.truncated],
    ["EncodingType", type],
    ["ContinuationToken", token],
    ["NextContinuationToken", page.truncated ? encodeToken(page.lastKey) : undefined],
    ["StartAfter", startAfter !== undefined ? encode(startAfter) : undefined],
    ...page.records.map((record) => contentsOf(record, encode(record.key), fetchOwner)),
    ...page.prefixes.map((p): XmlNode => ["CommonPrefixes", [["Prefix", encode(p)]]]),
  ]);
}

/** ListObjects (version 1, which rclone and s3cmd use) with prefix, delimiter, marker, max-keys and encoding-type=url. */
export async function listObjectsV1(ctx: RequestContext): Promise<Response> {
  const prefix = ctx.query.get("prefix") ?? "";
  const delimiter = ctx.query.get("delimiter") ?? "";
  const marker = ctx.query.get("marker") ?? "";
  const { type, encode } = encodingOf(ctx);
  const maxKeys = intParam(ctx, "max-keys", 1000, 0, 1000);
  const page = await listPage(ctx, prefix, delimiter, marker, maxKeys);
  return xmlResponse("ListBucketResult", [
    ["Name", ctx.bucket],
    ["Prefix", encode(prefix)],
    ["Marker", encode(marker)],
    // S3 sends NextMarker only with a delimiter (clients use the last key otherwise); sending it always is allowed.
    ["NextMarker", page.truncated ? encode(page.lastKey) : undefined],
    ["MaxKeys", maxKeys],
    ["Delimiter", delimiter ? encode(delimiter) : undefined],
    ["IsTruncated", page.truncated],
    ["EncodingType", type],
    ...page.records.map((record) => contentsOf(record, encode(record.key), true)),
    ...page.prefixes.map((p): XmlNode => ["CommonPrefixes", [["Prefix", encode(p)]]]),
  ]);
}
