import { TRPCError } from "@trpc/server";
import { and, eq, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/** An opaque keyset cursor: the sort position (time, id) of the last item returned. */
export interface CursorPosition {
  at: Date;
  id: string;
}

/** The cursor that continues after `position`. */
export function encodeCursor(position: CursorPosition): string {
  return btoa(`${position.at.getTime()}:${position.id}`).replace(/=+$/, "");
}

/** The largest time a Date can hold (±100,000,000 days around 1970); beyond it `new Date(ms)` is invalid. */
const MAX_DATE_MS = 8.64e15;

function notACursor(): TRPCError {
  return new TRPCError({ code: "BAD_REQUEST", message: "cursor: not a cursor returned by this API" });
}

/** Reads a cursor from `encodeCursor`; BAD_REQUEST naming `cursor` for anything else. */
export function decodeCursor(cursor: string): CursorPosition {
  let text: string;
  try {
    text = atob(cursor);
  } catch {
    throw notACursor();
  }
  const sep = text.indexOf(":");
  const digits = text.slice(0, sep);
  const ms = Number(digits);
  const id = text.slice(sep + 1);
  // Only what encodeCursor writes: a decimal integer time a Date can represent (a crafted one outside that
  // range would otherwise reach the query as an Invalid Date and fail there).
  if (sep < 1 || !/^-?\d+$/.test(digits) || !Number.isSafeInteger(ms) || Math.abs(ms) > MAX_DATE_MS) {
    throw notACursor();
  }
  if (id.length === 0) throw notACursor();
  return { at: new Date(ms), id };
}

/** SQL: rows sorted by (`at` desc, `id` desc) that come after `position` (no condition on the first page). */
export function afterPosition(
  at: SQLiteColumn,
  id: SQLiteColumn,
  position: CursorPosition | null,
): SQL | undefined {
  return position ? or(lt(at, position.at), and(eq(at, position.at), lt(id, position.id))) : undefined;
}

/** A page from `rows` fetched with `limit + 1`: the first `limit` as views, and the cursor after them if more. */
export function pageOf<R, V>(
  rows: R[],
  limit: number,
  view: (row: R) => V,
  position: (row: R) => CursorPosition,
): { items: V[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(view),
    nextCursor: rows.length > limit && last ? encodeCursor(position(last)) : null,
  };
}
