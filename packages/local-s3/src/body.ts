// Receives a request body chunk by chunk, hashing as it goes, and checks every integrity claim the request
// made: Content-Length, x-amz-content-sha256, Content-MD5 and the flexible checksums (header or aws-chunked trailer).
import { decodeAwsChunked } from "./aws-chunked.ts";
import { createBodyHash } from "./body-hash.ts";
import {
  ALGORITHMS,
  algorithmOfHeader,
  badDigest,
  type ChecksumAlgorithm,
  checkDigestText,
  createSummer,
  parseAlgorithm,
} from "./checksums.ts";
import { fromBase64, type HashAlgorithm, toBase64, toHex } from "./digest.ts";
import { S3Error } from "./errors.ts";
import type { TempFile } from "./file-io.ts";
import { STREAMING_UNSIGNED_TRAILER } from "./sigv4.ts";

const bodySources = new WeakMap<Request, AsyncIterable<Uint8Array>>();

/**
 * Lets a runtime entry hand over the request body as a plain async iterable (Node's IncomingMessage is one),
 * which is several times faster to consume than the Web stream the runtime would otherwise wrap it in.
 * Core code stays runtime-agnostic: without a source, the Request's own body stream is read.
 */
export function attachBodySource(request: Request, source: AsyncIterable<Uint8Array>): void {
  bodySources.set(request, source);
}

/** The body's chunks: the attached source when a runtime entry gave one, else the Request's own stream. */
function bodyChunks(request: Request): AsyncIterator<Uint8Array> {
  const source = bodySources.get(request);
  if (source) return source[Symbol.asyncIterator]();
  const reader = request.body?.getReader();
  return {
    next: async () => (reader ? await reader.read() : { done: true, value: undefined }),
    return: async () => {
      reader?.releaseLock();
      return { done: true, value: undefined };
    },
  } as AsyncIterator<Uint8Array>;
}

/** What the request claims about its body, parsed and validated before any byte is read. */
export interface BodyClaims {
  /** Length of the body's content (for aws-chunked, the decoded length). */
  contentLength: number | undefined;
  payloadHash: string;
  contentMd5?: string;
  /** The one flexible checksum claimed; `value` is absent when it arrives as an aws-chunked trailer. */
  checksum?: { algorithm: ChecksumAlgorithm; value?: string };
  /** The body is aws-chunked (STREAMING-UNSIGNED-PAYLOAD-TRAILER). */
  chunked: boolean;
}

