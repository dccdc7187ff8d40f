/**
 * One use of a link handed to people without an account: a share link's download, a file started through an
 * upload request. The use is counted by ONE conditional UPDATE that re-checks the link is still open (not
 * revoked, not expired, under its cap), so a cap holds exactly across instances and a revocation or expiry that
 * lands between the policy check and the count wins.
 */
import type { Database } from "@signet/db";
import { and, eq, gt, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable, SQLiteUpdateSetSource } from "drizzle-orm/sqlite-core";

/** A link's table: its id, revocation and expiry (null: never) columns. */
type LinkTable = SQLiteTable & { id: SQLiteColumn; revokedAt: SQLiteColumn; expiresAt: SQLiteColumn };

/** The property of `T` that names one of its columns. */
type ColumnOf<T> = { [K in keyof T]: T[K] extends SQLiteColumn ? K : never }[keyof T] & string;

export interface LinkUse<T extends LinkTable> {
  /** The uses so far, incremented by the claim. */
  uses: ColumnOf<T>;
  /** The cap on `uses`; null: no cap. */
  max: ColumnOf<T>;
  /** More to write with the claim (the time of the use). */
  set?: SQLiteUpdateSetSource<T>;
  /** More the link must satisfy to be used (its file still downloadable). */
  where?: SQL;
}

/** Claims one use of the link `id` as at `now`: the count after it, or null when the link is closed. */
export async function claimLinkUse<T extends LinkTable>(
  db: Database,
  link: T,
  id: string,
  now: Date,
  use: LinkUse<T>,
): Promise<number | null> {
  const uses = link[use.uses] as SQLiteColumn;
  const max = link[use.max] as SQLiteColumn;
  const [claimed] = await db
    .update(link)
    .set({ ...use.set, [use.uses]: sql`${uses} + 1` } as SQLiteUpdateSetSource<T>)
    .where(
      and(
        eq(link.id, id),
        isNull(link.revokedAt),
        or(isNull(link.expiresAt), gt(link.expiresAt, now)),
        or(isNull(max), lt(uses, max)),
        use.where,
      ),
    )
    .returning({ uses });
  return claimed ? Number(claimed.uses) : null;
}
