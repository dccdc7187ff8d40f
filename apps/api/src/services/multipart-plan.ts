/**
 * The multipart plan of a file upload: the storage's upload created before the announcement, part URLs signed on
 * demand, and the parts that arrived listed from the storage itself for resuming. The parts' own rules (layout,
 * checksums, assembly) are in multipart.ts.
 */

import { TRPCError } from "@trpc/server";
import type { ListedParts, MultipartUploadTicket, SignedParts } from "../contract/files.ts";
import type { ServiceContext } from "./context.ts";
import { announceFile, type CreateUploadInput, type FileRow, newFile, ownFile } from "./file-record.ts";
import { arrivedParts, partLayout, signParts } from "./multipart.ts";

/**
 * The multipart plan's announcement. The storage's upload is created first (it is what the row records); if
 * the announcement is refused, it is aborted again at once. A whole-file checksum is not kept: the storage
 * checks each part's checksum instead, and an assembled object has no plain SHA-256 to compare with.
 */
export async function createMultipartUpload(
  ctx: ServiceContext,
  input: CreateUploadInput,
  partChecksums: boolean,
): Promise<MultipartUploadTicket> {
  const { config, user } = ctx;
  const { now, fileId, key } = newFile(ctx, input.filename);
  const { uploadId } = await ctx.storage.createMultipartUpload(key, {
    contentType: input.contentType,
    ...(partChecksums ? { checksumAlgorithm: "SHA256" as const } : {}),
    metadata: {
      "original-filename": input.filename,
      "uploaded-by": user.id,
      "uploaded-at": now.toISOString(),
    },
  });
  const uploadExpiresAt = new Date(
    Math.floor(now.getTime() / 1000) * 1000 + config.multipartUploadTtl * 1000,
  );
  try {
    await announceFile(ctx, input, {
      fileId,
      key,
      now,
      uploadExpiresAt,
      checksumSha256: null,
      uploadId,
      expiresIn: config.multipartUploadTtl,
    });
  } catch (error) {
    // Refused (rate limit, quota): the storage's upload was never handed out. Should this abort fail, the
    // sweeper's scan of ListMultipartUploads finds the orphan.
    await ctx.storage.abortMultipartUpload(key, uploadId).catch(() => {});
    throw error;
  }
  return {
    fileId,
    key,
    plan: "multipart",
    ...partLayout(input.size),
    expiresIn: config.multipartUploadTtl,
    expiresAt: uploadExpiresAt.toISOString(),
  };
}

/** A pending multipart upload of the caller's that can still take parts; refusals name why not. */
async function openMultipart(ctx: ServiceContext, fileId: string): Promise<FileRow & { uploadId: string }> {
  const row = await ownFile(ctx, fileId);
  if (!row.uploadId) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: "fileId: this upload is a single PUT; it has no parts",
    });
  }
  if (row.status !== "pending") {
    throw new TRPCError({ code: "BAD_REQUEST", message: `fileId: the upload is ${row.status}` });
  }
  if (row.uploadExpiresAt.getTime() <= ctx.clock().getTime()) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "fileId: the upload expired; start a new upload" });
  }
  return row as FileRow & { uploadId: string };
}

/** Part URLs for a pending multipart upload, each signing that part's exact length and declared checksum. */
export async function signUploadParts(
  ctx: ServiceContext,
  input: { fileId: string; parts: { partNumber: number; checksumSha256?: string | undefined }[] },
): Promise<SignedParts> {
  const row = await openMultipart(ctx, input.fileId);
  return { fileId: row.id, parts: await signParts(ctx, row, input.parts) };
}

/** The parts that arrived, read from the storage itself (ListParts), for resuming an upload. */
export async function listUploadParts(ctx: ServiceContext, fileId: string): Promise<ListedParts> {
  const row = await openMultipart(ctx, fileId);
  const { parts } = await arrivedParts(ctx, row);
  return {
    fileId: row.id,
    ...partLayout(row.size),
    parts: parts.map((part) => ({
      partNumber: part.partNumber,
      size: part.size,
      etag: part.etag,
      checksumSha256: part.checksumSha256 ?? null,
    })),
  };
}
