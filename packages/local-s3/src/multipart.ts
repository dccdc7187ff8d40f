// Multipart uploads with R2's rules: parts of 5 MiB..5 GiB except the last, all non-trailing parts the same
// size and the last one no larger, at most 10,000 parts, listed in ascending order on completion.
import { bodyClaims, receiveInto, receiveSmallBody } from "./body.ts";
import {
  ALGORITHMS,
  algorithmOfHeader,
  badDigest,
  type Checksum,
  type ChecksumAlgorithm,
  type ChecksumType,
  checksumElements,
  compositeChecksum,
  createSummer,
  parseAlgorithm,
} from "./checksums.ts";
import {
  intParam,
  MAX_OBJECT_SIZE,
  type RequestContext,
  storedHeadersFrom,
  writePreconditions,
  xmlResponse,
} from "./context.ts";
import { hash, toBase64, toHex } from "./digest.ts";
import { S3Error } from "./errors.ts";
import { readAll } from "./file-io.ts";
import { malformedXml, parseRequestXml } from "./request-xml.ts";
import {
  type CompletedUpload,
  compareKeys,
  type ObjectRecord,
  type PartRecord,
  type UploadRecord,
} from "./store.ts";
import { childrenNamed, type XmlNode } from "./xml.ts";

const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10000;

function noSuchUpload(): S3Error {
  return new S3Error(
    "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
  );
}

async function requireUpload(ctx: RequestContext, uploadId: string): Promise<UploadRecord> {
  const upload = await ctx.store.getUpload(ctx.bucket, uploadId);
  if (!upload || upload.key !== ctx.key) throw noSuchUpload();
  return upload;
}

const OWNER: XmlNode[] = [
  ["ID", "local-s3"],
  ["DisplayName", "local-s3"],
];

/** The checksum a new upload asks for (x-amz-checksum-algorithm / -type), checked against S3's combinations. */
function uploadChecksum(request: Request): UploadRecord["checksum"] {
  const algorithmText = request.headers.get("x-amz-checksum-algorithm");
  const typeText = request.headers.get("x-amz-checksum-type");
  if (algorithmText === null) {
    if (typeText !== null) {
      throw new S3Error(
        "InvalidRequest",
        "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
      );
    }
    return undefined;
  }
  const algorithm = parseAlgorithm(algorithmText, "x-amz-checksum-algorithm");
  if (typeText !== null && typeText !== "COMPOSITE" && typeText !== "FULL_OBJECT") {
    throw new S3Error("InvalidRequest", "Value for x-amz-checksum-type header is invalid.", [
      ["Header", "x-amz-checksum-type"],
    ]);
  }
  // CRC64NVME exists only as a full-object checksum; SHAs cannot be combined across parts, so only composite.
  const type: ChecksumType = typeText ?? (algorithm === "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE");
  if (type === "COMPOSITE" && algorithm === "CRC64NVME") {
    throw new S3Error(
      "InvalidRequest",
      "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.",
    );
  }
  if (type === "FULL_OBJECT" && (algorithm === "SHA1" || algorithm === "SHA256")) {
    throw new S3Error(
      "InvalidRequest",
      `The FULL_OBJECT checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`,
    );
  }
  return { algorithm, type };
}

/** CreateMultipartUpload: records the object headers (and checksum asked for) now; they apply at completion. */
export async function createMultipartUpload(ctx: RequestContext): Promise<Response> {
  const checksum = uploadChecksum(ctx.request);
  // R2 takes a write's conditions here too, so an upload bound to fail is refused before any part is sent; the
  // ones CompleteMultipartUpload carries are what decide the commit.
  writePreconditions(ctx.request)?.(await ctx.store.headObject(ctx.bucket, ctx.key));
  const fields: Omit<UploadRecord, "uploadId"> = {
    key: ctx.key,
    initiated: ctx.now().toISOString(),
    headers: storedHeadersFrom(ctx.request),
  };
  if (checksum) fields.checksum = checksum;
  const upload = await ctx.store.createUpload(ctx.bucket, fields);
  const response = xmlResponse("InitiateMultipartUploadResult", [
    ["Bucket", ctx.bucket],
    ["Key", ctx.key],
    ["UploadId", upload.uploadId],
  ]);
  if (checksum) {
    response.headers.set("x-amz-checksum-algorithm", checksum.algorithm);
    response.headers.set("x-amz-checksum-type", checksum.type);
  }
  return response;
}

function partNumberOf(ctx: RequestContext): number {
  const text = ctx.query.get("partNumber") ?? "";
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_PARTS) {
    throw new S3Error("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", [
      ["ArgumentName", "partNumber"],
      ["ArgumentValue", text],
    ]);
  }
  return n;
}

