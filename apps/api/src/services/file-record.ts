/**
 * The file record: a row per uploaded file, from its pending announcement through ready or rejected to deleted.
 * Its key, its one conditional transition out of each status, and the owner's own views of it (get, list,
 * delete). The upload plans (file-uploads.ts) and downloads (downloads.ts) work on these rows.
 */

import { type FileStatus, file, uploadPart } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, desc, eq, inArray, ne, placeholder } from "drizzle-orm";
import type { InputOf } from "../contract/define.ts";
import type { FilePage, FileView, filesContract } from "../contract/files.ts";
import type { AppDeps } from "../deps.ts";
import { recordFileEvent } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import {
  draftEvent,
  type EventRow,
  type EventType,
  eventStatements,
  fileEventData,
  fileEventGuard,
  notifyCommitted,
} from "./events.ts";
import { uuidv7 } from "./ids.ts";
import { releaseQuota } from "./limits.ts";
import { abortParts } from "./multipart.ts";
import { fileKey } from "./object-keys.ts";
import { afterPosition, decodeCursor, pageOf } from "./pagination.ts";
import { preparedPerDb } from "./sql.ts";
import { removeThumbnail } from "./thumbnail-removal.ts";
import { announce } from "./upload.ts";

export type FileRow = typeof file.$inferSelect;

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
    folderId: row.folderId,
    description: row.description,
    tags: row.tags,
  };
}

/** Input already validated by the contract's schema. */
export type CreateUploadInput = InputOf<typeof filesContract.createUpload>;

/** A new file's id (time-ordered) and its object key. */
export function newFile(ctx: ServiceContext, filename: string) {
  const now = ctx.clock();
  const fileId = uuidv7(now);
  return { now, fileId, key: fileKey(ctx.user.id, fileId, filename) };
}

/** The pending file row and its announcement: one place for the row's values and the audit event. */
export async function announceFile(
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
        folderId: input.folderId ?? null,
      },
      key: "id",
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

/** One of the caller's files that is not deleted; NOT_FOUND otherwise. */
export async function ownFile(ctx: ServiceContext, fileId: string): Promise<FileRow> {
  const [row] = await ownFileQuery(ctx.db).all({ fileId, ownerId: ctx.user.id });
  // Someone else's file and no file at all look the same: no existence leak.
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: `fileId: no file ${fileId}` });
  return row;
}

const ownFileQuery = preparedPerDb((db) =>
  db
    .select()
    .from(file)
    .where(
      and(
        eq(file.id, placeholder("fileId")),
        eq(file.ownerId, placeholder("ownerId")),
        ne(file.status, "deleted"),
      ),
    )
    .prepare(),
);

/**
 * The caller's file, ready to be `downloaded` or `shared`: CONFLICT while a blocking endpoint's verdict is awaited,
 * BAD_REQUEST while it is unfinished or refused.
 */
export async function readyFile(
  ctx: ServiceContext,
  fileId: string,
  use: "downloaded" | "shared",
): Promise<FileRow> {
  const row = await ownFile(ctx, fileId);
  if (row.status === "quarantined") {
    throw new TRPCError({
      code: "CONFLICT",
      message: "fileId: the file is waiting for its scan; try again later",
    });
  }
  if (row.status !== "ready") {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `fileId: the file is ${row.status}; only completed uploads can be ${use}`,
    });
  }
  return row;
}

/**
 * Moves a row out of `from` atomically; returns the updated row only to the caller that won the transition, so
 * quota is released and audits are written exactly once. A row that was pending no longer needs its parts'
 * declared checksums. `event`, when given, is written in the same batch, only if this transition took effect
 * (the outbox: see events.ts), and the sink hears of it once the batch committed.
 */
export async function transition(
  deps: Pick<AppDeps, "db" | "events">,
  id: string,
  from: FileStatus[],
  set: Partial<FileRow> & { status: FileStatus },
  event?: EventRow,
): Promise<FileRow | undefined> {
  const update = deps.db
    .update(file)
    .set(set)
    .where(and(eq(file.id, id), inArray(file.status, from)))
    .returning();
  const parts = from.includes("pending") ? [deps.db.delete(uploadPart).where(eq(uploadPart.fileId, id))] : [];
  const events = event
    ? eventStatements(deps.db, event, fileEventGuard(id, set.status, event.type as EventType))
    : [];
  if (parts.length === 0 && events.length === 0) return (await update)[0];
  const [[row], ...rest] = await deps.db.batch([update, ...events, ...parts]);
  if (event) notifyCommitted(deps.events, rest[0] as EventRow[]);
  return row;
}

/** When a row leaving `pending` now must have its key deleted once more (null: its URL is already dead). */
export function purgeAfterFor(row: FileRow, now: Date): Date | null {
  return row.uploadExpiresAt.getTime() > now.getTime() ? row.uploadExpiresAt : null;
}

/** The row as it stands now (after a transition someone else won). */
export async function current(deps: Pick<AppDeps, "db">, row: FileRow): Promise<FileRow> {
  const [now] = await deps.db.select().from(file).where(eq(file.id, row.id));
  return now ?? row;
}

/**
 * Deletes a row's object after the row already left `pending`/`ready`. The row goes first so that a completion
 * verifying the object concurrently cannot mark it ready after the object is gone. If storage fails here, the
 * key is left to the sweeper (purgeAfter) rather than failing a deletion the database already recorded.
 */
export async function removeObject(
  ctx: ServiceContext,
  row: FileRow,
  purgeAfter: Date | null,
): Promise<void> {
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

/** Deletes the object and marks the row `deleted`. */
export async function deleteFile(ctx: ServiceContext, fileId: string): Promise<{ ok: true }> {
  let row = await ownFile(ctx, fileId);
  for (let attempt = 0; attempt < 3; attempt++) {
    // Only from the status just read: whether quota is still held depends on it (rejected rows gave it back).
    // While the upload URL lives, anyone holding it can PUT the key again once the object is gone (If-None-Match
    // only refuses an existing object), so the sweeper deletes the key once more after the URL dies. A rejected
    // row already carries that date from its rejection.
    // Only a file that was ready has an event to retract: receivers never heard of the others as files.
    const now = ctx.clock();
    const done = await transition(
      ctx,
      row.id,
      [row.status],
      {
        status: "deleted",
        ...(row.status === "rejected" ? {} : { purgeAfter: purgeAfterFor(row, now) }),
      },
      row.status === "ready" ? draftEvent("file.deleted", now, fileEventData(row), row.id) : undefined,
    );
    if (done) {
      if (row.status !== "rejected") await releaseQuota(ctx.db, row.ownerId, row.size);
      await removeObject(ctx, row, done.purgeAfter);
      await removeThumbnail(ctx, row.id);
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
): Promise<FilePage> {
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
