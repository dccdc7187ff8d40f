// The S3 endpoint as a Hono app: parses the path-style target, answers CORS preflights, authenticates
// everything else, dispatches to the operation and renders errors as S3 XML. Web standards only.
import { Hono } from "hono";
import { receiveSmallBody } from "./body.ts";
import {
  createBucket,
  deleteBucket,
  deleteBucketCors,
  getBucketCors,
  getBucketLocation,
  headBucket,
  listBuckets,
  listObjectsV1,
  listObjectsV2,
  putBucketCors,
} from "./buckets.ts";
import type { RequestContext } from "./context.ts";
import { actualResponseHeaders, type CorsRule, preflight } from "./cors.ts";
import { random, toHex } from "./digest.ts";
import { errorResponse, S3Error } from "./errors.ts";
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
} from "./multipart.ts";
import { copyObject, deleteObject, deleteObjects, getObject, headObject, putObject } from "./objects.ts";
import { authenticate, decodeComponent, parseTarget } from "./sigv4.ts";
import { DiskStore, isValidBucketName } from "./store.ts";
import { refuseUnsupportedHeaders } from "./unsupported.ts";

/** One access key pair the endpoint accepts. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface LocalS3Options {
  /** Directory holding the buckets; created when missing. */
  dir: string;
  credentials: Credentials[];
  /** Region in credential scopes; "auto", "us-east-1" and "" are accepted too, as R2 does. Default "auto". */
  region?: string;
  /** Clock for expiry and skew checks and Last-Modified. Default: real time. */
  now?: () => Date;
  /** Called with each request as it arrives (tests count what reaches the storage). */
  onRequest?: (request: Request) => void;
}

/** Sub-resources S3 defines that this endpoint does not implement: refused, never mistaken for a plain object call. */
const UNSUPPORTED_SUBRESOURCES = [
  "accelerate",
  "acl",
  "analytics",
  "attributes",
  "encryption",
  "intelligent-tiering",
  "inventory",
  "legal-hold",
  "lifecycle",
  "logging",
  "metadataTable",
  "metrics",
  "notification",
  "object-lock",
  "ownershipControls",
  "policy",
  "policyStatus",
  "publicAccessBlock",
  "renameObject",
  "replication",
  "requestPayment",
  "restore",
  "retention",
  "select",
  "session",
  "tagging",
  "torrent",
  "versioning",
  "versions",
  "website",
];

const MAX_KEY_BYTES = 1024;

function requestId(): string {
  return toHex(random(8)).toUpperCase();
}

function notImplemented(what: string): S3Error {
  return new S3Error("NotImplemented", `${what} is not implemented by local-s3`);
}

