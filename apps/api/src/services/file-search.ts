/**
 * Full-text search over the caller's files: names, folder paths, tags and descriptions, through the FTS5 index
 * `file_search` (packages/db drizzle/0011_file_search.sql), the same on libSQL and D1. Every word the person typed
 * becomes a quoted prefix term, so FTS5's query syntax (NEAR, column filters, `-`, `^`, `*`) is never interpreted
 * from user input; all terms must match, and only in the caller's own rows (the index's `owner` column).
 *
 * Newest first (the default) reads the index in its own reverse order and stops after a page, however many files
 * match; an explicit sort (name, size, type, date) orders every match like files.list does.
 */

import { file } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, desc, eq, lt, type SQL, sql } from "drizzle-orm";
import { integer, sqliteTable } from "drizzle-orm/sqlite-core";
import type { FilePage } from "../contract/files.ts";
import type { ServiceContext } from "./context.ts";
import { type FileFilter, type FileSort, fileFilter, inSubtree, pageFiles } from "./file-listing.ts";
import { toFileView } from "./file-record.ts";
import { ownFolder } from "./folders.ts";

/** The FTS5 table as far as queries name it (the migration creates it; drizzle-kit never sees this). */
const fileSearch = sqliteTable("file_search", { rowid: integer("rowid").notNull() });

/** The most words a query may have: each is an index lookup. */
export const MAX_SEARCH_TERMS = 8;

const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`;

/**
 * The FTS5 query for what a person typed: each word (a run without spaces that holds a letter or digit) as a
 * quoted string with its quotes doubled, followed by `*` for prefix matching. Null when no word is left.
 */
export function ftsQuery(text: string): string | null {
  const words = text
    .normalize("NFC")
    .split(/\s+/)
    .filter((w) => /[\p{L}\p{N}]/u.test(w))
    .slice(0, MAX_SEARCH_TERMS);
  if (words.length === 0) return null;
  return words.map((w) => `${quoted(w)}*`).join(" ");
}

export interface SearchInput extends FileFilter {
  query: string;
  cursor?: string | undefined;
  limit?: number | undefined;
  sort?: FileSort | undefined;
  order?: "asc" | "desc" | undefined;
  /** With folderId: that folder and every folder below it (default), or that folder only. */
  recursive?: boolean | undefined;
}

function notACursor(): TRPCError {
  return new TRPCError({
    code: "BAD_REQUEST",
    message: "cursor: not a cursor returned by this API for this sort",
  });
}

/** The newest-first cursor: the last result's row in the index. */
function decodeNewest(cursor: string): number {
  const m = /^n(\d{1,15})$/.exec(cursor);
  if (!m) throw notACursor();
  return Number(m[1]);
}

export async function searchFiles(ctx: ServiceContext, input: SearchInput): Promise<FilePage> {
  const terms = ftsQuery(input.query);
  if (!terms)
    throw new TRPCError({ code: "BAD_REQUEST", message: "query: must contain a letter or a digit" });
  const match = `owner : ${quoted(ctx.user.id)} AND {name path tags description} : (${terms})`;
  const inFolder = input.folderId && input.folderId !== "root" && input.recursive !== false;
  const where = await fileFilter(ctx, inFolder ? { ...input, folderId: undefined } : input);
  const scope = inFolder ? inSubtree(ctx, await ownFolder(ctx, input.folderId as string)) : undefined;
  const matches = sql`file_search match ${match}`;
  if (input.sort) {
    const inIndex = sql`${file.searchRowid} in (select rowid from file_search where ${matches})`;
    return pageFiles(ctx, and(where, scope, inIndex) as SQL, { ...input, sort: input.sort });
  }
  const limit = input.limit ?? 50;
  const after = input.cursor ? decodeNewest(input.cursor) : null;
  const rows = await ctx.db
    .select({ file, rowid: fileSearch.rowid })
    .from(fileSearch)
    .innerJoin(file, eq(file.searchRowid, fileSearch.rowid))
    .where(and(matches, after === null ? undefined : lt(fileSearch.rowid, after), where, scope))
    .orderBy(desc(fileSearch.rowid))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => toFileView(r.file)),
    nextCursor: rows.length > limit && last ? `n${last.rowid}` : null,
  };
}
