/** The generic upload flow: announce, sign, verify, list, download, share, delete. */

import { type FileStatus, file, uploadPart } from "@signet/db";
import { contentDisposition } from "@signet/signer";
import { TRPCError } from "@trpc/server";
import { and, desc, eq, inArray, ne, sql } from "drizzle-orm";
import type { AppDeps } from "../deps.ts";
import { assertMayUpload } from "./account.ts";
import { fileEvent, recordFileEvent } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { uuidv7 } from "./ids.ts";
import { consumeIssuanceAudited, releaseQuota } from "./limits.ts";
import {
  abortParts,
  arrivedParts,
  assemble,
  describeMissing,
  partLayout,
  type SignedPart,
  signParts,
} from "./multipart.ts";
import { afterPosition, decodeCursor, pageOf } from "./pagination.ts";
import { announce, signUpload, verifyUpload } from "./upload.ts";
import { contentTypeAllowed, essence, extensionOf, isActiveContent } from "./validation.ts";

type FileRow = typeof file.$inferSelect;

export interface FileView {
  id: string;
  originalFilename: string;
  contentType: string;
  size: number;
  status: FileStatus;
  checksumSha256: string | null;
  createdAt: string;
  completedAt: string | null;
}

/** The public shape of a file row (ISO timestamps, no key or owner). */
export function toFileView(row: FileRow): FileView {
  return {
    id: row.id,
    originalFilename: row.originalFilename,
    contentType: row.contentType,
    size: row.size,
    status: row.status,
    checksumSha256: row.checksumSha256,
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt ? row.completedAt.toISOString() : null,
  };
}

/** Input already validated by the shared zod schemas. */
export interface CreateUploadInput {
  filename: string;
  contentType: string;
  size: number;
  checksumSha256?: string | undefined;
}

/** One PUT of the whole file (files below `multipartThresholdBytes`). */
export interface SingleUploadResult {
  fileId: string;
  key: string;
  plan: "single";
  url: string;
  method: "PUT";
  headers: Record<string, string>;
  expiresIn: number;
  expiresAt: string;
}

/** Parts of `partSize` bytes (the last one smaller), signed on demand with `files.signParts`. */
export interface MultipartUploadResult {
  fileId: string;
  key: string;
  plan: "multipart";
  partSize: number;
  partCount: number;
  /** Seconds until the whole upload must be completed. */
  expiresIn: number;
  expiresAt: string;
}

export type CreateUploadResult = SingleUploadResult | MultipartUploadResult;

/** How a caller that is not Signet's own client needs the upload planned (the Uppy routes). */
export interface UploadPlanOptions {
  /** In parts whatever the size: the caller has no single PUT that the storage can take. */
  multipart?: boolean;
  /**
   * `false`: parts carry no SHA-256 (the client cannot send one). Each part URL still signs the part's exact
   * length, and completion verifies the assembled object's size and type as for any upload.
   */
  partChecksums?: boolean;
}

/**
 * Announces an upload and decides its plan by size. Below `multipartThresholdBytes`: signs one PUT that the
 * storage will only accept with exactly this size, type, checksum and metadata (and only if the key is new).
 * From there on: creates a multipart upload (parts checksummed with SHA-256), whose uploadId only the row
 * keeps. Then, atomically, counts it against the rate limit, reserves the quota and records the pending row
 * with its audit event (see upload.ts).
 */
export async function createUpload(
  ctx: ServiceContext,
  input: CreateUploadInput,
  plan: UploadPlanOptions = {},
): Promise<CreateUploadResult> {
  const { maxFileBytes, multipartThresholdBytes, allowedContentTypes } = ctx.config;
  if (input.size > maxFileBytes) {
    throw new TRPCError({
      code: "PAYLOAD_TOO_LARGE",
      message: `size: at most ${maxFileBytes} bytes per file (got ${input.size})`,
    });
  }
  if (allowedContentTypes && !contentTypeAllowed(input.contentType, allowedContentTypes)) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `contentType: ${essence(input.contentType)} files are not accepted here (allowed: ${allowedContentTypes.join(", ")})`,
    });
  }
  // The single PUT's announcement checks who may upload inside its batch; multipart creates the storage's
  // upload before it announces, so it asks first.
  if (!plan.multipart && input.size < multipartThresholdBytes) return createSingleUpload(ctx, input);
  await assertMayUpload(ctx);
  return createMultipartUpload(ctx, input, plan.partChecksums !== false);
}

