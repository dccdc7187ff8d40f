/**
 * The caller's files as the file manager lists them: in one folder or everywhere, sorted by name, date, size or
 * type, filtered by type and creation date, in keyset pages (the cursor holds the last item's sort value and id,
 * so a page never skips or repeats a row when files arrive meanwhile). Search (file-search.ts) filters the same way.
 */

import { file, folder } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, asc, desc, eq, gt, gte, isNull, lt, ne, or, type SQL, sql } from "drizzle-orm";
import type { FilePage } from "../contract/files.ts";
import type { ServiceContext } from "./context.ts";
import { type FileRow, toFileView } from "./file-record.ts";
import { ownFolder } from "./folders.ts";
import { decodeCursor, encodeCursor } from "./pagination.ts";
import { nextTurn } from "./turns.ts";

export type FileSort = "name" | "date" | "size" | "type";

/** Where to list: one folder's files, the top level's (`"root"`), or every file (absent). */
export interface FileFilter {
  folderId?: string | undefined;
  /** `image` (a whole family) or `image/png` (one type). */
  type?: string | undefined;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
}

export interface ListInput extends FileFilter {
  cursor?: string | undefined;
  limit?: number | undefined;
  sort?: FileSort | undefined;
  order?: "asc" | "desc" | undefined;
}

/**
 * What each sort orders by (ties broken by id), as stored: a cursor's value is compared as is (dates are epoch
 * milliseconds). Names sort without regard to case.
 */
const SORT_KEYS: Record<FileSort, { column: SQL; value: (row: FileRow) => string | number }> = {
  name: { column: sql`${file.originalFilename} collate nocase`, value: (r) => r.originalFilename },
  date: { column: sql`${file.createdAt}`, value: (r) => r.createdAt.getTime() },
  size: { column: sql`${file.size}`, value: (r) => r.size },
  type: { column: sql`${file.contentType}`, value: (r) => r.contentType },
};

function notACursor(): TRPCError {
  return new TRPCError({
    code: "BAD_REQUEST",
    message: "cursor: not a cursor returned by this API for this sort",
  });
}

/** Date cursors keep the format files.list always answered (pagination.ts); other sorts carry their value. */
function encode(sort: FileSort, value: string | number, id: string): string {
  if (sort === "date") return encodeCursor({ at: new Date(value as number), id });
  return btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify([sort, value, id])))).replace(
    /=+$/,
    "",
  );
}

/** The position a cursor holds, checked against the sort it was made for. */
function decode(cursor: string, sort: FileSort): { value: string | number; id: string } {
  if (sort === "date") {
    const { at, id } = decodeCursor(cursor);
    return { value: at.getTime(), id };
  }
  let parsed: unknown;
  try {
    const bytes = Uint8Array.from(atob(cursor), (c) => c.charCodeAt(0));
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw notACursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw notACursor();
  const [s, value, id] = parsed as unknown[];
  const valueOk = sort === "size" ? Number.isSafeInteger(value) : typeof value === "string";
  if (s !== sort || !valueOk || typeof id !== "string" || id.length === 0 || id.length > 64)
    throw notACursor();
  return { value: value as string | number, id };
}

/** SQL: the files that match the filter (never someone else's, never deleted ones). */
export async function fileFilter(ctx: ServiceContext, filter: FileFilter): Promise<SQL> {
  const where: (SQL | undefined)[] = [eq(file.ownerId, ctx.user.id), ne(file.status, "deleted")];
  if (filter.folderId === "root") where.push(isNull(file.folderId));
  else if (filter.folderId) where.push(eq(file.folderId, (await ownFolder(ctx, filter.folderId)).id));
  if (filter.type) {
    const family = !filter.type.includes("/");
    const prefix = family ? `${filter.type}/` : `${filter.type};`;
    const byPrefix = sql`substr(${file.contentType}, 1, ${prefix.length}) = ${prefix}`;
    where.push(family ? byPrefix : or(eq(file.contentType, filter.type), byPrefix));
  }
  if (filter.createdFrom) where.push(gte(file.createdAt, filter.createdFrom));
  if (filter.createdTo) where.push(lt(file.createdAt, filter.createdTo));
  return and(...where) as SQL;
}

/** A page of the caller's files: `where` picks them, the sort orders them, the cursor continues. */
export async function pageFiles(
  ctx: ServiceContext,
  where: SQL,
  input: { cursor?: string | undefined; limit?: number | undefined; sort?: FileSort; order?: "asc" | "desc" },
): Promise<FilePage> {
  const sort = input.sort ?? "date";
  const order = input.order ?? (sort === "date" ? "desc" : "asc");
  const limit = input.limit ?? 50;
  const key = SORT_KEYS[sort];
  const after = input.cursor ? decode(input.cursor, sort) : null;
  const past = order === "desc" ? lt : gt;
  const keyset = after
    ? or(past(key.column, after.value), and(eq(key.column, after.value), past(file.id, after.id)))
    : undefined;
  const by = order === "desc" ? desc : asc;
  await nextTurn();
  const rows = await ctx.db
    .select()
    .from(file)
    .where(and(where, keyset))
    .orderBy(by(key.column), by(file.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toFileView),
    nextCursor: rows.length > limit && last ? encode(sort, key.value(last), last.id) : null,
  };
}

export async function listFileManager(ctx: ServiceContext, input: ListInput): Promise<FilePage> {
  return pageFiles(ctx, await fileFilter(ctx, input), input);
}

/** The folder ids of `folderId`'s subtree, as SQL for `file.folder_id in (…)`. */
export function inSubtree(ctx: ServiceContext, root: { id: string; path: string }): SQL {
  return sql`${file.folderId} in (select ${folder.id} from ${folder} where ${folder.ownerId} = ${ctx.user.id} and (${folder.id} = ${root.id} or substr(${folder.path}, 1, length(${root.path}) + 1) = ${`${root.path}/`}))`;
}
