// S3's flexible checksums as R2 supports them: CRC32, CRC32C, CRC64NVME, SHA-1 and SHA-256, sent as one
// `x-amz-checksum-<algorithm>` header (or an aws-chunked trailer), stored with the object, echoed on HEAD/GET in
// checksum mode. Multipart objects carry either a composite checksum (the checksum of the parts' checksums,
// suffixed `-<parts>`) or, for CRC64NVME (and on request CRC32/CRC32C), the full object's.
// The CRCs come from the AWS SDK's own implementations (native zlib CRC32 where the runtime has it).
import { Crc32, Crc32c, Crc64Nvme } from "@aws-sdk/checksums/crc";
import { createHasher, fromBase64, toBase64 } from "./digest.ts";
import { S3Error } from "./errors.ts";
import type { XmlNode } from "./xml.ts";

export type ChecksumAlgorithm = "CRC32" | "CRC32C" | "CRC64NVME" | "SHA1" | "SHA256";
export type ChecksumType = "COMPOSITE" | "FULL_OBJECT";

/** A checksum a client sent and the endpoint verified: base64 digest, `-<parts>` suffixed when composite. */
export interface Checksum {
  algorithm: ChecksumAlgorithm;
  value: string;
  type: ChecksumType;
}

interface AlgorithmInfo {
  /** Request/response header. */
  header: string;
  /** Element name in S3's XML documents. */
  element: string;
  /** Digest length in bytes. */
  length: number;
}

export const ALGORITHMS: Readonly<Record<ChecksumAlgorithm, AlgorithmInfo>> = {
  CRC32: { header: "x-amz-checksum-crc32", element: "ChecksumCRC32", length: 4 },
  CRC32C: { header: "x-amz-checksum-crc32c", element: "ChecksumCRC32C", length: 4 },
  CRC64NVME: { header: "x-amz-checksum-crc64nvme", element: "ChecksumCRC64NVME", length: 8 },
  SHA1: { header: "x-amz-checksum-sha1", element: "ChecksumSHA1", length: 20 },
  SHA256: { header: "x-amz-checksum-sha256", element: "ChecksumSHA256", length: 32 },
};

const NAMES = Object.keys(ALGORITHMS) as ChecksumAlgorithm[];

/** The algorithm named by `text` (any case, as SDKs send it), or InvalidRequest naming the header. */
export function parseAlgorithm(text: string, header: string): ChecksumAlgorithm {
  const name = text.toUpperCase() as ChecksumAlgorithm;
  if (!NAMES.includes(name)) {
    throw new S3Error("InvalidRequest", `Value for ${header} header is invalid.`, [["Header", header]]);
  }
  return name;
}

/** The algorithm whose header is `header` (lower-case), if it is one. */
export function algorithmOfHeader(header: string): ChecksumAlgorithm | undefined {
  return NAMES.find((name) => ALGORITHMS[name].header === header);
}

/** Checks that `value` is a canonical base64 digest of the algorithm's length; InvalidRequest otherwise. */
export function checkDigestText(algorithm: ChecksumAlgorithm, value: string): void {
  if (fromBase64(value)?.length !== ALGORITHMS[algorithm].length) {
    throw new S3Error("InvalidRequest", `Value for ${ALGORITHMS[algorithm].header} header is invalid.`);
  }
}

/** An incremental checksum of one algorithm. */
export interface Summer {
  update(chunk: Uint8Array): void;
  /** The digest's raw bytes. */
  digest(): Promise<Uint8Array>;
}

/** Starts an incremental checksum. SHA ones are here for composites; bodies hash SHA on the hash worker. */
export function createSummer(algorithm: ChecksumAlgorithm): Summer {
  if (algorithm === "SHA1" || algorithm === "SHA256") {
    const hasher = createHasher(algorithm === "SHA1" ? "sha1" : "sha256");
    return { update: (chunk) => hasher.update(chunk), digest: async () => hasher.digest() };
  }
  const crc = algorithm === "CRC32" ? new Crc32() : algorithm === "CRC32C" ? new Crc32c() : new Crc64Nvme();
  return { update: (chunk) => crc.update(chunk), digest: () => crc.digest() };
}

/** A mismatch between a claimed checksum and the body, as S3 words it. */
export function badDigest(algorithm: ChecksumAlgorithm): S3Error {
  return new S3Error("BadDigest", `The ${algorithm} you specified did not match the calculated checksum.`);
}

/** The composite checksum of a multipart object: the checksum of its parts' raw digests, then `-<parts>`. */
export async function compositeChecksum(algorithm: ChecksumAlgorithm, parts: string[]): Promise<string> {
  const summer = createSummer(algorithm);
  for (const part of parts) summer.update(fromBase64(part) ?? new Uint8Array());
  return `${toBase64(await summer.digest())}-${parts.length}`;
}

/** Response headers for a stored checksum (PutObject's answer, HEAD/GET in checksum mode). */
export function checksumHeaders(headers: Headers, checksum: Checksum | undefined): void {
  if (!checksum) return;
  headers.set(ALGORITHMS[checksum.algorithm].header, checksum.value);
  headers.set("x-amz-checksum-type", checksum.type);
}

/** XML elements for a stored checksum (CopyObjectResult, CompleteMultipartUploadResult, ListParts). */
export function checksumElements(checksum: Omit<Checksum, "type"> & { type?: ChecksumType }): XmlNode[] {
  const nodes: XmlNode[] = [[ALGORITHMS[checksum.algorithm].element, checksum.value]];
  if (checksum.type) nodes.push(["ChecksumType", checksum.type]);
  return nodes;
}

/** What a record stored before flexible checksums existed (`checksumSha256`) means today. */
export function storedChecksum(record: {
  checksum?: Checksum;
  checksumSha256?: string;
}): Checksum | undefined {
  if (record.checksum) return record.checksum;
  if (record.checksumSha256 !== undefined)
    return { algorithm: "SHA256", value: record.checksumSha256, type: "FULL_OBJECT" };
  return undefined;
}
