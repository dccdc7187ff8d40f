/**
 * What a person changes about their files without touching the bytes: the name, the folder, the description and
 * the tags. Each is one UPDATE of the row (the FTS5 triggers follow); the object key never changes, so no storage
 * request is made.
 */

import { file } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, eq, inArray, ne } from "drizzle-orm";
import type { FileView } from "../contract/files.ts";
import { recordFileEvent } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { deleteFile, type FileRow, ownFile, toFileView } from "./file-record.ts";
import { ownFolder } from "./folders.ts";

async function updateOwn(ctx: ServiceContext, row: FileRow, set: Partial<FileRow>): Promise<FileView> {
  const [updated] = await ctx.db
    .update(file)
    .set(set)
    .where(and(eq(file.id, row.id), ne(file.status, "deleted")))
    .returning();
  if (!updated) throw new TRPCError({ code: "NOT_FOUND", message: `fileId: no file ${row.id}` });
  return toFileView(updated);
}

/** Renames a file (its download name); the object keeps its key. */
export async function renameFile(
  ctx: ServiceContext,
  input: { fileId: string; filename: string },
): Promise<FileView> {
  const row = await ownFile(ctx, input.fileId);
  const view = await updateOwn(ctx, row, { originalFilename: input.filename });
  await recordFileEvent(ctx.db, ctx.clock, row, "file.rename", { renamedTo: input.filename }, ctx.request);
  return view;
}

/** Sets a file's description and/or tags (already normalised by the contract). */
export async function updateFileMetadata(
  ctx: ServiceContext,
  input: { fileId: string; description?: string | undefined; tags?: string[] | undefined },
): Promise<FileView> {
  const row = await ownFile(ctx, input.fileId);
  return updateOwn(ctx, row, {
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.tags !== undefined ? { tags: input.tags } : {}),
  });
}

/**
 * Moves files into a folder (null: the top level) in one UPDATE. Every id must be one of the caller's files,
 * or nothing moves: NOT_FOUND names the first that is not.
 */
export async function moveFiles(
  ctx: ServiceContext,
  input: { fileIds: string[]; folderId: string | null },
): Promise<{ moved: number }> {
  const target = input.folderId ? await ownFolder(ctx, input.folderId) : null;
  const own = and(inArray(file.id, input.fileIds), eq(file.ownerId, ctx.user.id), ne(file.status, "deleted"));
  const found = new Set((await ctx.db.select({ id: file.id }).from(file).where(own)).map((r) => r.id));
  const missing = input.fileIds.findIndex((id) => !found.has(id));
  if (missing >= 0) {
    throw new TRPCError({
      code: "NOT_FOUND",
      message: `fileIds.${missing}: no file ${input.fileIds[missing]}`,
    });
  }
  const moved = await ctx.db
    .update(file)
    .set({ folderId: target?.id ?? null })
    .where(own)
    .returning({ id: file.id });
  return { moved: moved.length };
}

/** Deletes several files and their objects, each through the one file deletion; unknown ids are skipped. */
export async function deleteFiles(
  ctx: ServiceContext,
  input: { fileIds: string[] },
): Promise<{ deleted: number; notFound: string[] }> {
  let deleted = 0;
  const notFound: string[] = [];
  for (const id of new Set(input.fileIds)) {
    try {
      await deleteFile(ctx, id);
      deleted++;
    } catch (error) {
      if (!(error instanceof TRPCError && error.code === "NOT_FOUND")) throw error;
      notFound.push(id);
    }
  }
  return { deleted, notFound };
}
