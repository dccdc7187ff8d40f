import { AwsClient } from "aws4fetch";
import { md5Base64 } from "./crypto.ts";
import { encodeKey, uriEncode } from "./encode.ts";
import { SignerInputError } from "./errors.ts";
import type { ResolvedOptions } from "./options.ts";
import { amzDate } from "./sigv4.ts";
import {
  checkChecksumSha256,
  checkContentType,
  checkHeaderValue,
  checkInteger,
  checkOpaque,
  metadataHeaders,
} from "./validate.ts";
import { escapeXml, parseS3Error, s3ErrorFrom, s3ErrorOf, xmlElements, xmlText, xmlTexts } from "./xml.ts";

/** What HEAD tells about a stored object. */
export interface HeadObjectResult {
  size: number;
  contentType?: string;
  /** As S3 returns it, with the surrounding quotes. */
  etag: string;
  lastModified?: Date;
  /** Base64 SHA-256 when the object was stored with one. */
  checksumSha256?: string;
  cacheControl?: string;
  contentDisposition?: string;
  /** User metadata without the `x-amz-meta-` prefix, values exactly as stored. */
  metadata: Record<string, string>;
}

/** Options for CopyObject. Giving contentType, metadata or cacheControl implies `metadataDirective: "REPLACE"`. */
export interface CopyObjectOptions {
  /** Copy only if the source's ETag is this one (`x-amz-copy-source-if-match`). */
  ifMatch?: string | undefined;
  metadataDirective?: "COPY" | "REPLACE" | undefined;
  contentType?: string | undefined;
  metadata?: Record<string, string> | undefined;
  cacheControl?: string | undefined;
}

/** Options for CreateMultipartUpload. */
export interface CreateMultipartUploadOptions {
  contentType?: string | undefined;
  metadata?: Record<string, string> | undefined;
  /** `"SHA256"`: every part must then carry `x-amz-checksum-sha256`, which the storage verifies. */
  checksumAlgorithm?: "SHA256" | undefined;
}

/** Conditions for CompleteMultipartUpload. */
export interface CompleteMultipartUploadOptions {
  /** `"*"`: fail with PreconditionFailed if the key already exists. */
  ifNoneMatch?: "*" | undefined;
  /** Fail unless the existing object has this ETag. */
  ifMatch?: string | undefined;
}

/** One uploaded part as ListParts reports it. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
  /** Base64 SHA-256 of the part when it was uploaded with one. */
  checksumSha256?: string;
}

/** One unfinished multipart upload as ListMultipartUploads reports it. */
export interface MultipartUploadListing {
  key: string;
  uploadId: string;
  initiated: Date;
}

/** One ListMultipartUploads page; pass `next` back to get the next one. */
export interface ListMultipartUploadsResult {
  uploads: MultipartUploadListing[];
  next?: { keyMarker: string; uploadIdMarker: string };
}

/** One object in a ListObjectsV2 page. */
export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified: Date;
}

/** One ListObjectsV2 page; pass nextContinuationToken back to get the next one. */
export interface ListObjectsResult {
  objects: ListedObject[];
  nextContinuationToken?: string;
}

/** One bucket CORS rule. */
export interface CorsRule {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders?: string[];
  exposeHeaders?: string[];
  maxAgeSeconds?: number;
}

