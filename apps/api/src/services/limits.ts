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
import { type Bindable, bindRow, insertWhere, placeholderRow, prepareOnce } from "./sql.ts";

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

/** The rate-limit counter of a user's URL issuances. */
export const issuanceKey = (userId: string) => `issue:${userId}`;

/**
 * One more in the counter `key` for the window starting at `windowStart` (a new window starts at 1). With `when`,
 * it counts only when that holds (announce counts inside its batch only what it really issued).
 */
export function countInWindow(
  db: Database,
  key: Bindable<string>,
  windowStart: Bindable<number>,
  when: SQL | null,
) {
  const values = { key, windowStart, count: 1 } as typeof rateLimit.$inferInsert;
  const insert = when ? insertWhere(db, rateLimit, values, when) : db.insert(rateLimit).values(values);
  return insert.onConflictDoUpdate({
    target: rateLimit.key,
    set: {
      count: sql`case when ${rateLimit.windowStart} = excluded.window_start then ${rateLimit.count} + 1 else 1 end`,
      windowStart: sql`excluded.window_start`,
    },
  });
}

/** SQL: how many URLs the user (their `issuanceKey`) was issued in this window so far. */
export function issuedInWindow(key: Bindable<string>, windowStart: Bindable<number>): SQL<number> {
  return sql<number>`coalesce((select ${rateLimit.count} from ${rateLimit} where ${rateLimit.key} = ${key} and ${rateLimit.windowStart} = ${windowStart}), 0)`;
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
  const [row] = await countInWindow(db, issuanceKey(userId), windowStart, null).returning({
    count: rateLimit.count,
  });
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
  const values: Record<string, unknown> = { key: issuanceKey(userId), windowStart, perMinute };
  bindRow(auditEvent, "audit", auditRow(clock, audit), values);
  const [counted] = await batchGrouped(db, countAndAudit(db, values));
  const count = Number(counted?.rows[0]?.count ?? 0);
  if (count > perMinute) throw rateLimited(clock, windowStart, perMinute);
}

/** `consumeIssuanceAudited`'s batch: the count (returning the new figure), and the event while within the limit. */
const countAndAudit = prepareOnce((db) => {
  const key = sql.placeholder("key");
  const windowStart = sql.placeholder("windowStart");
  return [
    countInWindow(db, key, windowStart, null).returning({ count: rateLimit.count }),
    insertWhere(
      db,
      auditEvent,
      placeholderRow(auditEvent, "audit"),
      sql`${issuedInWindow(key, windowStart)} <= ${sql.placeholder("perMinute")}`,
    ),
  ];
});

/** How many wrong passwords a signed-in user may give (deleting the account) per window. */
export const PASSWORD_ATTEMPTS = 5;
const PASSWORD_WINDOW_MS = 15 * 60_000;
const passwordKey = (userId: string) => `password:${userId}`;
const passwordWindowOf = (clock: Clock) =>
  Math.floor(clock().getTime() / PASSWORD_WINDOW_MS) * PASSWORD_WINDOW_MS;

/**
 * TOO_MANY_REQUESTS once the user gave PASSWORD_ATTEMPTS wrong passwords in the current 15 minutes. A stolen
 * session must not become a password oracle: these checks happen behind the session, where the sign-in limits
 * (AUTH_LIMITS, SIGN_IN_BACKOFF) never look.
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

/**
 * The limits on Better Auth's account routes (sign-in, sign-up, password reset, email change), counted here in
 * the database so every instance shares them, per client address (the one `TRUST_PROXY` decides) and per
 * account (the email the request names, or the signed-in user). Fixed windows; a refused request answers 429
 * with Retry-After. A request whose address is unknown (no runtime entry sends one without) is counted per
 * account only.
 */