/** A new file's id (time-ordered) and its object key: the owner's prefix, the id, the name's extension. */
function newFile(ctx: ServiceContext, filename: string) {
  const now = ctx.clock();
  const fileId = uuidv7(now);
  const ext = extensionOf(filename);
  return { now, fileId, key: `u/${ctx.user.id}/${fileId}${ext ? `.${ext}` : ""}` };
}

async function createSingleUpload(
  ctx: ServiceContext,
  input: CreateUploadInput,
): Promise<SingleUploadResult> {
  const { config } = ctx;
  const { now, fileId, key } = newFile(ctx, input.filename);
  const target = {
    key,
    contentType: input.contentType,
    size: input.size,
    checksumSha256: input.checksumSha256,
  };
  const signed = await signUpload(ctx, { ...target, originalFilename: input.filename, uploadedAt: now });
  await announceFile(ctx, input, {
    fileId,
    key,
    now,
    uploadExpiresAt: signed.expiresAt,
    checksumSha256: input.checksumSha256 ?? null,
    uploadId: null,
    expiresIn: config.uploadUrlTtl,
  });
  return {
    fileId,
    key,
    plan: "single",
    url: signed.url,
    method: "PUT",
    headers: signed.headers,
    expiresIn: config.uploadUrlTtl,
    expiresAt: signed.expiresAt.toISOString(),
  };
}

/** The pending file row and its announcement: one place for the row's values and the audit event. */
async function announceFile(
  ctx: ServiceContext,
  input: CreateUploadInput,
  upload: {
    fileId: string;
    key: string;
    now: Date;
    uploadExpiresAt: Date;
    checksumSha256: string | null;
    uploadId: string | null;
    expiresIn: number;
  },
): Promise<void> {
  const { fileId, key } = upload;
  await announce(ctx, {
    reserveBytes: input.size,
    row: {
      table: file,
      values: {
        id: fileId,
        ownerId: ctx.user.id,
        key,
        originalFilename: input.filename,
        contentType: input.contentType,
        size: input.size,
        checksumSha256: upload.checksumSha256,
        status: "pending",
        uploadId: upload.uploadId,
        createdAt: upload.now,
        uploadExpiresAt: upload.uploadExpiresAt,
      },
      exists: sql`exists (select 1 from ${file} where ${file.id} = ${fileId})`,
    },
    audit: {
      actorId: ctx.user.id,
      action: "file.upload_url",
      objectKey: key,
      fileId,
      request: ctx.request,
      detail: {
        filename: input.filename,
        size: input.size,
        contentType: input.contentType,
        expiresIn: upload.expiresIn,
        plan: upload.uploadId ? "multipart" : "single",
      },
    },
  });
}

/**
 * The multipart plan's announcement. The storage's upload is created first (it is what the row records); if
 * the announcement is refused, it is aborted again at once. A whole-file checksum is not kept: the storage
 * checks each part's checksum instead, and an assembled object has no plain SHA-256 to compare with.
 */
async function createMultipartUpload(
  ctx: ServiceContext,
  input: CreateUploadInput,
  partChecksums: boolean,
): Promise<MultipartUploadResult> {
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
): Promise<{ fileId: string; parts: SignedPart[] }> {
  const row = await openMultipart(ctx, input.fileId);
  return { fileId: row.id, parts: await signParts(ctx, row, input.parts) };
}

export interface PartsView {
  fileId: string;
  partSize: number;
  partCount: number;
  /** What the storage holds so far, in part-number order: resume sends only the others. */
  parts: { partNumber: number; size: number; etag: string; checksumSha256: string | null }[];
}