export interface ReceivedBody {
  size: number;
  md5: Uint8Array;
  /** The claimed flexible checksum, verified against the body. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

/** `x-amz-checksum-*` headers that are not a body's checksum. */
const CHECKSUM_CONTROL_HEADERS = ["x-amz-checksum-algorithm", "x-amz-checksum-mode", "x-amz-checksum-type"];

/** True when the payload hash is a real SHA-256 the body must match (not UNSIGNED-PAYLOAD or a streaming mode). */
function isSignedPayload(payloadHash: string): boolean {
  return /^[0-9a-f]{64}$/.test(payloadHash);
}

function parseLength(text: string, name: string): number {
  if (!/^\d+$/.test(text)) {
    throw new S3Error("InvalidArgument", `${name} must be a non-negative integer.`, [["ArgumentName", name]]);
  }
  return Number(text);
}

/** The flexible checksum a request claims: one header, or one trailer announced by x-amz-trailer. */
function checksumClaim(request: Request, chunked: boolean): BodyClaims["checksum"] {
  const claimed: { algorithm: ChecksumAlgorithm; value?: string }[] = [];
  for (const [name, value] of request.headers) {
    if (!name.startsWith("x-amz-checksum-") || CHECKSUM_CONTROL_HEADERS.includes(name)) continue;
    const algorithm = algorithmOfHeader(name);
    if (!algorithm) {
      throw new S3Error(
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
        [["Header", name]],
      );
    }
    checkDigestText(algorithm, value);
    claimed.push({ algorithm, value });
  }
  const trailer = request.headers.get("x-amz-trailer");
  if (trailer !== null) {
    if (!chunked) {
      throw new S3Error(
        "InvalidRequest",
        "x-amz-trailer is only allowed with x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER.",
      );
    }
    const algorithm = algorithmOfHeader(trailer.trim().toLowerCase());
    if (!algorithm) {
      throw new S3Error("InvalidRequest", "Value for x-amz-trailer header is invalid.", [
        ["Header", "x-amz-trailer"],
      ]);
    }
    claimed.push({ algorithm });
  }
  if (claimed.length > 1) {
    throw new S3Error(
      "InvalidRequest",
      "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
    );
  }
  const sdkAlgorithm = request.headers.get("x-amz-sdk-checksum-algorithm");
  if (sdkAlgorithm !== null) {
    const algorithm = parseAlgorithm(sdkAlgorithm, "x-amz-sdk-checksum-algorithm");
    if (!claimed[0]) {
      throw new S3Error(
        "InvalidRequest",
        "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.",
      );
    }
    if (claimed[0].algorithm !== algorithm) {
      throw new S3Error(
        "InvalidRequest",
        `Value for x-amz-sdk-checksum-algorithm header is invalid: the checksum sent is ${claimed[0].algorithm}.`,
      );
    }
  }
  return claimed[0];
}

/**
 * Reads and validates the integrity headers of a request carrying a body.
 * `requireLength` is set for object and part uploads, which S3 refuses without a Content-Length.
 */
export function bodyClaims(
  request: Request,
  payloadHash: string,
  requireLength: boolean,
  maxSize: number,
  checksumHeaders = true,
): BodyClaims {
  const chunked = payloadHash === STREAMING_UNSIGNED_TRAILER;
  // An aws-chunked body's Content-Length counts its framing; its content's length is declared separately.
  const lengthHeader = chunked ? "x-amz-decoded-content-length" : "content-length";
  const lengthText = request.headers.get(lengthHeader);
  let contentLength: number | undefined;
  if (lengthText !== null) contentLength = parseLength(lengthText, chunked ? lengthHeader : "Content-Length");
  else if (requireLength || chunked) {
    throw new S3Error(
      "MissingContentLength",
      `You must provide the ${chunked ? lengthHeader : "Content-Length"} HTTP header.`,
    );
  }
  if (contentLength !== undefined && contentLength > maxSize) {
    throw new S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", [
      ["ProposedSize", contentLength],
      ["MaxSizeAllowed", maxSize],
    ]);
  }
  const claims: BodyClaims = { contentLength, payloadHash, chunked };
  const md5 = request.headers.get("content-md5");
  if (md5 !== null) {
    if (fromBase64(md5)?.length !== 16)
      throw new S3Error("InvalidDigest", "The Content-MD5 you specified was invalid.");
    claims.contentMd5 = md5;
  }
  const checksum = checksumHeaders ? checksumClaim(request, chunked) : undefined;
  if (checksum) claims.checksum = checksum;
  return claims;
}

/** The body's content: the raw chunks, or what they decode to when the body is aws-chunked. */
function contentChunks(
  request: Request,
  claims: BodyClaims,
  trailers: Map<string, string>,
): AsyncIterator<Uint8Array> {
  const raw = bodyChunks(request);
  if (!claims.chunked) return raw;
  return decodeAwsChunked({ [Symbol.asyncIterator]: () => raw }, trailers);
}

/**
 * Streams the body into `sink`, then verifies it against `claims`. Throws the S3 error for the first claim
 * that does not hold; the caller discards whatever the sink received.
 */
