/**
 * Full-text search over the caller's files: names, folder paths, tags and descriptions, through the FTS5 index
 * `file_search` (packages/db drizzle/0008_file_search.sql), the same on libSQL and D1. Every word the person typed
 * becomes a quoted prefix term, so FTS5's query syntax (NEAR, column filters, `-`, `^`, `*`) is never interpreted
 * from user input; all terms must match.
 */

import { file } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, sql } from "drizzle-orm";
import type { FilePage } from "../contract/files.ts";
import type { ServiceContext } from "./context.ts";
import { type FileFilter, type FileSort, fileFilter, inSubtree, pageFiles } from "./file-listing.ts";
import { ownFolder } from "./folders.ts";

/** The most words a query may have: each is an index lookup. */
export const MAX_SEARCH_TERMS = 8;

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
  return words.map((w) => `"${w.replaceAll('"', '""')}"*`).join(" ");
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

export async function searchFiles(ctx: ServiceContext, input: SearchInput): Promise<FilePage> {
  const match = ftsQuery(input.query);
  if (!match) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "query: must contain a letter or a digit" });
  }
  const inFolder = input.folderId && input.folderId !== "root" && input.recursive !== false;
  const where = await fileFilter(ctx, inFolder ? { ...input, folderId: undefined } : input);
  const scope = inFolder ? inSubtree(ctx, await ownFolder(ctx, input.folderId as string)) : undefined;
  const matches = sql`${file.searchRowid} in (select rowid from file_search where file_search match ${match})`;
  return pageFiles(ctx, and(where, scope, matches) as typeof where, input);
}