/** The parts that arrived, read from the storage itself (ListParts), for resuming an upload. */
export async function listUploadParts(ctx: ServiceContext, fileId: string): Promise<PartsView> {
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

async function ownFile(ctx: ServiceContext, fileId: string): Promise<FileRow> {
  const [row] = await ctx.db
    .select()
    .from(file)
    .where(and(eq(file.id, fileId), eq(file.ownerId, ctx.user.id), ne(file.status, "deleted")));
  // Someone else's file and no file at all look the same: no existence leak.
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: `fileId: no file ${fileId}` });
  return row;
}

/**
 * Moves a row out of `from` atomically; returns the updated row only to the caller that won the transition, so
 * quota is released and audits are written exactly once. A row that was pending no longer needs its parts'
 * declared checksums.
 */
async function transition(
  deps: Pick<AppDeps, "db">,
  id: string,
  from: FileStatus[],
  set: Partial<FileRow> & { status: FileStatus },
): Promise<FileRow | undefined> {
  const update = deps.db
    .update(file)
    .set(set)
    .where(and(eq(file.id, id), inArray(file.status, from)))
    .returning();
  if (!from.includes("pending")) return (await update)[0];
  const [[row]] = await deps.db.batch([update, deps.db.delete(uploadPart).where(eq(uploadPart.fileId, id))]);
  return row;
}

/** When a row leaving `pending` now must have its key deleted once more (null: its URL is already dead). */
function purgeAfterFor(row: FileRow, now: Date): Date | null {
  return row.uploadExpiresAt.getTime() > now.getTime() ? row.uploadExpiresAt : null;
}

/** `won`: this call made the transition (so it alone audits); `row` is the row as it now stands. */
type VerifyOutcome =
  | { ok: true; won: boolean; row: FileRow }
  | { ok: false; won: boolean; row: FileRow; reason: string };

async function current(deps: Pick<AppDeps, "db">, row: FileRow): Promise<FileRow> {
  const [now] = await deps.db.select().from(file).where(eq(file.id, row.id));
  return now ?? row;
}

/**
 * Verifies a pending upload against storage and settles it: `ready`, or `rejected` with the object deleted and
 * the quota released. Shared by completeUpload and the sweeper; concurrent callers settle it exactly once.
 */
export async function settlePending(
  deps: Pick<AppDeps, "db" | "storage" | "clock">,
  row: FileRow,
): Promise<VerifyOutcome> {
  const { head, reason } = await verifyUpload(deps.storage, row, { noun: "object" });
  if (reason === null) {
    const ready = await transition(deps, row.id, ["pending"], {
      status: "ready",
      etag: head?.etag ?? null,
      completedAt: deps.clock(),
    });
    return { ok: true, won: ready !== undefined, row: ready ?? (await current(deps, row)) };
  }
  await deps.storage.deleteObject(row.key);
  await abortParts(deps.storage, row);
  const now = deps.clock();
  const rejected = await transition(deps, row.id, ["pending"], {
    status: "rejected",
    completedAt: now,
    purgeAfter: purgeAfterFor(row, now),
  });
  if (rejected) await releaseQuota(deps.db, row.ownerId, row.size);
  return { ok: false, won: rejected !== undefined, row: rejected ?? (await current(deps, row)), reason };
}

/** Verifies the uploaded object (exists, size, type, checksum). Completing twice is harmless. */
export async function completeUpload(ctx: ServiceContext, fileId: string): Promise<FileView> {
  const row = await ownFile(ctx, fileId);
  if (row.status === "ready") return toFileView(row);
  if (row.status === "rejected") {
    throw new TRPCError({ code: "BAD_REQUEST", message: "This upload was rejected; start a new upload" });
  }
  if (row.uploadId) {
    // Parts still missing leave the upload pending: the client sends them and completes again.
    const assembly = await assemble(ctx, row as FileRow & { uploadId: string });
    if (!assembly.done) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `Upload incomplete: ${describeMissing(assembly)}; send ${assembly.missing.length === 1 ? "it" : "them"} and complete again`,
      });
    }
  }
  const outcome = await settlePending(ctx, row);
  if (!outcome.ok) {
    if (outcome.won) {
      await recordFileEvent(ctx.db, ctx.clock, row, "file.reject", { reason: outcome.reason }, ctx.request);
    }
    throw new TRPCError({ code: "BAD_REQUEST", message: `Upload rejected: ${outcome.reason}` });
  }
  if (outcome.row.status !== "ready") {
    // Someone else settled it differently in the meantime (aborted or deleted it).
    throw new TRPCError({ code: "BAD_REQUEST", message: `fileId: the upload is ${outcome.row.status}` });
  }
  if (outcome.won) {
    await recordFileEvent(ctx.db, ctx.clock, row, "file.complete", { size: row.size }, ctx.request);
  }
  return toFileView(outcome.row);
}

