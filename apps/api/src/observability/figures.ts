/** The gauges read from the database at scrape time: every instance sees the same figures. */
import type { Database } from "@signet/db";
import { file, userQuota } from "@signet/db";
import { and, eq, isNotNull, lt, sql } from "drizzle-orm";
import type { DatabaseFigures } from "./metrics.ts";

export async function databaseFigures(
  db: Database,
  now: Date,
  sweepGraceSeconds: number,
): Promise<DatabaseFigures> {
  // A pending upload is due for the sweeper once its URL has been dead for the grace period.
  const dueBefore = new Date(now.getTime() - sweepGraceSeconds * 1000);
  const [multipart, quota, oldest] = await db.batch([
    db
      .select({ n: sql<number>`count(*)` })
      .from(file)
      .where(and(eq(file.status, "pending"), isNotNull(file.uploadId))),
    db.select({ bytes: sql<number>`coalesce(sum(${userQuota.reservedBytes}), 0)` }).from(userQuota),
    db
      .select({ expiresAt: sql<number | null>`min(${file.uploadExpiresAt})` })
      .from(file)
      .where(and(eq(file.status, "pending"), lt(file.uploadExpiresAt, dueBefore))),
  ]);
  // `min()` bypasses Drizzle's column mapping: the raw value, milliseconds since the epoch.
  const oldestExpiry = oldest[0]?.expiresAt;
  return {
    multipartInFlight: Number(multipart[0]?.n ?? 0),
    quotaReservedBytes: Number(quota[0]?.bytes ?? 0),
    oldestDueSeconds:
      oldestExpiry == null ? 0 : Math.max(0, (dueBefore.getTime() - Number(oldestExpiry)) / 1000),
  };
}
