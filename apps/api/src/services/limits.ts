/**
 * Rate-limit and quota state, kept in the database so every API instance shares it. Each operation is a single
 * SQL statement, or a statement meant for announce's atomic batch (upload.ts): no read-modify-write races
 * between instances, and no reservation without its row.
 */

import type { Database } from "@signet/db";
import { auditEvent, rateLimit, userQuota } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { type SQL, sql } from "drizzle-orm";
import type { Clock } from "../ground.ts";
import { type AuditInput, auditRow } from "./audit.ts";
import { batchGrouped } from "./group-commit.ts";
import { insertWhere } from "./sql.ts";

const WINDOW_MS = 60_000;

/** The cause of a TOO_MANY_REQUESTS: how long until the next window opens (sent as Retry-After). */
export class RateLimited extends Error {
  override name = "RateLimited";
  constructor(readonly retryAfterSeconds: number) {
    super(`rate limited for ${retryAfterSeconds} s`);
  }
}

/** Seconds until a rate-limited caller may try again, when `error` is a rate-limit refusal. */
export function retryAfterSeconds(error: unknown): number | undefined {
  return error instanceof TRPCError && error.cause instanceof RateLimited
    ? error.cause.retryAfterSeconds
    : undefined;
}

/** The start (ms) of the fixed one-minute window `clock` is in. */
export function windowStartOf(clock: Clock): number {
  return Math.floor(clock().getTime() / WINDOW_MS) * WINDOW_MS;
}

const issuanceKey = (userId: string) => `issue:${userId}`;

/**
 * The issuance counter's upsert: a new window starts at 1, the current one counts up. With `when`, it counts
 * only when that holds (announce counts inside its batch only what it really issued).
 */
export function countIssuance(db: Database, userId: string, windowStart: number, when: SQL | null) {
  return countInWindow(db, issuanceKey(userId), windowStart, when);
}

/** One more in the counter `key` for the window starting at `windowStart` (a new window starts at 1). */
function countInWindow(db: Database, key: string, windowStart: number, when: SQL | null) {
  const values = { key, windowStart, count: 1 };
  const insert = when ? insertWhere(db, rateLimit, values, when) : db.insert(rateLimit).values(values);
  return insert.onConflictDoUpdate({
    target: rateLimit.key,
    set: {
      count: sql`case when ${rateLimit.windowStart} = excluded.window_start then ${rateLimit.count} + 1 else 1 end`,
      windowStart: sql`excluded.window_start`,
    },
  });
}

/** SQL: how many URLs the user was issued in this window so far. */
export function issuedInWindow(userId: string, windowStart: number): SQL<number> {
  return sql<number>`coalesce((select ${rateLimit.count} from ${rateLimit} where ${rateLimit.key} = ${issuanceKey(userId)} and ${rateLimit.windowStart} = ${windowStart}), 0)`;
}

/** The TOO_MANY_REQUESTS for a user at the limit, with the seconds until the window turns. */
export function rateLimited(clock: Clock, windowStart: number, perMinute: number): TRPCError {
  const retryIn = Math.ceil((windowStart + WINDOW_MS - clock().getTime()) / 1000);
  return new TRPCError({
    code: "TOO_MANY_REQUESTS",
    message: `Rate limit: at most ${perMinute} signed URLs per minute; try again in ${retryIn} s`,
    cause: new RateLimited(retryIn),
  });
}

/**
 * Counts one URL issuance for the user in the current minute; TOO_MANY_REQUESTS past the limit.
 */
export async function consumeIssuance(db: Database, clock: Clock, userId: string, perMinute: number) {
  const windowStart = windowStartOf(clock);
  const [row] = await countIssuance(db, userId, windowStart, null).returning({ count: rateLimit.count });
  if ((row?.count ?? 0) > perMinute) throw rateLimited(clock, windowStart, perMinute);
}

/**
 * Counts one URL issuance and appends its audit event in one batch (one transaction, not two); past the limit,
 * TOO_MANY_REQUESTS and no event (the count stays, as with `consumeIssuance`).
 */