/**
 * Deletes a row's object after the row already left `pending`/`ready`. The row goes first so that a completion
 * verifying the object concurrently cannot mark it ready after the object is gone. If storage fails here, the
 * key is left to the sweeper (purgeAfter) rather than failing a deletion the database already recorded.
 */
async function removeObject(ctx: ServiceContext, row: FileRow, purgeAfter: Date | null): Promise<void> {
  try {
    await abortParts(ctx.storage, row);
    await ctx.storage.deleteObject(row.key);
  } catch (error) {
    await ctx.db
      .update(file)
      .set({ purgeAfter: purgeAfter ?? ctx.clock() })
      .where(eq(file.id, row.id));
    ctx.logger({
      level: "warn",
      msg: "object delete failed; the sweeper retries",
      id: ctx.request.requestId,
      fileId: row.id,
      error: String(error),
    });
  }
}

const COMPLETE_USE_DELETE = "fileId: this upload is complete; use files.delete to remove the file";

/** Cancels a pending upload: deletes any object that arrived and releases the quota. */
export async function abortUpload(ctx: ServiceContext, fileId: string): Promise<{ ok: true }> {
  const row = await ownFile(ctx, fileId);
  if (row.status === "ready") throw new TRPCError({ code: "BAD_REQUEST", message: COMPLETE_USE_DELETE });
  if (row.status === "pending") {
    const now = ctx.clock();
    const done = await transition(ctx, row.id, ["pending"], {
      status: "deleted",
      completedAt: now,
      purgeAfter: purgeAfterFor(row, now),
    });
    if (!done) {
      // A completion won the race: the file is kept, and saying "aborted" would be a lie.
      const after = await current(ctx, row);
      if (after.status === "ready")
        throw new TRPCError({ code: "BAD_REQUEST", message: COMPLETE_USE_DELETE });
      return { ok: true };
    }
    await releaseQuota(ctx.db, row.ownerId, row.size);
    await removeObject(ctx, row, done.purgeAfter);
    await recordFileEvent(ctx.db, ctx.clock, row, "file.abort", {}, ctx.request);
  }
  return { ok: true };
}

/** Deletes the object and marks the row `deleted`. */
export async function deleteFile(ctx: ServiceContext, fileId: string): Promise<{ ok: true }> {
  let row = await ownFile(ctx, fileId);
  for (let attempt = 0; attempt < 3; attempt++) {
    // Only from the status just read: whether quota is still held depends on it (rejected rows gave it back).
    // While the upload URL lives, anyone holding it can PUT the key again once the object is gone (If-None-Match
    // only refuses an existing object), so the sweeper deletes the key once more after the URL dies. A rejected
    // row already carries that date from its rejection.
    const done = await transition(ctx, row.id, [row.status], {
      status: "deleted",
      ...(row.status === "rejected" ? {} : { purgeAfter: purgeAfterFor(row, ctx.clock()) }),
    });
    if (done) {
      if (row.status !== "rejected") await releaseQuota(ctx.db, row.ownerId, row.size);
      await removeObject(ctx, row, done.purgeAfter);
      await recordFileEvent(ctx.db, ctx.clock, row, "file.delete", { size: row.size }, ctx.request);
      return { ok: true };
    }
    // Settled by someone else in between (completed, rejected, or deleted: then NOT_FOUND like any deleted file).
    row = await ownFile(ctx, fileId);
  }
  throw new TRPCError({
    code: "CONFLICT",
    message: "fileId: the file kept changing while deleting; try again",
  });
}