export async function receiveBody(
  request: Request,
  claims: BodyClaims,
  maxSize: number,
  sink: (chunk: Uint8Array) => Promise<void> | undefined,
): Promise<ReceivedBody> {
  const claimed = claims.checksum?.algorithm;
  // MD5 (the ETag) and any SHA go to the hash worker for large bodies; a CRC is cheap enough to run here.
  const algorithms: HashAlgorithm[] = ["md5"];
  if (isSignedPayload(claims.payloadHash) || claimed === "SHA256") algorithms.push("sha256");
  if (claimed === "SHA1") algorithms.push("sha1");
  const hash = createBodyHash(algorithms, claims.contentLength);
  const crc = claimed && claimed !== "SHA1" && claimed !== "SHA256" ? createSummer(claimed) : undefined;
  const limit = claims.contentLength ?? maxSize;
  let size = 0;
  const trailers = new Map<string, string>();
  const chunks = contentChunks(request, claims, trailers);
  let digests: Uint8Array[];
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await chunks.next();
      } catch (error) {
        if (error instanceof S3Error) throw error;
        // The client went away mid-body: nothing to answer, but it must not read as a server fault.
        throw new S3Error("IncompleteBody", "The request body ended before Content-Length bytes arrived.");
      }
      if (next.done) break;
      const value = next.value;
      size += value.byteLength;
      if (size > limit) {
        throw claims.contentLength === undefined
          ? new S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
          : new S3Error("IncompleteBody", "The request body is longer than the Content-Length HTTP header.");
      }
      const room = hash.update(value);
      if (room) await room;
      crc?.update(value);
      const written = sink(value);
      if (written) await written;
    }
    if (claims.contentLength !== undefined && size !== claims.contentLength) {
      throw new S3Error(
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
      );
    }
    digests = await hash.digest();
  } finally {
    hash.abort();
    await chunks.return?.(undefined)?.catch(() => {});
  }
  const digestOf = (algorithm: HashAlgorithm) => digests[algorithms.indexOf(algorithm)];
  const sha256Digest = digestOf("sha256");
  if (isSignedPayload(claims.payloadHash) && sha256Digest && toHex(sha256Digest) !== claims.payloadHash) {
    throw new S3Error(
      "XAmzContentSHA256Mismatch",
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
      [
        ["ClientComputedContentSHA256", claims.payloadHash],
        ["S3ComputedContentSHA256", toHex(sha256Digest)],
      ],
    );
  }
  const md5Digest = digestOf("md5") as Uint8Array;
  if (claims.contentMd5 !== undefined && toBase64(md5Digest) !== claims.contentMd5) {
    throw new S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.", [
      ["ExpectedDigest", claims.contentMd5],
      ["CalculatedDigest", toBase64(md5Digest)],
    ]);
  }
  const received: ReceivedBody = { size, md5: md5Digest };
  if (claimed) {
    let value = claims.checksum?.value;
    if (value === undefined) {
      const header = ALGORITHMS[claimed].header;
      value = trailers.get(header);
      if (value === undefined) {
        throw new S3Error("InvalidRequest", `The ${header} trailer announced by x-amz-trailer is missing.`);
      }
      checkDigestText(claimed, value);
    }
    const actual = crc ? await crc.digest() : digestOf(claimed === "SHA1" ? "sha1" : "sha256");
    if (!actual || toBase64(actual) !== value) throw badDigest(claimed);
    received.checksum = { algorithm: claimed, value };
  }
  return received;
}

/** Reads a small body (an XML request document) into a string, with the same integrity checks. */
export async function receiveSmallBody(
  request: Request,
  payloadHash: string,
  maxSize = 1 << 20,
  /** False where checksum headers describe something else (CompleteMultipartUpload: the assembled object). */
  options: { checksumHeaders?: boolean } = {},
): Promise<string> {
  const claims = bodyClaims(request, payloadHash, false, maxSize, options.checksumHeaders ?? true);
  const chunks: Uint8Array[] = [];
  await receiveBody(request, claims, maxSize, (chunk) => {
    chunks.push(chunk);
    return undefined;
  });
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

/**
 * Receives the body into `temp` (see receiveBody), then lets `commit` store it; `temp` is discarded when either
 * fails. `commit` gets what arrived with its ETag (the quoted hex MD5, as S3 answers it).
 */
export async function receiveInto<T>(
  request: Request,
  claims: BodyClaims,
  maxSize: number,
  temp: TempFile,
  commit: (body: ReceivedBody & { etag: string }) => Promise<T>,
): Promise<T> {
  try {
    const body = await receiveBody(request, claims, maxSize, (chunk) => temp.write(chunk));
    await temp.finish();
    return await commit({ ...body, etag: `"${toHex(body.md5)}"` });
  } catch (error) {
    await temp.discard();
    throw error;
  }
}