/** The S3 requests the server itself makes, header-signed through aws4fetch. Errors are `S3Error`s. */
export interface S3Calls {
  /** Object metadata, or null when the key does not exist. Asks for the stored SHA-256 checksum. */
  headObject(key: string): Promise<HeadObjectResult | null>;
  /** Bytes `start..end` inclusive (like an HTTP Range); shorter when the object ends first. */
  getObjectRange(key: string, start: number, end: number): Promise<Uint8Array>;
  /** Deletes the object; deleting an absent key succeeds. */
  deleteObject(key: string): Promise<void>;
  /** Server-side copy within the bucket. */
  copyObject(sourceKey: string, destKey: string, options?: CopyObjectOptions): Promise<{ etag: string }>;
  createMultipartUpload(key: string, options?: CreateMultipartUploadOptions): Promise<{ uploadId: string }>;
  /** Every part uploaded so far, in part-number order (follows pagination). */
  listParts(key: string, uploadId: string): Promise<UploadedPart[]>;
  /** Assembles the parts; a 200 response carrying an `<Error>` is thrown as an S3Error. */
  completeMultipartUpload(
    key: string,
    uploadId: string,
    /**
     * The parts to join. Give each part's `checksumSha256` (as ListParts reported it) for an upload created with
     * `checksumAlgorithm: "SHA256"`: AWS S3 refuses such a completion without them, and every storage that
     * keeps part checksums refuses a part whose checksum differs (InvalidPart).
     */
    parts: { partNumber: number; etag: string; checksumSha256?: string | undefined }[],
    options?: CompleteMultipartUploadOptions,
  ): Promise<{ etag: string }>;
  /** Aborts the upload; an upload that no longer exists counts as aborted. */
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
  /** One page (up to 1000) of the multipart uploads under prefix that were neither completed nor aborted. */
  listMultipartUploads(
    prefix: string,
    next?: { keyMarker: string; uploadIdMarker: string },
  ): Promise<ListMultipartUploadsResult>;
  /** One page (up to 1000) of ListObjectsV2 under prefix. */
  listObjects(prefix: string, continuationToken?: string): Promise<ListObjectsResult>;
  putBucketCors(rules: CorsRule[]): Promise<void>;
  /** The bucket's CORS rules; [] when it has none. */
  getBucketCors(): Promise<CorsRule[]>;
  /** Creates the bucket; a bucket that already exists and is ours is fine. */
  createBucket(): Promise<void>;
}

type Query = Record<string, string | undefined>;

const CORS_METHODS = new Set(["GET", "PUT", "POST", "DELETE", "HEAD"]);

