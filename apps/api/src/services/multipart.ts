/**
 * The multipart plan of the upload pipeline (see upload.ts): the same announce and settle, with a different sign
 * step (the server creates the multipart upload at announce and signs part URLs on demand, a batch at a time)
 * and a different source for verification (the parts the storage itself lists, assembled by the server).
 *
 * Part sizes follow R2's rule, which is also S3's: every part but the last the same size, 5 MiB..5 GiB, at most
 * 10,000 parts. The part size is a pure function of the file size, so nothing about it needs storing.
 */
import type { PresignedRequest, UploadedPart } from "@signet/signer";
import { S3Error } from "@signet/signer";
import { TRPCError } from "@trpc/server";
import type { Storage } from "../deps.ts";
import type { ServiceContext } from "./context.ts";

const MiB = 1024 * 1024;
/** The part size for every file up to 160 GiB; larger files get larger parts to stay within 10,000. */
export const PREFERRED_PART_SIZE = 16 * MiB;
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;

export interface PartLayout {
  partSize: number;
  partCount: number;
}

/** The layout of a file of `size` bytes: 16 MiB parts, or the smallest whole MiB that fits 10,000 parts. */
export function partLayout(size: number): PartLayout {
  const needed = Math.ceil(Math.ceil(size / MAX_PARTS) / MiB) * MiB;
  const partSize = Math.min(MAX_PART_SIZE, Math.max(PREFERRED_PART_SIZE, needed));
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

/** The planned size of part `partNumber` (1-based): the part size, or what is left for the last one. */
export function plannedPartSize(size: number, layout: PartLayout, partNumber: number): number {
  return partNumber < layout.partCount ? layout.partSize : size - layout.partSize * (layout.partCount - 1);
}

/** The row fields the multipart plan reads. */
export interface MultipartRow {
  id: string;
  key: string;
  size: number;
  uploadId: string | null;
  uploadExpiresAt: Date;
}

/** One signed part: PUT the part's exact bytes to `url` with exactly `headers`. */
export interface SignedPart {
  partNumber: number;
  url: string;
  headers: Record<string, string>;
  expiresAt: string;
}

/**
 * Signs part URLs for a pending multipart upload. Each URL signs the part's exact length and the checksum the
 * client declared (when the upload takes part checksums), so the storage refuses any other bytes; it lives `uploadUrlTtl` (never past the upload's own
 * deadline). BAD_REQUEST names the first part number out of range.
 */
export async function signParts(
  ctx: ServiceContext,
  row: MultipartRow & { uploadId: string },
  parts: { partNumber: number; checksumSha256?: string | undefined }[],
): Promise<SignedPart[]> {
  const layout = partLayout(row.size);
  for (const [i, part] of parts.entries()) {
    if (part.partNumber > layout.partCount) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `parts[${i}].partNumber: this upload has parts 1..${layout.partCount} (got ${part.partNumber})`,
      });
    }
  }
  const left = Math.floor((row.uploadExpiresAt.getTime() - ctx.clock().getTime()) / 1000);
  const expiresIn = Math.min(ctx.config.uploadUrlTtl, left);
  const signed: PresignedRequest<"PUT">[] = await Promise.all(
    parts.map((part) =>
      ctx.storage.presignUploadPart(row.key, row.uploadId, part.partNumber, {
        expiresIn,
        contentLength: plannedPartSize(row.size, layout, part.partNumber),
        checksumSha256: part.checksumSha256,
      }),
    ),
  );
  return signed.map((request, i) => ({
    partNumber: parts[i]!.partNumber,
    url: request.url,
    headers: request.headers,
    expiresAt: request.expiresAt.toISOString(),
  }));
}

/** The parts that arrived, as the storage lists them (paginated there; whole here). */
export async function arrivedParts(
  storage: Storage,
  row: MultipartRow & { uploadId: string },
): Promise<UploadedPart[]> {
  try {
    return await storage.listParts(row.key, row.uploadId);
  } catch (error) {
    // Completed (or aborted) already: nothing is left in flight.
    if (error instanceof S3Error && error.code === "NoSuchUpload") return [];
    throw error;
  }
}

/** What completing found: done (the object is assembled, or was already), or the part numbers still missing. */
export type Assembly = { done: true } | { done: false; missing: number[] };

/**
 * Assembles the object from the parts the storage listed, after checking that parts 1..N are all there with
 * their planned sizes. Completes with the ETags the server read itself (a browser that cannot read ETag through
 * CORS still completes) and `If-None-Match: *`, so an existing object is never replaced. An upload that is
 * already gone counts as done: the verification that follows (HEAD) decides what arrived.
 */
export async function assemble(
  storage: Storage,
  row: MultipartRow & { uploadId: string },
): Promise<Assembly> {
  const layout = partLayout(row.size);
  const listed = new Map((await arrivedParts(storage, row)).map((part) => [part.partNumber, part]));
  if (listed.size === 0 && (await storage.headObject(row.key))) return { done: true };
  const missing: number[] = [];
  for (let n = 1; n <= layout.partCount; n++) {
    if (listed.get(n)?.size !== plannedPartSize(row.size, layout, n)) missing.push(n);
  }
  if (missing.length > 0) return { done: false, missing };
  try {
    await storage.completeMultipartUpload(
      row.key,
      row.uploadId,
      [...listed.values()]
        .filter((part) => part.partNumber <= layout.partCount)
        .map((part) => ({ partNumber: part.partNumber, etag: part.etag })),
      { ifNoneMatch: "*" },
    );
  } catch (error) {
    // A concurrent completion won: the object exists and verification judges it.
    if (!(error instanceof S3Error && error.code === "NoSuchUpload")) throw error;
  }
  return { done: true };
}

/** Aborts the row's multipart upload (an upload already gone counts as aborted). */
export async function abortParts(storage: Storage, row: MultipartRow): Promise<void> {
  if (row.uploadId) await storage.abortMultipartUpload(row.key, row.uploadId);
}

/** Describes missing parts for a person: "parts 3, 7 and 9 have not arrived". */
export function describeMissing(missing: number[]): string {
  const shown = missing.slice(0, 10).join(", ");
  const more = missing.length > 10 ? ` and ${missing.length - 10} more` : "";
  return missing.length === 1 ? `part ${shown} has not arrived` : `parts ${shown}${more} have not arrived`;
}