export async function consumeIssuanceAudited(
  db: Database,
  clock: Clock,
  userId: string,
  perMinute: number,
  audit: AuditInput,
) {
  const windowStart = windowStartOf(clock);
  const [counted] = await batchGrouped(db, [
    countIssuance(db, userId, windowStart, null).returning({ count: rateLimit.count }),
    insertWhere(
      db,
      auditEvent,
      auditRow(clock, audit),
      sql`${issuedInWindow(userId, windowStart)} <= ${perMinute}`,
    ),
  ]);
  if ((counted[0]?.count ?? 0) > perMinute) throw rateLimited(clock, windowStart, perMinute);
}

/** How many wrong passwords a signed-in user may give (deleting the account) per window. */
export const PASSWORD_ATTEMPTS = 5;
const PASSWORD_WINDOW_MS = 15 * 60_000;
const passwordKey = (userId: string) => `password:${userId}`;
const passwordWindowOf = (clock: Clock) =>
  Math.floor(clock().getTime() / PASSWORD_WINDOW_MS) * PASSWORD_WINDOW_MS;

/**
 * TOO_MANY_REQUESTS once the user gave PASSWORD_ATTEMPTS wrong passwords in the current 15 minutes. A stolen
 * session must not become a password oracle that Better Auth's sign-in limits never see.
 */
export async function assertPasswordAttemptsLeft(db: Database, clock: Clock, userId: string) {
  const windowStart = passwordWindowOf(clock);
  const [row] = await db
    .select({ count: rateLimit.count })
    .from(rateLimit)
    .where(sql`${rateLimit.key} = ${passwordKey(userId)} and ${rateLimit.windowStart} = ${windowStart}`);
  if ((row?.count ?? 0) < PASSWORD_ATTEMPTS) return;
  const retryIn = Math.ceil((windowStart + PASSWORD_WINDOW_MS - clock().getTime()) / 1000);
  throw new TRPCError({
    code: "TOO_MANY_REQUESTS",
    message: `password: ${PASSWORD_ATTEMPTS} wrong passwords in a row; try again in ${Math.ceil(retryIn / 60)} min`,
    cause: new RateLimited(retryIn),
  });
}

/** Counts one wrong password (see `assertPasswordAttemptsLeft`). */
export async function countWrongPassword(db: Database, clock: Clock, userId: string) {
  await countInWindow(db, passwordKey(userId), passwordWindowOf(clock), null);
}

/** Drops counters of finished windows (the longest window is the password one). */
export async function pruneRateLimits(db: Database, clock: Clock): Promise<void> {
  await db.delete(rateLimit).where(sql`${rateLimit.windowStart} < ${passwordWindowOf(clock)}`);
}

/** SQL: the bytes the user has reserved. */
export function reservedBytes(userId: string): SQL<number> {
  return sql<number>`coalesce((select ${userQuota.reservedBytes} from ${userQuota} where ${userQuota.userId} = ${userId}), 0)`;
}

/** The batch statement that reserves `bytes` for the user (creating their quota row), only when `when` holds. */
export function reserveQuotaWhen(db: Database, userId: string, bytes: number, when: SQL) {
  return insertWhere(db, userQuota, { userId, reservedBytes: bytes }, when).onConflictDoUpdate({
    target: userQuota.userId,
    set: { reservedBytes: sql`${userQuota.reservedBytes} + excluded.reserved_bytes` },
  });
}

/** The PAYLOAD_TOO_LARGE for a reservation over the user's quota. */
export function quotaExceeded(reserved: number, limit: number, bytes: number): TRPCError {
  return new TRPCError({
    code: "PAYLOAD_TOO_LARGE",
    message: `Storage quota exceeded: ${reserved} of ${limit} bytes in use, this file needs ${bytes}`,
  });
}

/** Gives reserved bytes back (never below zero). */
export async function releaseQuota(db: Database, userId: string, bytes: number): Promise<void> {
  await db
    .update(userQuota)
    .set({ reservedBytes: sql`max(0, ${userQuota.reservedBytes} - ${bytes})` })
    .where(sql`${userQuota.userId} = ${userId}`);
}