/** Builds the S3 calls over validated options. */
export function createS3Calls(config: ResolvedOptions): S3Calls {
  const client = new AwsClient({
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    sessionToken: config.sessionToken,
    service: "s3",
    region: config.region,
    // aws4fetch's default of 10 retries with backoff could hold a request for tens of seconds.
    retries: 2,
  });
  const bucketPath = `/${config.bucket}`;

  async function send(
    method: string,
    path: string,
    query?: Query,
    headers?: Record<string, string>,
    body?: string,
  ): Promise<Response> {
    let search = "";
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      search += `${search ? "&" : "?"}${uriEncode(name)}${value === "" ? "" : `=${uriEncode(value)}`}`;
    }
    return client.fetch(`${config.origin}${path}${search}`, {
      method,
      headers,
      body,
      aws: { datetime: amzDate(config.now()) },
    });
  }

  async function fail(response: Response): Promise<never> {
    throw await s3ErrorOf(response);
  }

  // For idempotent removals a 404 about the thing being removed is success; a missing bucket is not.
  async function okOrAbsent(response: Response, absentCode: string): Promise<void> {
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    const error = await s3ErrorOf(response);
    if (response.status === 404 && (error.code === absentCode || error.code === "NotFound")) return;
    throw error;
  }

  // Success bodies of CopyObject and CompleteMultipartUpload may still be an <Error> (S3 sends 200 before it
  // knows the outcome), so those bodies are checked too.
  async function okXml(response: Response): Promise<string> {
    if (!response.ok) return fail(response);
    const text = await response.text();
    const error = parseS3Error(text, response.status, response.headers.get("x-amz-request-id"));
    if (error) throw error;
    return text;
  }

  const objectPath = (key: string, field = "key") => `${bucketPath}/${encodeKey(key, field)}`;

  return {
    async headObject(key) {
      const response = await send("HEAD", objectPath(key), undefined, { "x-amz-checksum-mode": "ENABLED" });
      if (response.status === 404) return null;
      if (!response.ok) return fail(response);
      const h = response.headers;
      const result: HeadObjectResult = {
        size: Number(h.get("content-length") ?? 0),
        etag: h.get("etag") ?? "",
        metadata: {},
      };
      const optional = {
        contentType: h.get("content-type"),
        checksumSha256: h.get("x-amz-checksum-sha256"),
        cacheControl: h.get("cache-control"),
        contentDisposition: h.get("content-disposition"),
      };
      for (const [field, value] of Object.entries(optional)) {
        if (value !== null) (result as unknown as Record<string, string>)[field] = value;
      }
      const lastModified = h.get("last-modified");
      if (lastModified) result.lastModified = new Date(lastModified);
      for (const [name, value] of h) {
        if (name.startsWith("x-amz-meta-")) result.metadata[name.slice(11)] = value;
      }
      return result;
    },

    async getObjectRange(key, start, end) {
      checkInteger(start, "start", 0, Number.MAX_SAFE_INTEGER);
      checkInteger(end, "end", start, Number.MAX_SAFE_INTEGER);
      const response = await send("GET", objectPath(key), undefined, { range: `bytes=${start}-${end}` });
      if (!response.ok) return fail(response);
      const bytes = new Uint8Array(await response.arrayBuffer());
      // A server that ignores Range answers 200 with the whole object; hand back only what was asked for.
      return response.status === 206 ? bytes : bytes.subarray(start, end + 1);
    },

    async deleteObject(key) {
      await okOrAbsent(await send("DELETE", objectPath(key)), "NoSuchKey");
    },

    async copyObject(sourceKey, destKey, options = {}) {
      const headers: Record<string, string> = {
        "x-amz-copy-source": `${config.bucket}/${encodeKey(sourceKey, "sourceKey")}`,
      };
      const replacing =
        options.contentType !== undefined ||
        options.metadata !== undefined ||
        options.cacheControl !== undefined;
      const directive = options.metadataDirective ?? (replacing ? "REPLACE" : undefined);
      if (directive !== undefined && directive !== "COPY" && directive !== "REPLACE") {
        throw new SignerInputError("metadataDirective", "must be 'COPY' or 'REPLACE'");
      }
      if (directive === "COPY" && replacing) {
        throw new SignerInputError(
          "metadataDirective",
          "must be 'REPLACE' when contentType, metadata or cacheControl is given",
        );
      }
      if (directive) headers["x-amz-metadata-directive"] = directive;
      if (options.ifMatch !== undefined)
        headers["x-amz-copy-source-if-match"] = checkHeaderValue(options.ifMatch, "ifMatch");
      if (options.contentType !== undefined) headers["content-type"] = checkContentType(options.contentType);
      if (options.cacheControl !== undefined)
        headers["cache-control"] = checkHeaderValue(options.cacheControl, "cacheControl");
      for (const [name, value] of metadataHeaders(options.metadata ?? {})) headers[name] = value;
      const text = await okXml(await send("PUT", objectPath(destKey, "destKey"), undefined, headers));
      return { etag: xmlText(text, "ETag") ?? "" };
    },

    async createMultipartUpload(key, options = {}) {
      const headers: Record<string, string> = {};
      if (options.contentType !== undefined) headers["content-type"] = checkContentType(options.contentType);
      if (options.checksumAlgorithm !== undefined) {
        if (options.checksumAlgorithm !== "SHA256") {
          throw new SignerInputError("checksumAlgorithm", "must be 'SHA256' when given");
        }
        headers["x-amz-checksum-algorithm"] = "SHA256";
      }
      for (const [name, value] of metadataHeaders(options.metadata ?? {})) headers[name] = value;
      const text = await okXml(await send("POST", objectPath(key), { uploads: "" }, headers));
      const uploadId = xmlText(text, "UploadId");
      if (!uploadId) throw s3ErrorFrom("", 502);
      return { uploadId };
    },

    async listParts(key, uploadId) {
      checkOpaque(uploadId, "uploadId");
      const parts: UploadedPart[] = [];
      let marker: string | undefined;
      for (;;) {
        const text = await okXml(
          await send("GET", objectPath(key), { uploadId, "part-number-marker": marker }),
        );
        for (const part of xmlElements(text, "Part")) {
          const listed: UploadedPart = {
            partNumber: Number(xmlText(part, "PartNumber")),
            etag: xmlText(part, "ETag") ?? "",
            size: Number(xmlText(part, "Size")),
          };
          const checksum = xmlText(part, "ChecksumSHA256");
          if (checksum) listed.checksumSha256 = checksum;
          parts.push(listed);
        }
        const next = xmlText(text, "NextPartNumberMarker");
        if (xmlText(text, "IsTruncated") !== "true" || !next || next === marker) return parts;
        marker = next;
      }
    },

    async completeMultipartUpload(key, uploadId, parts, options = {}) {
      checkOpaque(uploadId, "uploadId");
      if (!Array.isArray(parts) || parts.length === 0) {
        throw new SignerInputError("parts", "must be a non-empty array of { partNumber, etag }");
      }
      const sorted = parts
        .map((part, i) => ({
          partNumber: checkInteger(part?.partNumber, `parts[${i}].partNumber`, 1, 10_000),
          etag: checkHeaderValue(part?.etag, `parts[${i}].etag`),
          checksum:
            part?.checksumSha256 === undefined
              ? ""
              : `<ChecksumSHA256>${checkChecksumSha256(part.checksumSha256, `parts[${i}].checksumSha256`)}</ChecksumSHA256>`,
        }))
        .sort((a, b) => a.partNumber - b.partNumber);
      let body = "<CompleteMultipartUpload>";
      for (const [i, part] of sorted.entries()) {
        if (i > 0 && sorted[i - 1]!.partNumber === part.partNumber) {
          throw new SignerInputError("parts", `lists part ${part.partNumber} twice`);
        }
        body += `<Part><PartNumber>${part.partNumber}</PartNumber><ETag>${escapeXml(part.etag)}</ETag>${part.checksum}</Part>`;
      }
      body += "</CompleteMultipartUpload>";
      const headers: Record<string, string> = { "content-type": "application/xml" };
      if (options.ifNoneMatch !== undefined) {
        if (options.ifNoneMatch !== "*") throw new SignerInputError("ifNoneMatch", "must be '*' when given");
        headers["if-none-match"] = "*";
      }
      if (options.ifMatch !== undefined) headers["if-match"] = checkHeaderValue(options.ifMatch, "ifMatch");
      const text = await okXml(await send("POST", objectPath(key), { uploadId }, headers, body));
      return { etag: xmlText(text, "ETag") ?? "" };
    },

    async abortMultipartUpload(key, uploadId) {
      checkOpaque(uploadId, "uploadId");
      await okOrAbsent(await send("DELETE", objectPath(key), { uploadId }), "NoSuchUpload");
    },

    async listMultipartUploads(prefix, next) {
      checkOpaque(prefix, "prefix", true);
      if (next !== undefined) {
        checkOpaque(next.keyMarker, "next.keyMarker");
        checkOpaque(next.uploadIdMarker, "next.uploadIdMarker");
      }
      const text = await okXml(
        await send("GET", bucketPath, {
          uploads: "",
          prefix,
          "key-marker": next?.keyMarker,
          "upload-id-marker": next?.uploadIdMarker,
        }),
      );
      const uploads = xmlElements(text, "Upload").map((entry) => ({
        key: xmlText(entry, "Key") ?? "",
        uploadId: xmlText(entry, "UploadId") ?? "",
        initiated: new Date(xmlText(entry, "Initiated") ?? Number.NaN),
      }));
      const keyMarker = xmlText(text, "NextKeyMarker");
      const uploadIdMarker = xmlText(text, "NextUploadIdMarker");
      return xmlText(text, "IsTruncated") === "true" && keyMarker && uploadIdMarker
        ? { uploads, next: { keyMarker, uploadIdMarker } }
        : { uploads };
    },

    async listObjects(prefix, continuationToken) {
      checkOpaque(prefix, "prefix", true);
      if (continuationToken !== undefined) checkOpaque(continuationToken, "continuationToken");
      const text = await okXml(
        await send("GET", bucketPath, {
          "list-type": "2",
          prefix,
          "continuation-token": continuationToken,
        }),
      );
      const objects = xmlElements(text, "Contents").map((entry) => ({
        key: xmlText(entry, "Key") ?? "",
        size: Number(xmlText(entry, "Size")),
        etag: xmlText(entry, "ETag") ?? "",
        lastModified: new Date(xmlText(entry, "LastModified") ?? Number.NaN),
      }));
      const next = xmlText(text, "NextContinuationToken");
      return xmlText(text, "IsTruncated") === "true" && next
        ? { objects, nextContinuationToken: next }
        : { objects };
    },

    async putBucketCors(rules) {
      const body = corsXml(rules);
      const md5 = await md5Base64(body);
      const headers: Record<string, string> = { "content-type": "application/xml" };
      if (md5) headers["content-md5"] = md5;
      else headers["x-amz-checksum-sha256"] = await sha256Base64(body);
      const response = await send("PUT", bucketPath, { cors: "" }, headers, body);
      if (!response.ok) await fail(response);
      await response.body?.cancel();
    },

    async getBucketCors() {
      const response = await send("GET", bucketPath, { cors: "" });
      if (response.status === 404) {
        const error = await s3ErrorOf(response);
        if (error.code === "NoSuchCORSConfiguration") return [];
        throw error;
      }
      const text = await okXml(response);
      return xmlElements(text, "CORSRule").map((rule) => {
        const parsed: CorsRule = {
          allowedOrigins: xmlTexts(rule, "AllowedOrigin"),
          allowedMethods: xmlTexts(rule, "AllowedMethod"),
        };
        const allowedHeaders = xmlTexts(rule, "AllowedHeader");
        if (allowedHeaders.length > 0) parsed.allowedHeaders = allowedHeaders;
        const exposeHeaders = xmlTexts(rule, "ExposeHeader");
        if (exposeHeaders.length > 0) parsed.exposeHeaders = exposeHeaders;
        const maxAge = xmlText(rule, "MaxAgeSeconds");
        if (maxAge !== undefined) parsed.maxAgeSeconds = Number(maxAge);
        return parsed;
      });
    },

    async createBucket() {
      // Regions other than us-east-1 (and R2's "auto") must be named in the body, or AWS answers 400.
      const body =
        config.region === "auto" || config.region === "us-east-1"
          ? undefined
          : `<CreateBucketConfiguration><LocationConstraint>${config.region}</LocationConstraint></CreateBucketConfiguration>`;
      const response = await send("PUT", bucketPath, undefined, undefined, body);
      if (response.ok) {
        await response.body?.cancel();
        return;
      }
      const error = await s3ErrorOf(response);
      if (error.code !== "BucketAlreadyOwnedByYou") throw error;
    },
  };
}

