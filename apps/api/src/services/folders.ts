/**
 * Folders: rows that group a user's files, never part of an object key. Creating, renaming and moving folders (and
 * the files in them) are database updates; only deleting a folder touches storage, through each file's deletion.
 * `path` is every name from the top level down joined by `/`; a rename or move rewrites it for the whole subtree in
 * one statement, and the FTS5 triggers carry it into the search index.
 */

import { file, folder } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, asc, eq, isNull, ne, sql } from "drizzle-orm";
import type { DeletedFolder, FolderListing, FolderView } from "../contract/folders.ts";
import type { ServiceContext } from "./context.ts";
import { deleteFile } from "./file-record.ts";
import { uuidv7 } from "./ids.ts";

type FolderRow = typeof folder.$inferSelect;

export function toFolderView(row: FolderRow): FolderView {
  return {
    id: row.id,
    name: row.name,
    parentId: row.parentId,
    path: row.path,
    createdAt: row.createdAt.toISOString(),
  };
}

function notFound(field: string, id: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `${field}: no folder ${id}` });
}

/** One of the caller's folders; NOT_FOUND (naming `field`) for anyone else's or none. */
export async function ownFolder(ctx: ServiceContext, id: string, field = "folderId"): Promise<FolderRow> {
  const [row] = await ctx.db
    .select()
    .from(folder)
    .where(and(eq(folder.id, id), eq(folder.ownerId, ctx.user.id)));
  if (!row) throw notFound(field, id);
  return row;
}

/** The parent a folder goes into: null for the top level, else one of the caller's folders. */
async function parentOf(ctx: ServiceContext, parentId: string | null | undefined): Promise<FolderRow | null> {
  return parentId ? ownFolder(ctx, parentId, "parentId") : null;
}

function childPath(parent: FolderRow | null, name: string): string {
  return parent ? `${parent.path}/${name}` : name;
}

function siblingCondition(ctx: ServiceContext, parentId: string | null, name: string) {
  return and(
    eq(folder.ownerId, ctx.user.id),
    parentId ? eq(folder.parentId, parentId) : isNull(folder.parentId),
    eq(folder.name, name),
  );
}

function nameTaken(name: string, field = "name"): TRPCError {
  return new TRPCError({ code: "CONFLICT", message: `${field}: a folder named "${name}" is already there` });
}

/** Whether a database error is a unique constraint (two requests made the same sibling at once). */
function isUniqueViolation(error: unknown): boolean {
  const text = `${String(error)} ${String((error as { cause?: unknown }).cause ?? "")}`;
  return /UNIQUE constraint failed/i.test(text);
}

async function findSibling(ctx: ServiceContext, parentId: string | null, name: string) {
  const [row] = await ctx.db
    .select()
    .from(folder)
    .where(siblingCondition(ctx, parentId, name));
  return row;
}

export async function createFolder(
  ctx: ServiceContext,
  input: { name: string; parentId?: string | null | undefined },
): Promise<FolderView> {
  const parent = await parentOf(ctx, input.parentId);
  if (await findSibling(ctx, parent?.id ?? null, input.name)) throw nameTaken(input.name);
  const row: FolderRow = {
    id: uuidv7(ctx.clock()),
    ownerId: ctx.user.id,
    parentId: parent?.id ?? null,
    name: input.name,
    path: childPath(parent, input.name),
    createdAt: ctx.clock(),
  };
  try {
    await ctx.db.insert(folder).values(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name);
    throw error;
  }
  return toFolderView(row);
}

/**
 * The folder at `names` below `base` (null: the top level), creating each missing one (uploads of a picked or
 * dropped folder tree). A folder made by a concurrent upload of the same tree is found, not duplicated.
 */
export async function ensureFolderPath(
  ctx: ServiceContext,
  base: FolderRow | null,
  names: string[],
): Promise<string | null> {
  let parent: FolderRow | null = base;
  for (const name of names) {
    const parentId: string | null = parent?.id ?? null;
    let row = await findSibling(ctx, parentId, name);
    if (!row) {
      try {
        await createFolder(ctx, { name, parentId });
      } catch (error) {
        if (!(error instanceof TRPCError && error.code === "CONFLICT")) throw error;
      }
      row = await findSibling(ctx, parentId, name);
      if (!row)
        throw new TRPCError({ code: "CONFLICT", message: "folderPath: the folders changed; try again" });
    }
    parent = row;
  }
  return parent?.id ?? null;
}

/** The folder an upload goes in: `folderId` (or the top level), then `folderPath` below it, made as needed. */
export async function uploadFolder(
  ctx: ServiceContext,
  input: { folderId?: string | undefined; folderPath?: string[] | undefined },
): Promise<string | undefined> {
  const base = input.folderId ? await ownFolder(ctx, input.folderId) : null;
  if (!input.folderPath?.length) return base?.id;
  return (await ensureFolderPath(ctx, base, input.folderPath)) ?? undefined;
}

/** The folder at `path` below `parentId` (or the top level), made as needed. */
export async function ensureFolder(
  ctx: ServiceContext,
  input: { path: string[]; parentId?: string | null | undefined },
): Promise<FolderView> {
  const id = await ensureFolderPath(ctx, await parentOf(ctx, input.parentId), input.path);
  return toFolderView(await ownFolder(ctx, id as string));
}