/** UploadPart: same integrity checks as PutObject; re-uploading a part number replaces it. */
export async function uploadPart(ctx: RequestContext, uploadId: string): Promise<Response> {
  const partNumber = partNumberOf(ctx);
  if (ctx.request.headers.has("x-amz-copy-source")) {
    throw new S3Error("NotImplemented", "UploadPartCopy is not implemented", [
      ["Header", "x-amz-copy-source"],
    ]);
  }
  const claims = bodyClaims(ctx.request, ctx.auth.payloadHash, true, MAX_OBJECT_SIZE);
  const upload = await requireUpload(ctx, uploadId);
  const expected = upload.checksum?.algorithm;
  if (expected && claims.checksum?.algorithm !== expected) {
    throw new S3Error(
      "InvalidRequest",
      `Checksum Type mismatch occurred, expected checksum Type: ${expected.toLowerCase()}, actual checksum Type: ${claims.checksum?.algorithm.toLowerCase() ?? "null"}`,
    );
  }
  const temp = await ctx.store.createTemp(ctx.bucket);
  const part = await receiveInto(ctx.request, claims, MAX_OBJECT_SIZE, temp, ({ size, etag, checksum }) => {
    const fields: Omit<PartRecord, "data"> = {
      partNumber,
      size,
      etag,
      lastModified: ctx.now().toISOString(),
    };
    if (checksum) fields.checksum = checksum;
    return ctx.store.commitPart(ctx.bucket, uploadId, temp, fields);
  });
  if (!part) throw noSuchUpload();
  const headers = new Headers({ etag: part.etag });
  if (part.checksum) headers.set(ALGORITHMS[part.checksum.algorithm].header, part.checksum.value);
  return new Response(null, { status: 200, headers });
}

/** ListParts with max-parts / part-number-marker paging. */
export async function listParts(ctx: RequestContext, uploadId: string): Promise<Response> {
  const upload = await requireUpload(ctx, uploadId);
  const maxParts = intParam(ctx, "max-parts", 1000, 0, 1000);
  const marker = intParam(ctx, "part-number-marker", 0, 0, MAX_PARTS);
  const all = (await ctx.store.listParts(ctx.bucket, uploadId)).filter((p) => p.partNumber > marker);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  return xmlResponse("ListPartsResult", [
    ["Bucket", ctx.bucket],
    ["Key", ctx.key],
    ["UploadId", uploadId],
    ["Initiator", OWNER],
    ["Owner", OWNER],
    ["StorageClass", "STANDARD"],
    ["PartNumberMarker", marker],
    ["NextPartNumberMarker", page.at(-1)?.partNumber ?? marker],
    ["MaxParts", maxParts],
    ["IsTruncated", truncated],
    ["ChecksumAlgorithm", upload.checksum?.algorithm],
    ["ChecksumType", upload.checksum?.type],
    ...page.map(
      (p): XmlNode => [
        "Part",
        [
          ["PartNumber", p.partNumber],
          ["LastModified", p.lastModified],
          ["ETag", p.etag],
          ["Size", p.size],
          ...(p.checksum ? checksumElements(p.checksum) : []),
        ],
      ],
    ),
  ]);
}

interface ListedPart {
  partNumber: number;
  etag: string;
  /** Checksum elements the client listed for the part, by algorithm. */
  checksums: Map<ChecksumAlgorithm, string>;
}

function parseCompletion(xml: string): ListedPart[] {
  const root = parseRequestXml(xml, "CompleteMultipartUpload");
  return childrenNamed(root, "Part").map((part) => {
    const number = childrenNamed(part, "PartNumber")[0]?.text.trim() ?? "";
    const etag = childrenNamed(part, "ETag")[0]?.text.trim();
    if (!/^\d+$/.test(number) || etag === undefined)
      throw malformedXml("each Part needs a PartNumber and an ETag");
    const checksums = new Map<ChecksumAlgorithm, string>();
    for (const [algorithm, info] of Object.entries(ALGORITHMS)) {
      const value = childrenNamed(part, info.element)[0]?.text.trim();
      if (value !== undefined) checksums.set(algorithm as ChecksumAlgorithm, value);
    }
    return { partNumber: Number(number), etag: etag.replace(/^"|"$/g, ""), checksums };
  });
}

/**
 * CompleteMultipartUpload: validates the part list against R2's rules, makes the parts one object (committed
 * atomically, with the same conditional-write checks as PutObject; the bytes stay where they are) and drops the
 * upload.
 */
