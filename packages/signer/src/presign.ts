import { encodeKey } from "./encode.ts";
import { SignerInputError } from "./errors.ts";
import type { ResolvedOptions } from "./options.ts";
import { amzDate, createQueryPresigner } from "./sigv4.ts";
import {
  checkChecksumSha256,
  checkContentLength,
  checkContentType,
  checkExpiresIn,
  checkHeaderValue,
  checkInteger,
  checkOpaque,
  metadataHeaders,
} from "./validate.ts";

/** HTTP methods a presigned URL can carry (what R2 supports). */
export type PresignedMethod = "GET" | "HEAD" | "PUT" | "DELETE";

/** A presigned request: send `method` to `url` with exactly `headers` (no more, no fewer) before `expiresAt`. */
export interface PresignedRequest<M extends PresignedMethod = PresignedMethod> {
  url: string;
  method: M;
  /** Lower-case header names; every one is signed and must be sent unchanged. `host` is left to the client. */
  headers: Record<string, string>;
  /** When the URL stops working: X-Amz-Date (whole seconds) plus expiresIn. */
  expiresAt: Date;
}

/** Options every presigned URL takes. */
export interface PresignOptions {
  /** Lifetime in seconds, an integer 1..604800. */
  expiresIn: number;
}

/** Constraints for an upload URL; each one given becomes a signed header the storage enforces. */
export interface PresignPutOptions extends PresignOptions {
  contentType: string;
  /** Exact size in bytes, 0..5 GiB. */
  contentLength: number;
  /** Base64 SHA-256 of the body; the storage rejects any other body. */
  checksumSha256?: string | undefined;
  /**
   * User metadata, sent as `x-amz-meta-<name>`. Names match `[a-z0-9-]+`; values have no control characters;
   * names plus values total at most 8 KiB. A value containing non-ASCII characters or leading/trailing
   * whitespace is sent (and stored) as `encodeURIComponent(value)`: read it back with `decodeURIComponent`.
   */
  metadata?: Record<string, string> | undefined;
  /** `"*"`: only create, never overwrite. */
  ifNoneMatch?: "*" | undefined;
  /** Only overwrite the object whose ETag this is. */
  ifMatch?: string | undefined;
  cacheControl?: string | undefined;
}

/** Response header overrides for a download URL. */
export interface PresignGetOptions extends PresignOptions {
  /** Use `contentDisposition(filename, type)` to build a safe value. */
  responseContentDisposition?: string | undefined;
  responseContentType?: string | undefined;
  responseCacheControl?: string | undefined;
}

/** Constraints for one part of a multipart upload. */
export interface PresignUploadPartOptions extends PresignOptions {
  contentLength?: number | undefined;
  checksumSha256?: string | undefined;
}

/** The presigning half of a Signer. */
export interface Presigner {
  /** Upload URL signing every constraint given; `headers` is what the client must send. */
  presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest<"PUT">>;
  /** Download URL, optionally overriding response headers (e.g. `Content-Disposition`). */
  presignGet(key: string, options: PresignGetOptions): Promise<PresignedRequest<"GET">>;
  /** HEAD URL (same response overrides as GET). */
  presignHead(key: string, options: PresignGetOptions): Promise<PresignedRequest<"HEAD">>;
  /** DELETE URL. */
  presignDelete(key: string, options: PresignOptions): Promise<PresignedRequest<"DELETE">>;
  /** URL for one UploadPart (PUT with `partNumber` 1..10000 and `uploadId` in the query). */
  presignUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    options: PresignUploadPartOptions,
  ): Promise<PresignedRequest<"PUT">>;
}

/** Runs a presign body, turning a thrown SignerInputError into a rejected promise like any other failure. */
function settle<T>(body: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(body());
  } catch (error) {
    return Promise.reject(error);
  }
}

const NO_HEADERS: ReadonlyArray<readonly [string, string]> = [];

function checkOptions(options: unknown): asserts options is Record<string, unknown> {
  if (typeof options !== "object" || options === null) {
    throw new SignerInputError("options", "must be an object with at least expiresIn");
  }
}