/**
 * Gives `row` a new name and/or parent: its own row and every descendant's path in one batch. A folder's path
 * prefix names exactly its subtree, because names never contain `/`.
 */
async function relocate(
  ctx: ServiceContext,
  row: FolderRow,
  parent: FolderRow | null,
  name: string,
  field: string,
): Promise<FolderView> {
  const parentId = parent?.id ?? null;
  const sibling = await findSibling(ctx, parentId, name);
  if (sibling && sibling.id !== row.id) throw nameTaken(name, field);
  const path = childPath(parent, name);
  const old = row.path;
  try {
    await ctx.db.batch([
      ctx.db.update(folder).set({ name, parentId, path }).where(eq(folder.id, row.id)),
      ctx.db
        .update(folder)
        .set({ path: sql`${path} || substr(${folder.path}, length(${old}) + 1)` })
        .where(
          and(
            eq(folder.ownerId, ctx.user.id),
            sql`substr(${folder.path}, 1, length(${old}) + 1) = ${`${old}/`}`,
          ),
        ),
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(name, field);
    throw error;
  }
  return toFolderView({ ...row, name, parentId, path });
}

export async function renameFolder(
  ctx: ServiceContext,
  input: { folderId: string; name: string },
): Promise<FolderView> {
  const row = await ownFolder(ctx, input.folderId);
  const parent = row.parentId ? await ownFolder(ctx, row.parentId) : null;
  return relocate(ctx, row, parent, input.name, "name");
}

export async function moveFolder(
  ctx: ServiceContext,
  input: { folderId: string; parentId: string | null },
): Promise<FolderView> {
  const row = await ownFolder(ctx, input.folderId);
  const parent = await parentOf(ctx, input.parentId);
  if (parent && (parent.id === row.id || parent.path.startsWith(`${row.path}/`))) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "parentId: a folder cannot move into itself" });
  }
  return relocate(ctx, row, parent, row.name, "parentId");
}

/** The ids of a folder and of every folder below it. */
async function subtreeIds(ctx: ServiceContext, row: FolderRow): Promise<string[]> {
  const rows = await ctx.db
    .select({ id: folder.id })
    .from(folder)
    .where(
      and(
        eq(folder.ownerId, ctx.user.id),
        sql`(${folder.id} = ${row.id} or substr(${folder.path}, 1, length(${row.path}) + 1) = ${`${row.path}/`})`,
      ),
    );
  return rows.map((r) => r.id);
}

/**
 * Deletes a folder, every folder below it, their files and the files' objects. Each file goes through the one
 * file deletion (its quota, its object, its audit event); the folder rows go last, so a failure midway leaves
 * folders that can be deleted again.
 */
export async function deleteFolder(ctx: ServiceContext, input: { folderId: string }): Promise<DeletedFolder> {
  const row = await ownFolder(ctx, input.folderId);
  const ids = await subtreeIds(ctx, row);
  let deletedFiles = 0;
  for (const id of ids) {
    const files = await ctx.db
      .select({ id: file.id })
      .from(file)
      .where(and(eq(file.ownerId, ctx.user.id), eq(file.folderId, id), ne(file.status, "deleted")));
    for (const f of files) {
      try {
        await deleteFile(ctx, f.id);
        deletedFiles++;
      } catch (error) {
        // Settled by someone else meanwhile (deleted, aborted): nothing left to delete.
        if (!(error instanceof TRPCError && error.code === "NOT_FOUND")) throw error;
      }
    }
  }
  // Subfolders go with it (parent_id cascades); deleted files' rows keep no folder (folder_id set null).
  await ctx.db.delete(folder).where(eq(folder.id, row.id));
  return { ok: true, deletedFiles, deletedFolders: ids.length };
}

/** A folder (the top level when none): its breadcrumbs from the top, and its subfolders by name. */
export async function listFolder(ctx: ServiceContext, folderId: string | undefined): Promise<FolderListing> {
  const row = folderId ? await ownFolder(ctx, folderId) : null;
  const folders = await ctx.db
    .select()
    .from(folder)
    .where(and(eq(folder.ownerId, ctx.user.id), row ? eq(folder.parentId, row.id) : isNull(folder.parentId)))
    .orderBy(asc(folder.name));
  return {
    folder: row ? toFolderView(row) : null,
    breadcrumbs: row ? await breadcrumbs(ctx, row) : [],
    folders: folders.map(toFolderView),
  };
}

/** The folders from the top level down to `row`, found by their paths (each a prefix of `row.path`). */
async function breadcrumbs(ctx: ServiceContext, row: FolderRow): Promise<{ id: string; name: string }[]> {
  const names = row.path.split("/");
  const paths = names.map((_, i) => names.slice(0, i + 1).join("/"));
  const rows = await ctx.db
    .select({ id: folder.id, name: folder.name, path: folder.path })
    .from(folder)
    .where(and(eq(folder.ownerId, ctx.user.id), sql`${folder.path} in ${paths}`));
  const byPath = new Map(rows.map((r) => [r.path, r]));
  return paths.flatMap((p) => {
    const r = byPath.get(p);
    return r ? [{ id: r.id, name: r.name }] : [];
  });
}
