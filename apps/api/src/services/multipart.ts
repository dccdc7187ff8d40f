/**
 * The multipart plan of the upload pipeline (see upload.ts): the same announce and settle, with a different sign
 * step (the server creates the multipart upload at announce and signs part URLs on demand, a batch at a time)
 * and a different source for verification (the parts the storage itself lists, assembled by the server).
 *
 * Part sizes follow R2's rule, which is also S3's: every part but the last the same size, 5 MiB..5 GiB, at most
 * 10,000 parts. The part size is a pure function of the file size, so nothing about it needs storing. The
 * checksum each part is signed with is stored (`upload_part`), so that completion holds the storage to it.
 */
import { uploadPart } from "@signet/db";
import type { PresignedRequest, UploadedPart } from "@signet/signer";
import { S3Error } from "@signet/signer";
import { TRPCError } from "@trpc/server";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { SignedParts } from "../contract/files.ts";
import type { AppDeps, Storage } from "../deps.ts";
import type { ServiceContext } from "./context.ts";
import { MAX_PARTS } from "./validation.ts";

const MiB = 1024 * 1024;
/** The part size for every file up to 160 GiB; larger files get larger parts to stay within 10,000. */
export const PREFERRED_PART_SIZE = 16 * MiB;
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;

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

/**
 * BAD_REQUEST for a whole-file SHA-256 declared for an upload that goes in parts. Storage verifies each part's
 * SHA-256 (declared when the part is signed); an assembled object has no plain SHA-256 it could check the whole
 * file against, so the field would be taken and never verified. R2's full-object CRC64NVME could be enforced at
 * completion, but every part would then have to carry CRC64NVME instead of SHA-256, and a CRC is no digest.
 */
export function refuseWholeFileChecksum(size: number, checksumSha256: string | undefined): void {
  if (checksumSha256 === undefined) return;
  throw new TRPCError({
    code: "BAD_REQUEST",
    message:
      `checksumSha256: a file of ${size} bytes is uploaded in parts, and storage verifies each part's SHA-256 ` +
      "(declared with files.signParts), not the whole file's; leave checksumSha256 out for it",
  });
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
export type SignedPart = SignedParts["parts"][number];

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
        message: `parts.${i}.partNumber: this upload has parts 1..${layout.partCount} (got ${part.partNumber})`,
      });
    }
  }
  const left = Math.floor((row.uploadExpiresAt.getTime() - ctx.clock().getTime()) / 1000);
  const expiresIn = Math.min(ctx.config.uploadUrlTtl, left);
  // Signing is pure computation and refuses bad input, so it goes first: nothing is recorded for a refused call.
  const signed: PresignedRequest<"PUT">[] = await Promise.all(
    parts.map((part) =>
      ctx.storage.presignUploadPart(row.key, row.uploadId, part.partNumber, {
        expiresIn,
        contentLength: plannedPartSize(row.size, layout, part.partNumber),
        checksumSha256: part.checksumSha256,
      }),
    ),
  );
  await declareChecksums(ctx, row.id, parts);
  return signed.map((request, i) => ({
    partNumber: parts[i]!.partNumber,
    url: request.url,
    headers: request.headers,
    expiresAt: request.expiresAt.toISOString(),
  }));
}

/**
 * Records the checksum each part is being signed with; re-signing a part replaces its record, and a part signed
 * without a checksum has none to check.
 */
async function declareChecksums(
  deps: Pick<AppDeps, "db">,
  fileId: string,
  parts: { partNumber: number; checksumSha256?: string | undefined }[],
): Promise<void> {
  const declared = parts.flatMap(({ partNumber, checksumSha256 }) =>
    checksumSha256 === undefined ? [] : [{ fileId, partNumber, checksumSha256 }],
  );
  const undeclared = parts.filter((p) => p.checksumSha256 === undefined).map((p) => p.partNumber);
  const statements = [
    ...(declared.length === 0
      ? []
      : [
          deps.db
            .insert(uploadPart)
            .values(declared)
            .onConflictDoUpdate({
              target: [uploadPart.fileId, uploadPart.partNumber],
              set: { checksumSha256: sql`excluded.checksum_sha256` },
            }),
        ]),
    ...(undeclared.length === 0
      ? []
      : [
          deps.db
            .delete(uploadPart)
            .where(and(eq(uploadPart.fileId, fileId), inArray(uploadPart.partNumber, undeclared))),
        ]),
  ];
  const [first, ...rest] = statements;
  if (first) await deps.db.batch([first, ...rest]);
}