export const AUTH_LIMITS = {
  "sign-in": { perAddress: { max: 10, windowSeconds: 60 } },
  "sign-up": { perAddress: { max: 5, windowSeconds: 600 } },
  // The mail-sending routes: a mailbox must not be flooded from one address, nor from many.
  "request-password-reset": {
    perAddress: { max: 3, windowSeconds: 60 },
    perAccount: { max: 3, windowSeconds: 3600 },
  },
  "send-verification-email": {
    perAddress: { max: 3, windowSeconds: 60 },
    perAccount: { max: 3, windowSeconds: 3600 },
  },
  "change-email": { perAddress: { max: 5, windowSeconds: 600 }, perAccount: { max: 3, windowSeconds: 3600 } },
  "reset-password": { perAddress: { max: 10, windowSeconds: 600 } },
  // Asks for the current password: without a limit, a stolen session would be a password oracle.
  "change-password": { perAddress: { max: 10, windowSeconds: 600 } },
} as const satisfies Record<string, { perAddress: WindowRule; perAccount?: WindowRule }>;

export type AuthRoute = keyof typeof AUTH_LIMITS;

export interface WindowRule {
  max: number;
  windowSeconds: number;
}

/** The routes that check the account's password: each try takes a step of SIGN_IN_BACKOFF. */
export const PASSWORD_ROUTES: readonly AuthRoute[] = ["sign-in", "change-password"];

/**
 * Wrong passwords for one account, from any address and on any PASSWORD_ROUTES: the first `freeFailures` cost nothing; from then on each
 * failure makes the account wait `firstWaitSeconds`, doubling per failure up to `maxWaitSeconds`. A wait, never a
 * lock: an attacker can keep the owner out only while it keeps failing, and at most `maxWaitSeconds` after its
 * last try; a successful sign-in or a password reset clears the count, and failures are forgotten after
 * `forgetAfterSeconds` without one.
 */
export const SIGN_IN_BACKOFF = {
  freeFailures: 5,
  firstWaitSeconds: 30,
  maxWaitSeconds: 900,
  forgetAfterSeconds: 3600,
} as const;

/**
 * Counts one request against `rule` under `key` (e.g. `sign-up:ip:203.0.113.7`); the seconds to wait when it is
 * over the limit, undefined when it may proceed.
 */
export async function consumeWindow(
  db: Database,
  clock: Clock,
  key: string,
  rule: WindowRule,
): Promise<number | undefined> {
  const windowMs = rule.windowSeconds * 1000;
  const now = clock().getTime();
  const windowStart = Math.floor(now / windowMs) * windowMs;
  const [row] = await countInWindow(db, `auth:${key}`, windowStart, null).returning({
    count: rateLimit.count,
  });
  if ((row?.count ?? 0) <= rule.max) return undefined;
  return Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000));
}

const signInKey = (email: string) => `auth:sign-in-failures:${email}`;

/**
 * Claims one sign-in attempt for the account named `email`, counting it as a failure until `clearSignInFailures`
 * says otherwise: so a burst of concurrent guesses is counted as it arrives, not after the password checks. The
 * seconds to wait when the account is waiting out its backoff; undefined when the attempt may proceed.
 *
 * The row's `window_start` is when the next attempt may start, its `count` the failures in a row.
 */
