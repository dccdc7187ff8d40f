/** The gauges read from the database at scrape time: every instance sees the same figures. */
import type { Database } from "@signet/db";
import { file, userQuota, webhookDelivery, webhookEndpoint } from "@signet/db";
import { and, eq, isNotNull, lt, sql } from "drizzle-orm";
import { dueToEnabled, toEndpoint } from "../services/webhook-delivery.ts";
import type { DatabaseFigures } from "./metrics.ts";

export async function databaseFigures(
  db: Database,
  now: Date,
  sweepGraceSeconds: number,
): Promise<DatabaseFigures> {
  // A pending upload is due for the sweeper once its URL has been dead for the grace period.
  const dueBefore = new Date(now.getTime() - sweepGraceSeconds * 1000);
  const [multipart, quota, oldest, pending, oldestDelivery] = await db.batch([
    db
      .select({ n: sql<number>`count(*)` })
      .from(file)
      .where(and(eq(file.status, "pending"), isNotNull(file.uploadId))),
    db.select({ bytes: sql<number>`coalesce(sum(${userQuota.reservedBytes}), 0)` }).from(userQuota),
    db
      .select({ expiresAt: sql<number | null>`min(${file.uploadExpiresAt})` })
      .from(file)
      .where(and(eq(file.status, "pending"), lt(file.uploadExpiresAt, dueBefore))),
    db
      .select({ n: sql<number>`count(*)` })
      .from(webhookDelivery)
      .where(eq(webhookDelivery.status, "pending")),
    // The oldest delivery due to an enabled endpoint, held by an attempt or not.
    db
      .select({ dueAt: sql<number | null>`min(${webhookDelivery.nextAttemptAt})` })
      .from(webhookDelivery)
      .innerJoin(webhookEndpoint, toEndpoint)
      .where(dueToEnabled(now)),
  ]);
  // `min()` bypasses Drizzle's column mapping: the raw value, milliseconds since the epoch.
  const oldestExpiry = oldest[0]?.expiresAt;
  const oldestDueAt = oldestDelivery[0]?.dueAt;
  return {
    multipartInFlight: Number(multipart[0]?.n ?? 0),
    quotaReservedBytes: Number(quota[0]?.bytes ?? 0),
    oldestDueSeconds:
      oldestExpiry == null ? 0 : Math.max(0, (dueBefore.getTime() - Number(oldestExpiry)) / 1000),
    deliveriesPending: Number(pending[0]?.n ?? 0),
    deliveryOldestDueSeconds:
      oldestDueAt == null ? 0 : Math.max(0, (now.getTime() - Number(oldestDueAt)) / 1000),
  };
}