/** Builds the presign methods over validated options. */
export function createPresigner(config: ResolvedOptions): Presigner {
  const presignQuery = createQueryPresigner({ ...config, service: "s3" });
  const base = `${config.origin}/${config.bucket}/`;
  let lastSecond = Number.NaN;
  let lastAmzDate = "";

  // Synchronous in the steady state (see QueryPresigner); the public methods wrap the result in one promise.
  function presign<M extends PresignedMethod>(
    method: M,
    key: string,
    expiresIn: number,
    headers: ReadonlyArray<readonly [string, string]>,
    query?: ReadonlyArray<readonly [string, string]>,
  ): PresignedRequest<M> | Promise<PresignedRequest<M>> {
    const encodedKey = encodeKey(key);
    const second = Math.floor(config.now().getTime() / 1000);
    // Many URLs are signed within one second; the formatted date is reused rather than rebuilt.
    if (second !== lastSecond) {
      lastSecond = second;
      lastAmzDate = amzDate(new Date(second * 1000));
    }
    const search = presignQuery({
      method,
      host: config.host,
      path: `/${config.bucket}/${encodedKey}`,
      query,
      headers,
      expiresIn,
      datetime: lastAmzDate,
    });
    const sent: Record<string, string> = {};
    for (const [name, value] of headers) sent[name] = value;
    const url = `${base}${encodedKey}?`;
    const expiresAt = new Date((second + expiresIn) * 1000);
    return typeof search === "string"
      ? { url: url + search, method, headers: sent, expiresAt }
      : search.then((s) => ({ url: url + s, method, headers: sent, expiresAt }));
  }

  function responseOverrides(options: PresignGetOptions): [string, string][] {
    const query: [string, string][] = [];
    const { responseCacheControl, responseContentDisposition, responseContentType } = options;
    if (responseCacheControl !== undefined) {
      query.push(["response-cache-control", checkHeaderValue(responseCacheControl, "responseCacheControl")]);
    }
    if (responseContentDisposition !== undefined) {
      query.push([
        "response-content-disposition",
        // Room for filename* of a long non-Latin name: every UTF-8 byte becomes three characters.
        checkHeaderValue(responseContentDisposition, "responseContentDisposition", 4096),
      ]);
    }
    if (responseContentType !== undefined) {
      query.push(["response-content-type", checkContentType(responseContentType, "responseContentType")]);
    }
    return query;
  }

  return {
    presignPut(key, options) {
      return settle(() => {
        checkOptions(options);
        const expiresIn = checkExpiresIn(options.expiresIn);
        // Pushed in code-point order, which is the canonical order, so the signer need not sort them.
        const headers: [string, string][] = [];
        if (options.cacheControl !== undefined) {
          headers.push(["cache-control", checkHeaderValue(options.cacheControl, "cacheControl")]);
        }
        headers.push(
          ["content-length", String(checkContentLength(options.contentLength))],
          ["content-type", checkContentType(options.contentType)],
        );
        if (options.ifMatch !== undefined) {
          headers.push(["if-match", checkHeaderValue(options.ifMatch, "ifMatch")]);
        }
        if (options.ifNoneMatch !== undefined) {
          if (options.ifNoneMatch !== "*") {
            throw new SignerInputError("ifNoneMatch", "must be '*' when given");
          }
          headers.push(["if-none-match", "*"]);
        }
        if (options.checksumSha256 !== undefined) {
          headers.push(["x-amz-checksum-sha256", checkChecksumSha256(options.checksumSha256)]);
        }
        if (options.metadata !== undefined) headers.push(...metadataHeaders(options.metadata));
        return presign("PUT", key, expiresIn, headers);
      });
    },

    presignGet(key, options) {
      return settle(() => {
        checkOptions(options);
        return presign("GET", key, checkExpiresIn(options.expiresIn), NO_HEADERS, responseOverrides(options));
      });
    },

    presignHead(key, options) {
      return settle(() => {
        checkOptions(options);
        return presign(
          "HEAD",
          key,
          checkExpiresIn(options.expiresIn),
          NO_HEADERS,
          responseOverrides(options),
        );
      });
    },

    presignDelete(key, options) {
      return settle(() => {
        checkOptions(options);
        return presign("DELETE", key, checkExpiresIn(options.expiresIn), NO_HEADERS);
      });
    },

    presignUploadPart(key, uploadId, partNumber, options) {
      return settle(() => {
        checkOptions(options);
        const expiresIn = checkExpiresIn(options.expiresIn);
        const query: [string, string][] = [
          ["partNumber", String(checkInteger(partNumber, "partNumber", 1, 10_000))],
          ["uploadId", checkOpaque(uploadId, "uploadId")],
        ];
        const headers: [string, string][] = [];
        if (options.contentLength !== undefined) {
          headers.push(["content-length", String(checkContentLength(options.contentLength))]);
        }
        if (options.checksumSha256 !== undefined) {
          headers.push(["x-amz-checksum-sha256", checkChecksumSha256(options.checksumSha256)]);
        }
        return presign("PUT", key, expiresIn, headers, query);
      });
    },
  };
}