export async function completeMultipartUpload(ctx: RequestContext, uploadId: string): Promise<Response> {
  const check = writePreconditions(ctx.request);
  // A checksum header on this request describes the object being assembled, not the XML body.
  const claimed = objectChecksumClaim(ctx.request);
  const listed = parseCompletion(
    await receiveSmallBody(ctx.request, ctx.auth.payloadHash, 4 << 20, { checksumHeaders: false }),
  );
  if (listed.length === 0) throw new S3Error("MalformedXML", "You must specify at least one part");
  if (listed.length > MAX_PARTS) throw new S3Error("InvalidArgument", "Part count must not exceed 10000");
  const result = await ctx.store.lockUpload(ctx.bucket, uploadId, async (): Promise<CompletedUpload> => {
    // A retry of a completion that succeeded (its answer lost on the way) gets the same answer, as from S3.
    const completed = await ctx.store.getCompletedUpload(ctx.bucket, uploadId);
    if (completed && completed.key === ctx.key) return completed;
    const upload = await requireUpload(ctx, uploadId);
    const stored = new Map((await ctx.store.listParts(ctx.bucket, uploadId)).map((p) => [p.partNumber, p]));
    const parts: PartRecord[] = [];
    for (const [index, entry] of listed.entries()) {
      const previous = listed[index - 1];
      if (previous && entry.partNumber <= previous.partNumber) {
        throw new S3Error(
          "InvalidPartOrder",
          "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
        );
      }
      const part = stored.get(entry.partNumber);
      const checksumsMatch = [...entry.checksums].every(
        ([algorithm, value]) => part?.checksum?.algorithm === algorithm && part.checksum.value === value,
      );
      if (!part || part.etag.replace(/"/g, "") !== entry.etag || !checksumsMatch) {
        throw new S3Error(
          "InvalidPart",
          "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          [
            ["PartNumber", entry.partNumber],
            ["ETag", entry.etag],
          ],
        );
      }
      parts.push(part);
    }
    const first = parts[0];
    for (const [index, part] of parts.entries()) {
      if (index === parts.length - 1) break;
      if (part.size < MIN_PART_SIZE) {
        throw new S3Error(
          "EntityTooSmall",
          "Your proposed upload is smaller than the minimum allowed object size.",
          [
            ["PartNumber", part.partNumber],
            ["ProposedSize", part.size],
            ["MinSizeAllowed", MIN_PART_SIZE],
          ],
        );
      }
      if (first && part.size !== first.size) {
        throw new S3Error("InvalidPart", "All non-trailing parts must have the same length.", [
          ["PartNumber", part.partNumber],
        ]);
      }
    }
    // R2 (developers.cloudflare.com/r2/objects/multipart-objects): the last part may be smaller, never larger.
    const last = parts.at(-1);
    if (first && last && parts.length > 1 && last.size > first.size) {
      throw new S3Error("InvalidPart", "The last part must be the same size as the other parts or smaller.", [
        ["PartNumber", last.partNumber],
      ]);
    }
    const size = parts.reduce((n, p) => n + p.size, 0);
    if (size > MAX_OBJECT_SIZE * 1024)
      throw new S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
    check?.(await ctx.store.headObject(ctx.bucket, ctx.key));
    const binaryMd5s = new Uint8Array(parts.length * 16);
    parts.forEach((p, i) => {
      binaryMd5s.set(
        Uint8Array.from(p.etag.replace(/"/g, "").match(/../g) ?? [], (h) => Number.parseInt(h, 16)),
        i * 16,
      );
    });
    const wanted = upload.checksum;
    if (wanted?.type === "COMPOSITE" && parts.some((p) => p.checksum?.algorithm !== wanted.algorithm)) {
      throw new S3Error("InvalidRequest", `Every part must carry a ${wanted.algorithm} checksum.`);
    }
    let checksum: Checksum | undefined;
    if (wanted?.type === "FULL_OBJECT") {
      // A full-object checksum needs every byte, read once in order; the parts themselves are never copied.
      const summer = createSummer(wanted.algorithm);
      for (const part of parts) {
        await readAll(await ctx.store.readPart(ctx.bucket, uploadId, part), (chunk) => summer.update(chunk));
      }
      checksum = { ...wanted, value: toBase64(await summer.digest()) };
    } else if (wanted) {
      const value = await compositeChecksum(
        wanted.algorithm,
        parts.map((p) => p.checksum?.value ?? ""),
      );
      checksum = { ...wanted, value };
    }
    if (claimed && (claimed.algorithm !== checksum?.algorithm || claimed.value !== checksum.value)) {
      throw badDigest(claimed.algorithm);
    }
    const fields: Omit<ObjectRecord, "data"> = {
      key: ctx.key,
      size,
      etag: `"${toHex(hash("md5", binaryMd5s))}-${parts.length}"`,
      lastModified: ctx.now().toISOString(),
      headers: upload.headers,
    };
    if (checksum) fields.checksum = checksum;
    const committed = await ctx.store.commitParts(ctx.bucket, uploadId, parts, fields, check);
    const answer: CompletedUpload = {
      key: ctx.key,
      etag: committed.etag,
      completed: committed.lastModified,
    };
    if (checksum) answer.checksum = checksum;
    await ctx.store.finishUpload(ctx.bucket, uploadId, answer);
    return answer;
  });
  const origin = new URL(ctx.request.url).origin;
  return xmlResponse("CompleteMultipartUploadResult", [
    ["Location", `${origin}/${ctx.bucket}/${encodeURIComponent(ctx.key).replace(/%2F/g, "/")}`],
    ["Bucket", ctx.bucket],
    ["Key", ctx.key],
    ["ETag", result.etag],
    ...(result.checksum ? checksumElements(result.checksum) : []),
  ]);
}

/**
 * The object checksum a CompleteMultipartUpload claims (one x-amz-checksum-<algorithm> header, the full object's
 * or the composite `…-N`), to compare with what the parts give.
 */
function objectChecksumClaim(request: Request): { algorithm: ChecksumAlgorithm; value: string } | undefined {
  for (const [name, value] of request.headers) {
    const algorithm = algorithmOfHeader(name);
    if (algorithm) return { algorithm, value };
  }
  return undefined;
}

/** AbortMultipartUpload: drops the upload and its parts. */
export async function abortMultipartUpload(ctx: RequestContext, uploadId: string): Promise<Response> {
  await ctx.store.lockUpload(ctx.bucket, uploadId, async () => {
    await requireUpload(ctx, uploadId);
    await ctx.store.deleteUpload(ctx.bucket, uploadId);
  });
  return new Response(null, { status: 204 });
}

/** ListMultipartUploads with prefix, delimiter, key-marker / upload-id-marker and max-uploads. */
export async function listMultipartUploads(ctx: RequestContext): Promise<Response> {
  const prefix = ctx.query.get("prefix") ?? "";
  const delimiter = ctx.query.get("delimiter") ?? "";
  const keyMarker = ctx.query.get("key-marker") ?? "";
  const uploadIdMarker = ctx.query.get("upload-id-marker") ?? "";
  const maxUploads = intParam(ctx, "max-uploads", 1000, 0, 1000);
  const uploads = (await ctx.store.listUploads(ctx.bucket)).filter((u) => {
    if (!u.key.startsWith(prefix)) return false;
    if (keyMarker === "") return true;
    const order = compareKeys(u.key, keyMarker);
    // With an upload-id-marker, later uploads of the marker key are still to come; without one, the key is done.
    return order > 0 || (order === 0 && uploadIdMarker !== "" && u.uploadId > uploadIdMarker);
  });
  const items: XmlNode[] = [];
  const prefixes = new Set<string>();
  let count = 0;
  let truncated = false;
  let last: UploadRecord | undefined;
  for (const upload of uploads) {
    const rest = upload.key.slice(prefix.length);
    const cut = delimiter === "" ? -1 : rest.indexOf(delimiter);
    const common = cut >= 0 ? prefix + rest.slice(0, cut + delimiter.length) : undefined;
    if (common !== undefined && prefixes.has(common)) continue;
    if (count >= maxUploads) {
      truncated = true;
      break;
    }
    count++;
    last = upload;
    if (common !== undefined) {
      prefixes.add(common);
      continue;
    }
    items.push([
      "Upload",
      [
        ["Key", upload.key],
        ["UploadId", upload.uploadId],
        ["Initiator", OWNER],
        ["Owner", OWNER],
        ["StorageClass", "STANDARD"],
        ["Initiated", upload.initiated],
      ],
    ]);
  }
  return xmlResponse("ListMultipartUploadsResult", [
    ["Bucket", ctx.bucket],
    ["KeyMarker", keyMarker],
    ["UploadIdMarker", uploadIdMarker],
    ["NextKeyMarker", truncated ? last?.key : undefined],
    ["NextUploadIdMarker", truncated ? last?.uploadId : undefined],
    ["Delimiter", delimiter || undefined],
    ["Prefix", prefix],
    ["MaxUploads", maxUploads],
    ["IsTruncated", truncated],
    ...items,
    ...[...prefixes].map((p): XmlNode => ["CommonPrefixes", [["Prefix", p]]]),
  ]);
}