/** One of the caller's files; NOT_FOUND for anyone else's. */
export async function getFile(ctx: ServiceContext, fileId: string): Promise<FileView> {
  return toFileView(await ownFile(ctx, fileId));
}

/** The caller's files, newest first, without deleted ones. */
export async function listFiles(
  ctx: ServiceContext,
  input: { cursor?: string | undefined; limit?: number | undefined },
): Promise<{ items: FileView[]; nextCursor: string | null }> {
  const limit = input.limit ?? 50;
  const after = input.cursor ? decodeCursor(input.cursor) : null;
  const rows = await ctx.db
    .select()
    .from(file)
    .where(
      and(
        eq(file.ownerId, ctx.user.id),
        ne(file.status, "deleted"),
        afterPosition(file.createdAt, file.id, after),
      ),
    )
    .orderBy(desc(file.createdAt), desc(file.id))
    .limit(limit + 1);
  return pageOf(rows, limit, toFileView, (row) => ({ at: row.createdAt, id: row.id }));
}

export interface DownloadUrlResult {
  url: string;
  filename: string;
  expiresIn: number;
  expiresAt: string;
}

async function signDownload(
  ctx: ServiceContext,
  row: FileRow,
  disposition: "inline" | "attachment",
  expiresIn: number,
): Promise<DownloadUrlResult> {
  // Inline active content would run on the bucket's origin: it is always an attachment, and served as opaque
  // bytes so that a client ignoring the disposition still has nothing to render.
  const active = isActiveContent(row.contentType);
  const signed = await ctx.storage.presignGet(row.key, {
    expiresIn,
    responseContentDisposition: contentDisposition(row.originalFilename, active ? "attachment" : disposition),
    responseContentType: active ? "application/octet-stream" : row.contentType,
  });
  return {
    url: signed.url,
    filename: row.originalFilename,
    expiresIn,
    expiresAt: new Date(ctx.clock().getTime() + expiresIn * 1000).toISOString(),
  };
}

async function readyFile(ctx: ServiceContext, fileId: string): Promise<FileRow> {
  const row = await ownFile(ctx, fileId);
  if (row.status !== "ready") {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `fileId: the file is ${row.status}; only completed uploads can be downloaded`,
    });
  }
  return row;
}

/** A short-lived GET for the owner. The TTL comes from config; callers may ask for less, never more. */
export async function downloadUrl(
  ctx: ServiceContext,
  input: {
    fileId: string;
    disposition?: "inline" | "attachment" | undefined;
    expiresIn?: number | undefined;
  },
): Promise<DownloadUrlResult> {
  const max = ctx.config.downloadUrlTtl;
  const expiresIn = input.expiresIn ?? max;
  if (expiresIn > max) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `expiresIn: at most ${max} seconds (got ${expiresIn})`,
    });
  }
  const row = await readyFile(ctx, input.fileId);
  const disposition = input.disposition ?? "attachment";
  const result = await signDownload(ctx, row, disposition, expiresIn);
  // Signing is pure, so it goes first; counting the URL and auditing it are one batch.
  await consumeIssuanceAudited(
    ctx.db,
    ctx.clock,
    ctx.user.id,
    ctx.config.rateLimitPerMinute,
    fileEvent(row, "file.download_url", { expiresIn, disposition }, ctx.request),
  );
  return result;
}

/** A longer-lived link to hand to someone else (1 minute .. SHARE_URL_MAX_TTL), always as an attachment. */
export async function shareUrl(
  ctx: ServiceContext,
  input: { fileId: string; expiresIn: number },
): Promise<DownloadUrlResult> {
  const max = ctx.config.shareUrlMaxTtl;
  if (input.expiresIn > max) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `expiresIn: at most ${max} seconds (got ${input.expiresIn})`,
    });
  }
  const row = await readyFile(ctx, input.fileId);
  const result = await signDownload(ctx, row, "attachment", input.expiresIn);
  await consumeIssuanceAudited(
    ctx.db,
    ctx.clock,
    ctx.user.id,
    ctx.config.rateLimitPerMinute,
    fileEvent(row, "file.share", { expiresIn: input.expiresIn }, ctx.request),
  );
  return result;
}