/** What the storage holds of an upload: the parts as signed, and those whose checksum is not the one signed. */
export interface ArrivedParts {
  /** Parts whose checksum is the one they were signed with (or that have none to compare), by part number. */
  parts: UploadedPart[];
  /** Part numbers the storage holds with a different checksum: they count as not arrived, and are sent again. */
  mismatched: number[];
}

/**
 * The parts that arrived, as the storage lists them (paginated there; whole here), held to the checksums they
 * were signed with. A storage that keeps no part checksums (Ceph RGW) lists none, and then only sizes are checked.
 */
export async function arrivedParts(
  deps: Pick<AppDeps, "db" | "storage">,
  row: MultipartRow & { uploadId: string },
): Promise<ArrivedParts> {
  const [listed, declared] = await Promise.all([
    deps.storage.listParts(row.key, row.uploadId).catch((error: unknown) => {
      // Completed (or aborted) already: nothing is left in flight.
      if (error instanceof S3Error && error.code === "NoSuchUpload") return [];
      throw error;
    }),
    deps.db.select().from(uploadPart).where(eq(uploadPart.fileId, row.id)),
  ]);
  const signedWith = new Map(declared.map((d) => [d.partNumber, d.checksumSha256]));
  const parts: UploadedPart[] = [];
  const mismatched: number[] = [];
  for (const part of listed) {
    const expected = signedWith.get(part.partNumber);
    if (expected !== undefined && part.checksumSha256 !== undefined && part.checksumSha256 !== expected)
      mismatched.push(part.partNumber);
    else parts.push(part);
  }
  return { parts, mismatched };
}

/** What completing found: done (the object is assembled, or was already), or the parts still to send. */
export type Assembly = { done: true } | { done: false; missing: number[]; mismatched: number[] };

/**
 * Assembles the object from the parts the storage listed, after checking that parts 1..N are all there with
 * their planned sizes and the checksums they were signed with. Completes with the ETags (and checksums) the
 * server read itself (a browser that cannot read ETag through CORS still completes) and `If-None-Match: *`, so
 * an existing object is never replaced. An upload that is already gone counts as done: the verification that
 * follows (HEAD) decides what arrived.
 */
export async function assemble(
  deps: Pick<AppDeps, "db" | "storage">,
  row: MultipartRow & { uploadId: string },
): Promise<Assembly> {
  const { storage } = deps;
  const layout = partLayout(row.size);
  const arrived = await arrivedParts(deps, row);
  const listed = new Map(arrived.parts.map((part) => [part.partNumber, part]));
  if (listed.size === 0 && arrived.mismatched.length === 0 && (await storage.headObject(row.key)))
    return { done: true };
  const missing: number[] = [];
  for (let n = 1; n <= layout.partCount; n++) {
    if (listed.get(n)?.size !== plannedPartSize(row.size, layout, n)) missing.push(n);
  }
  if (missing.length > 0) return { done: false, missing, mismatched: arrived.mismatched };
  try {
    await storage.completeMultipartUpload(
      row.key,
      row.uploadId,
      [...listed.values()]
        .filter((part) => part.partNumber <= layout.partCount)
        .map(({ partNumber, etag, checksumSha256 }) => ({ partNumber, etag, checksumSha256 })),
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

/** Part numbers for a person: "part 3", "parts 3, 7, 9" (the first ten, then how many more). */
function partList(numbers: number[]): string {
  const shown = numbers.slice(0, 10).join(", ");
  const more = numbers.length > 10 ? ` and ${numbers.length - 10} more` : "";
  return numbers.length === 1 ? `part ${shown}` : `parts ${shown}${more}`;
}

/**
 * Describes what an incomplete upload still needs, for a person: "parts 3, 7 have not arrived", or for parts the
 * storage holds with other bytes than were signed for, "part 3 does not match the checksum it was signed with".
 */
export function describeMissing({
  missing,
  mismatched,
}: {
  missing: number[];
  mismatched: number[];
}): string {
  const absent = missing.filter((n) => !mismatched.includes(n));
  const phrases: string[] = [];
  if (absent.length > 0)
    phrases.push(`${partList(absent)} ${absent.length === 1 ? "has" : "have"} not arrived`);
  if (mismatched.length > 0) {
    phrases.push(
      mismatched.length === 1
        ? `${partList(mismatched)} does not match the checksum it was signed with`
        : `${partList(mismatched)} do not match the checksums they were signed with`,
    );
  }
  return phrases.join("; ");
}