function corsXml(rules: CorsRule[]): string {
  if (!Array.isArray(rules) || rules.length === 0) {
    throw new SignerInputError("rules", "must be a non-empty array of CORS rules");
  }
  let xml = "<CORSConfiguration>";
  for (const [i, rule] of rules.entries()) {
    const field = `rules[${i}]`;
    if (typeof rule !== "object" || rule === null) throw new SignerInputError(field, "must be an object");
    const list = (name: keyof CorsRule, values: unknown, required: boolean): string[] => {
      if (values === undefined && !required) return [];
      if (!Array.isArray(values) || (required && values.length === 0)) {
        throw new SignerInputError(
          `${field}.${name}`,
          required ? "must be a non-empty array of strings" : "must be an array of strings",
        );
      }
      return values.map((value, j) => checkHeaderValue(value, `${field}.${name}[${j}]`));
    };
    xml += "<CORSRule>";
    for (const origin of list("allowedOrigins", rule.allowedOrigins, true)) {
      xml += `<AllowedOrigin>${escapeXml(origin)}</AllowedOrigin>`;
    }
    for (const [j, method] of list("allowedMethods", rule.allowedMethods, true).entries()) {
      if (!CORS_METHODS.has(method)) {
        throw new SignerInputError(
          `${field}.allowedMethods[${j}]`,
          "must be one of GET, PUT, POST, DELETE, HEAD",
        );
      }
      xml += `<AllowedMethod>${method}</AllowedMethod>`;
    }
    for (const header of list("allowedHeaders", rule.allowedHeaders, false)) {
      xml += `<AllowedHeader>${escapeXml(header)}</AllowedHeader>`;
    }
    for (const header of list("exposeHeaders", rule.exposeHeaders, false)) {
      xml += `<ExposeHeader>${escapeXml(header)}</ExposeHeader>`;
    }
    if (rule.maxAgeSeconds !== undefined) {
      xml += `<MaxAgeSeconds>${checkInteger(rule.maxAgeSeconds, `${field}.maxAgeSeconds`, 0, 2 ** 31 - 1)}</MaxAgeSeconds>`;
    }
    xml += "</CORSRule>";
  }
  return `${xml}</CORSConfiguration>`;
}

async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}
