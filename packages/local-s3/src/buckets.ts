import { receiveSmallBody } from "./body.ts";
import { storedChecksum } from "./checksums.ts";
import { intParam, type RequestContext, xmlResponse } from "./context.ts";
import { corsToXml, parseCorsConfiguration } from "./cors.ts";
import { S3Error } from "./errors.ts";
import { compareKeys } from "./store.ts";
import { escapeXml, type XmlNode } from "./xml.ts";

/** CreateBucket: 200 with Location; 409 BucketAlreadyOwnedByYou when it exists (one owner here). */
export async function createBucket(ctx: RequestContext): Promise<Response> {
  // The body may carry a CreateBucketConfiguration; it is read so its integrity claims are still checked.
  await receiveSmallBody(ctx.request, ctx.auth.payloadHash);
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

export async function listBuckets(ctx: RequestContext): Promise<Response> {
  const buckets = await ctx.store.listBuckets();
  return xmlResponse("ListAllMyBucketsResult", [
    [
      "Owner",
      [
        ["ID", "local-s3"],
        ["DisplayName", "local-s3"],
      ],
    ],
    [
      "Buckets",
      buckets.map(
        (b): XmlNode => [
          "Bucket",
          [
            ["Name", b.name],
            ["CreationDate", b.created],
          ],
        ],
      ),
    ],
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

/** ListObjectsV2 with prefix, delimiter, max-keys, continuation-token, start-after and encoding-type=url. */
export async function listObjectsV2(ctx: RequestContext): Promise<Response> {
  const prefix = ctx.query.get("prefix") ?? "";
  const delimiter = ctx.query.get("delimiter") ?? "";
  const token = ctx.query.get("continuation-token");
  const startAfter = ctx.query.get("start-after");
  const encodingType = ctx.query.get("encoding-type");
  if (encodingType !== undefined && encodingType !== "url") {
    throw new S3Error("InvalidArgument", "Invalid Encoding Method specified in Request", [
      ["ArgumentName", "encoding-type"],
    ]);
  }
  const maxKeys = intParam(ctx, "max-keys", 1000, 0, 1000);
  const after = token !== undefined ? decodeToken(token) : (startAfter ?? "");
  const encode = (text: string) =>
    encodingType === "url" ? encodeURIComponent(text).replace(/%2F/g, "/") : text;
  const contents: XmlNode[] = [];
  const prefixes: string[] = [];
  let count = 0;
  let truncated = false;
  let lastKey = "";
  for (const record of await ctx.store.listObjects(ctx.bucket)) {
    if (!record.key.startsWith(prefix) || compareKeys(record.key, after) <= 0) continue;
    const rest = record.key.slice(prefix.length);
    const cut = delimiter === "" ? -1 : rest.indexOf(delimiter);
    const common = cut >= 0 ? prefix + rest.slice(0, cut + delimiter.length) : undefined;
    // Keys under a prefix already returned belong to it; a token pointing inside one skips the rest of it.
    if (common !== undefined && (prefixes.at(-1) === common || (after !== "" && after.startsWith(common))))
      continue;
    if (count >= maxKeys) {
      truncated = true;
      break;
    }
    count++;
    if (common !== undefined) {
      prefixes.push(common);
      lastKey = common;
      continue;
    }
    lastKey = record.key;
    contents.push([
      "Contents",
      [
        ["Key", encode(record.key)],
        ["LastModified", record.lastModified],
        ["ETag", record.etag],
        ["ChecksumAlgorithm", storedChecksum(record)?.algorithm],
        ["ChecksumType", storedChecksum(record)?.type],
        ["Size", record.size],
        ["StorageClass", "STANDARD"],
      ],
    ]);
  }
  return xmlResponse("ListBucketResult", [
    ["Name", ctx.bucket],
    ["Prefix", encode(prefix)],
    ["Delimiter", delimiter ? encode(delimiter) : undefined],
    ["MaxKeys", maxKeys],
    ["KeyCount", count],
    ["IsTruncated", truncated],
    ["EncodingType", encodingType],
    ["ContinuationToken", token],
    ["NextContinuationToken", truncated ? encodeToken(lastKey) : undefined],
    ["StartAfter", startAfter !== undefined ? encode(startAfter) : undefined],
    ...contents,
    ...prefixes.map((p): XmlNode => ["CommonPrefixes", [["Prefix", encode(p)]]]),
  ]);
}
