// Receives a request body chunk by chunk, hashing as it goes, and checks every integrity claim the request
// made: Content-Length, x-amz-content-sha256, Content-MD5, x-amz-checksum-sha256 / -sha1.
import { createBodyHash } from "./body-hash.ts";
import { createCrc } from "./crc.ts";
import { fromBase64, type HashAlgorithm, toBase64, toHex } from "./digest.ts";
import { S3Error } from "./errors.ts";
import { UNSIGNED_PAYLOAD } from "./sigv4.ts";

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
  contentLength: number | undefined;
  payloadHash: string;
  contentMd5?: string;
  checksumSha256?: string;
  checksumSha1?: string;
  checksumCrc32?: string;
  checksumCrc32c?: string;
}

export interface ReceivedBody {
  size: number;
  md5: Uint8Array;
  /** Base64 SHA-256 of the body when one was claimed (stored and returned as x-amz-checksum-sha256). */
  checksumSha256?: string;
}

const UNSUPPORTED_CHECKSUMS = ["x-amz-checksum-crc64nvme"];

/**
 * Reads and validates the integrity headers of a request carrying a body.
 * `requireLength` is set for object and part uploads, which S3 refuses without a Content-Length.
 */
export function bodyClaims(
  request: Request,
  payloadHash: string,
  requireLength: boolean,
  maxSize: number,
): BodyClaims {
  const lengthText = request.headers.get("content-length");
  let contentLength: number | undefined;
  if (lengthText !== null) {
    if (!/^\d+$/.test(lengthText)) {
      throw new S3Error("InvalidArgument", "Content-Length must be a non-negative integer.", [
        ["ArgumentName", "Content-Length"],
      ]);
    }
    contentLength = Number(lengthText);
  } else if (requireLength) {
    throw new S3Error("MissingContentLength", "You must provide the Content-Length HTTP header.");
  }
  if (contentLength !== undefined && contentLength > maxSize) {
    throw new S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", [
      ["ProposedSize", contentLength],
      ["MaxSizeAllowed", maxSize],
    ]);
  }
  for (const name of UNSUPPORTED_CHECKSUMS) {
    if (request.headers.has(name)) {
      throw new S3Error(
        "NotImplemented",
        `${name} is not implemented by this endpoint; use x-amz-checksum-sha256.`,
        [["Header", name]],
      );
    }
  }
  const claims: BodyClaims = { contentLength, payloadHash };
  const md5 = request.headers.get("content-md5");
  if (md5 !== null) {
    if (fromBase64(md5)?.length !== 16)
      throw new S3Error("InvalidDigest", "The Content-MD5 you specified was invalid.");
    claims.contentMd5 = md5;
  }
  const sha256 = request.headers.get("x-amz-checksum-sha256");
  if (sha256 !== null) {
    if (fromBase64(sha256)?.length !== 32) {
      throw new S3Error("InvalidRequest", "Value for x-amz-checksum-sha256 header is invalid.");
    }
    claims.checksumSha256 = sha256;
  }
  const sha1 = request.headers.get("x-amz-checksum-sha1");
  if (sha1 !== null) {
    if (fromBase64(sha1)?.length !== 20)
      throw new S3Error("InvalidRequest", "Value for x-amz-checksum-sha1 header is invalid.");
    claims.checksumSha1 = sha1;
  }
  for (const [header, field] of [
    ["x-amz-checksum-crc32", "checksumCrc32"],
    ["x-amz-checksum-crc32c", "checksumCrc32c"],
  ] as const) {
    const value = request.headers.get(header);
    if (value === null) continue;
    if (fromBase64(value)?.length !== 4)
      throw new S3Error("InvalidRequest", `Value for ${header} header is invalid.`);
    claims[field] = value;
  }
  return claims;
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
  const algorithms: HashAlgorithm[] = ["md5"];
  if (claims.payloadHash !== UNSIGNED_PAYLOAD || claims.checksumSha256 !== undefined)
    algorithms.push("sha256");
  if (claims.checksumSha1 !== undefined) algorithms.push("sha1");
  const hash = createBodyHash(algorithms, claims.contentLength);
  const crc32 = claims.checksumCrc32 !== undefined ? createCrc("crc32") : undefined;
  const crc32c = claims.checksumCrc32c !== undefined ? createCrc("crc32c") : undefined;
  const limit = claims.contentLength ?? maxSize;
  let size = 0;
  const chunks = bodyChunks(request);
  let digests: Uint8Array[];
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await chunks.next();
      } catch {
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
      crc32?.update(value);
      crc32c?.update(value);
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
  if (claims.payloadHash !== UNSIGNED_PAYLOAD && sha256Digest && toHex(sha256Digest) !== claims.payloadHash) {
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
  if (
    claims.checksumSha256 !== undefined &&
    sha256Digest &&
    toBase64(sha256Digest) !== claims.checksumSha256
  ) {
    throw new S3Error("BadDigest", "The SHA256 you specified did not match the calculated checksum.");
  }
  const sha1Digest = digestOf("sha1");
  if (sha1Digest && toBase64(sha1Digest) !== claims.checksumSha1) {
    throw new S3Error("BadDigest", "The SHA1 you specified did not match the calculated checksum.");
  }
  if (crc32 && toBase64(crc32.digest()) !== claims.checksumCrc32) {
    throw new S3Error("BadDigest", "The CRC32 you specified did not match the calculated checksum.");
  }
  if (crc32c && toBase64(crc32c.digest()) !== claims.checksumCrc32c) {
    throw new S3Error("BadDigest", "The CRC32C you specified did not match the calculated checksum.");
  }
  const received: ReceivedBody = { size, md5: md5Digest };
  if (claims.checksumSha256 !== undefined) received.checksumSha256 = claims.checksumSha256;
  return received;
}

/** Reads a small body (an XML request document) into a string, with the same integrity checks. */
export async function receiveSmallBody(
  request: Request,
  payloadHash: string,
  maxSize = 1 << 20,
): Promise<string> {
  const claims = bodyClaims(request, payloadHash, false, maxSize);
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