export async function claimSignInAttempt(
  db: Database,
  clock: Clock,
  email: string,
): Promise<number | undefined> {
  const { freeFailures, firstWaitSeconds, maxWaitSeconds, forgetAfterSeconds } = SIGN_IN_BACKOFF;
  const now = clock().getTime();
  const forgotten = sql`${rateLimit.windowStart} < ${now - forgetAfterSeconds * 1000}`;
  const failures = sql`(case when ${forgotten} then 1 else ${rateLimit.count} + 1 end)`;
  // 2^(failures - free) waits, as a shift (SQLite has no pow() everywhere); the shift is capped before it overflows.
  const waitMs = sql`(case when ${failures} < ${freeFailures} then 0 else min(${firstWaitSeconds * 1000} << min(${failures} - ${freeFailures}, 20), ${maxWaitSeconds * 1000}) end)`;
  const key = signInKey(email);
  const [claimed] = await db
    .insert(rateLimit)
    // A first failure never waits (freeFailures > 1).
    .values({ key, windowStart: now, count: 1 })
    .onConflictDoUpdate({
      target: rateLimit.key,
      set: { count: failures, windowStart: sql`${now} + ${waitMs}` },
      setWhere: sql`${rateLimit.windowStart} <= ${now}`,
    })
    .returning({ count: rateLimit.count });
  if (claimed) return undefined;
  const [waiting] = await db
    .select({ until: rateLimit.windowStart })
    .from(rateLimit)
    .where(sql`${rateLimit.key} = ${key}`);
  return Math.max(1, Math.ceil(((waiting?.until ?? now) - now) / 1000));
}

/** The account proved its password (or reset it): its failures are forgotten. */
export async function clearSignInFailures(db: Database, email: string): Promise<void> {
  await db.delete(rateLimit).where(sql`${rateLimit.key} = ${signInKey(email)}`);
}

/**
 * Password tries on a link given to people without an account (a share link, an upload request), counted per link
 * and per client address (the one `TRUST_PROXY` decides) before the password is checked, right or wrong. Past
 * either, 429 with Retry-After until the window turns: a wait, never a lock.
 */
export const LINK_PASSWORD_LIMITS = {
  perLink: { max: 20, windowSeconds: 600 },
  perAddress: { max: 5, windowSeconds: 600 },
} as const satisfies Record<string, WindowRule>;

/**
 * Uploads guests start through one upload request, per request and per client address, per minute (each also counts
 * against the owner's RATE_LIMIT_PER_MINUTE, as every upload URL does). Past either, 429 with Retry-After.
 */
export const GUEST_UPLOAD_LIMITS = {
  perLink: { max: 30, windowSeconds: 60 },
  perAddress: { max: 10, windowSeconds: 60 },
} as const satisfies Record<string, WindowRule>;

/** The longest any counter matters: the longest window, or how long sign-in failures are remembered. */
const LONGEST_WINDOW_MS =
  1000 *
  Math.max(
    PASSWORD_WINDOW_MS / 1000,
    SIGN_IN_BACKOFF.forgetAfterSeconds + SIGN_IN_BACKOFF.maxWaitSeconds,
    ...Object.values(LINK_PASSWORD_LIMITS).map((rule) => rule.windowSeconds),
    ...Object.values(AUTH_LIMITS).flatMap((rules) =>
      Object.values(rules as Record<string, WindowRule>).map((rule) => rule.windowSeconds),
    ),
  );

/** Drops counters of finished windows and sign-in failures old enough to be forgotten. */
export async function pruneRateLimits(db: Database, clock: Clock): Promise<void> {
  await db.delete(rateLimit).where(sql`${rateLimit.windowStart} < ${clock().getTime() - LONGEST_WINDOW_MS}`);
}

/** A file's thumbnail (a WebP of at most 256 px) is at most this many bytes. */
export const MAX_THUMBNAIL_BYTES = 64 * 1024;
/** Thumbnail URLs are fetched by a grid right away: they live this many seconds. */
export const THUMBNAIL_URL_TTL = 300;

/** SQL: the bytes the user has reserved. */
export function reservedBytes(userId: Bindable<string>): SQL<number> {
  return sql<number>`coalesce((select ${userQuota.reservedBytes} from ${userQuota} where ${userQuota.userId} = ${userId}), 0)`;
}

/** The batch statement that reserves `bytes` for the user (creating their quota row), only when `when` holds. */
export function reserveQuotaWhen(db: Database, userId: Bindable<string>, bytes: Bindable<number>, when: SQL) {
  const values = { userId, reservedBytes: bytes } as typeof userQuota.$inferInsert;
  return insertWhere(db, userQuota, values, when).onConflictDoUpdate({
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