/** Builds the endpoint's fetch handler (a Hono app) over a directory. */
export function createS3App(options: LocalS3Options): {
  app: Hono;
  fetch: (request: Request) => Promise<Response>;
} {
  if (typeof options.dir !== "string" || options.dir === "")
    throw new TypeError("createLocalS3: `dir` is required");
  if (!Array.isArray(options.credentials) || options.credentials.length === 0) {
    throw new TypeError("createLocalS3: `credentials` needs at least one { accessKeyId, secretAccessKey }");
  }
  const secrets = new Map<string, string>();
  for (const [i, c] of options.credentials.entries()) {
    if (typeof c?.accessKeyId !== "string" || !/^[A-Za-z0-9]{3,128}$/.test(c.accessKeyId)) {
      throw new TypeError(`createLocalS3: credentials[${i}].accessKeyId must be 3-128 letters or digits`);
    }
    if (typeof c.secretAccessKey !== "string" || c.secretAccessKey === "") {
      throw new TypeError(`createLocalS3: credentials[${i}].secretAccessKey must be a non-empty string`);
    }
    secrets.set(c.accessKeyId, c.secretAccessKey);
  }
  const region = options.region ?? "auto";
  if (typeof region !== "string" || !/^[a-z0-9-]*$/.test(region)) {
    throw new TypeError("createLocalS3: `region` must be lower-case letters, digits and dashes");
  }
  const now = options.now ?? (() => new Date());
  const store = new DiskStore(options.dir);
  let ready: Promise<void> | undefined;
  const corsCache = new Map<string, CorsRule[] | undefined>();
  const corsRules = async (bucket: string): Promise<CorsRule[] | undefined> => {
    if (!corsCache.has(bucket))
      corsCache.set(bucket, (await store.getCors(bucket)) as CorsRule[] | undefined);
    return corsCache.get(bucket);
  };

  async function dispatch(
    request: Request,
  ): Promise<{ response: Response; bucket: string; resource: string }> {
    const target = parseTarget(request.url);
    const path = decodeComponent(target.rawPath, false);
    const slash = path.indexOf("/", 1);
    const bucket = slash < 0 ? path.slice(1) : path.slice(1, slash);
    const key = slash < 0 ? "" : path.slice(slash + 1);
    const resource = path;
    const query = new Map<string, string>();
    for (const [name, value] of target.query) if (!query.has(name)) query.set(name, value);
    const method = request.method;

    if (bucket !== "" && !isValidBucketName(bucket)) {
      throw new S3Error("InvalidBucketName", "The specified bucket is not valid.", [["BucketName", bucket]]);
    }
    if (method === "OPTIONS") {
      if (!(await store.bucketExists(bucket)))
        throw new S3Error("NoSuchBucket", "The specified bucket does not exist");
      return {
        response: new Response(null, { status: 200, headers: preflight(await corsRules(bucket), request) }),
        bucket,
        resource,
      };
    }
    const auth = authenticate(request, target, { secrets, region, now });
    if (new TextEncoder().encode(key).byteLength > MAX_KEY_BYTES) {
      throw new S3Error("KeyTooLongError", "Your key is too long", [
        ["MaxSizeAllowed", MAX_KEY_BYTES],
        ["Size", new TextEncoder().encode(key).byteLength],
      ]);
    }
    for (const name of UNSUPPORTED_SUBRESOURCES)
      if (query.has(name)) throw notImplemented(`The ?${name} sub-resource`);
    if (query.has("versionId") && query.get("versionId") !== "null")
      throw notImplemented("Object versioning");
    refuseUnsupportedHeaders(request, method === "DELETE" && key !== "" && !query.has("uploadId"));
    const ctx: RequestContext = {
      request,
      target,
      query,
      bucket,
      key,
      auth,
      store,
      now,
      region,
      setCors: (b, rules) => corsCache.set(b, rules),
    };
    const respond = (response: Response) => ({ response, bucket, resource });
    const takesBody =
      (method === "PUT" && !(key !== "" && request.headers.has("x-amz-copy-source"))) ||
      (method === "POST" && (query.has("uploadId") || (key === "" && query.has("delete"))));
    // Operations without a payload still have their payload hash checked (it must be the empty body's), as S3
    // does; reading the (empty) body is how that check runs.
    if (!takesBody) await receiveSmallBody(request, auth.payloadHash, 1 << 20);

    if (bucket === "") {
      if (method === "GET") return respond(await listBuckets(ctx));
      throw new S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.");
    }
    if (key === "" && method === "PUT" && !query.has("cors")) return respond(await createBucket(ctx));
    if (!(await store.bucketExists(bucket))) {
      throw new S3Error("NoSuchBucket", "The specified bucket does not exist", [["BucketName", bucket]]);
    }
    const uploadId = query.get("uploadId");
    if (key === "") {
      if (query.has("cors")) {
        if (method === "PUT") return respond(await putBucketCors(ctx));
        if (method === "GET") return respond(await getBucketCors(ctx, await corsRules(bucket)));
        if (method === "DELETE") return respond(await deleteBucketCors(ctx));
      } else if (method === "GET") {
        if (query.has("uploads")) return respond(await listMultipartUploads(ctx));
        if (query.has("location")) return respond(await getBucketLocation(ctx));
        if (query.get("list-type") === "2") return respond(await listObjectsV2(ctx));
        if (!query.has("list-type")) return respond(await listObjectsV1(ctx));
        throw new S3Error("InvalidArgument", "Invalid List Type specified in Request", [
          ["ArgumentName", "list-type"],
          ["ArgumentValue", query.get("list-type") ?? ""],
        ]);
      } else if (method === "POST" && query.has("delete")) return respond(await deleteObjects(ctx));
      else if (method === "HEAD") return respond(await headBucket(ctx));
      else if (method === "DELETE") return respond(await deleteBucket(ctx));
      throw new S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.");
    }
    switch (method) {
      case "PUT": {
        if (uploadId !== undefined) return respond(await uploadPart(ctx, uploadId));
        if (query.has("partNumber"))
          throw new S3Error("InvalidArgument", "partNumber requires uploadId", [
            ["ArgumentName", "uploadId"],
          ]);
        const copySource = request.headers.get("x-amz-copy-source");
        if (copySource !== null) return respond(await copyObject(ctx, copySource));
        return respond(await putObject(ctx));
      }
      case "GET":
        if (uploadId !== undefined) return respond(await listParts(ctx, uploadId));
        if (query.has("partNumber")) throw notImplemented("GetObject by partNumber");
        return respond(await getObject(ctx));
      case "HEAD":
        if (query.has("partNumber")) throw notImplemented("HeadObject by partNumber");
        return respond(await headObject(ctx));
      case "DELETE":
        if (uploadId !== undefined) return respond(await abortMultipartUpload(ctx, uploadId));
        return respond(await deleteObject(ctx));
      case "POST":
        if (query.has("uploads")) return respond(await createMultipartUpload(ctx));
        if (uploadId !== undefined) return respond(await completeMultipartUpload(ctx, uploadId));
        throw notImplemented("POST object (browser form upload)");
      default:
        throw new S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.", [
          ["Method", method],
          ["ResourceType", "OBJECT"],
        ]);
    }
  }

  async function handle(request: Request): Promise<Response> {
    const id = requestId();
    let response: Response;
    let bucket = "";
    let resource = "/";
    try {
      ready ??= store.init();
      await ready;
      ({ response, bucket, resource } = await dispatch(request));
    } catch (error) {
      const s3Error =
        error instanceof S3Error
          ? error
          : new S3Error("InternalError", "We encountered an internal error. Please try again.");
      if (!(error instanceof S3Error)) console.error("local-s3: internal error", error);
      try {
        const path = decodeComponent(parseTarget(request.url).rawPath, false);
        resource = path;
        bucket = path.split("/")[1] ?? "";
      } catch {}
      response = errorResponse(s3Error, resource, id, request.method);
    }
    // Responses from the platform may have immutable headers; copy into a fresh Response we own.
    const headers = new Headers(response.headers);
    headers.set("x-amz-request-id", id);
    if (
      request.method !== "OPTIONS" &&
      bucket !== "" &&
      isValidBucketName(bucket) &&
      request.headers.has("origin")
    ) {
      const cors = actualResponseHeaders(await corsRules(bucket).catch(() => undefined), request);
      if (cors) for (const [name, value] of cors) headers.set(name, value);
    }
    if (request.method === "HEAD") return new Response(null, { status: response.status, headers });
    // S3 answers empty 200s with an explicit zero length rather than an empty chunked body.
    if (response.body === null && response.status === 200) headers.set("content-length", "0");
    return new Response(response.body, { status: response.status, headers });
  }

  const app = new Hono();
  app.all("*", (c) => handle(c.req.raw));
  const onRequest = options.onRequest;
  return {
    app,
    fetch: (request) => {
      onRequest?.(request);
      return Promise.resolve(app.fetch(request));
    },
  };
}
