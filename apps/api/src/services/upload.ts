/**
 * The upload pipeline, shared by every kind of upload (files, the profile image):
 *
 *   announce → sign → verify → settle
 *
 * - sign (`signUpload`): one PUT that the storage accepts only with exactly the announced size, type, checksum
 *   and metadata, and only if the key is new. Signing is pure computation, so it happens first: a refused
 *   announcement simply discards the URL.
 * - announce (`announce`): rate limit, quota reservation, the pending row and its audit event as ONE `db.batch`
 *   (atomic on libSQL and D1). Every statement after the row is guarded by the row's existence, so a refusal or
 *   a failing statement leaves nothing behind: never quota reserved without a row.
 * - verify (`verifyUpload`): HEAD (exists, size, type essence, checksum) and an optional first/last-bytes check.
 * - settle: each user of the pipeline keeps its own (a file row becomes ready or rejected; a profile image is
 *   copied over its stable key).
 *
 * The multipart plan (services/multipart.ts: create at announce, parts signed on demand, assembly from ListParts)
 * is another sign step before the same verify; announce and settle are these.
 */
import { accountDeletion, auditEvent, user } from "@signet/db";
import type { HeadObjectResult, PresignedRequest } from "@signet/signer";
import { TRPCError } from "@trpc/server";
import { eq, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Storage } from "../deps.ts";
import { mayUploadSql, uploadRefusal, uploadStateColumns } from "./account-standing.ts";
import { type AuditInput, auditRow } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { batchGrouped } from "./group-commit.ts";
import {
  countIssuance,
  issuedInWindow,
  quotaExceeded,
  rateLimited,
  reservedBytes,
  reserveQuotaWhen,
  windowStartOf,
} from "./limits.ts";
import { insertWhere } from "./sql.ts";
import { essence } from "./validation.ts";

/** What an upload promises: the storage checks it at the PUT, `verifyUpload` checks it again afterwards. */
export interface UploadTarget {
  key: string;
  contentType: string;
  size: number;
  checksumSha256?: string | null | undefined;
}

/** Signs the one PUT of `target`, with the metadata every Signet object carries. */
export function signUpload(
  ctx: ServiceContext,
  target: UploadTarget & { originalFilename: string; uploadedAt: Date },
): Promise<PresignedRequest> {
  return ctx.storage.presignPut(target.key, {
    expiresIn: ctx.config.uploadUrlTtl,
    contentType: target.contentType,
    contentLength: target.size,
    ...(target.checksumSha256 ? { checksumSha256: target.checksumSha256 } : {}),
    metadata: {
      "original-filename": target.originalFilename,
      "uploaded-by": ctx.user.id,
      "uploaded-at": target.uploadedAt.toISOString(),
    },
    ifNoneMatch: "*",
  });
}

/** A pending row to record, in the table of whichever kind of upload it is. */
export interface PendingRow<T extends SQLiteTable> {
  table: T;
  values: T["$inferInsert"];
  /** SQL that holds once the row exists (its primary key matches): guards every statement after it. */
  exists: SQL;
}

export interface Announcement<T extends SQLiteTable> {
  /** Bytes to reserve from the user's quota (0: the upload does not count against it). */
  reserveBytes: number;
  row: PendingRow<T>;
  audit: AuditInput;
}

/**
 * Counts the issuance, reserves the quota, inserts the pending row and appends its audit event, atomically.
 * UNAUTHORIZED or FORBIDDEN (an account being deleted or not verified when required), TOO_MANY_REQUESTS or
 * PAYLOAD_TOO_LARGE (the rate limit or the quota) with nothing written.
 */
export async function announce<T extends SQLiteTable>(
  ctx: ServiceContext,
  announcement: Announcement<T>,
): Promise<void> {
  const { db, clock, config } = ctx;
  const userId = ctx.user.id;
  const { reserveBytes, row } = announcement;
  const windowStart = windowStartOf(clock);
  const issued = issuedInWindow(userId, windowStart);
  const reserved = reservedBytes(userId);
  const quota =
    reserveBytes > 0 ? sql` and ${reserved} + ${reserveBytes} <= ${config.userQuotaBytes}` : sql``;
  const admitted = sql`${mayUploadSql(userId, config.requireEmailVerification === true)} and ${issued} < ${config.rateLimitPerMinute}${quota}`;
  // The hot path is this one batch: four statements, the row's own insert deciding admission for all of them,
  // committed in one transaction with the other requests' batches waiting at the same moment (group-commit.ts).
  const [inserted] = await batchGrouped(db, [
    insertWhere(db, row.table, row.values, admitted).returning({ admitted: sql<number>`1` }),
    countIssuance(db, userId, windowStart, row.exists),
    ...(reserveBytes > 0 ? [reserveQuotaWhen(db, userId, reserveBytes, row.exists)] : []),
    insertWhere(db, auditEvent, auditRow(clock, announcement.audit), row.exists),
  ]);
  if ((inserted as unknown[]).length > 0) return;
  // Refused: read why, in the order the checks are meant (who may upload, then the rate, then the quota).
  const [state] = await db
    .select({ ...uploadStateColumns, issued, reserved })
    .from(user)
    .leftJoin(accountDeletion, eq(accountDeletion.userId, user.id))
    .where(eq(user.id, userId));
  const refusal = uploadRefusal(ctx, state);
  if (refusal || !state) throw refusal;
  if (state.issued >= config.rateLimitPerMinute) {
    throw rateLimited(clock, windowStart, config.rateLimitPerMinute);
  }
  if (state.reserved + reserveBytes > config.userQuotaBytes) {
    throw quotaExceeded(state.reserved, config.userQuotaBytes, reserveBytes);
  }
  // The figures moved between the batch and this read (a window turned, a file was deleted): nothing was written.
  throw new TRPCError({
    code: "CONFLICT",
    message: "Your usage changed while this upload was announced; try again",
  });
}

/**
 * Why the stored object does not match what was announced, or null when it does. `sniff` adds a look at the
 * bytes themselves (the profile image's magic bytes); `noun` names the object in the messages.
 */
export async function verifyUpload(
  storage: Storage,
  target: UploadTarget,
  options: {
    noun: "object" | "image";
    sniff?: (head: HeadObjectResult) => Promise<string | null>;
  },
): Promise<{ head: HeadObjectResult | null; reason: string | null }> {
  const head = await storage.headObject(target.key);
  const reason = !head
    ? `the ${options.noun} was not uploaded`
    : head.size !== target.size
      ? `size is ${head.size} bytes, expected ${target.size}`
      : head.contentType !== undefined && essence(head.contentType) !== essence(target.contentType)
        ? `content type is ${head.contentType}, expected ${target.contentType}`
        : target.checksumSha256 && head.checksumSha256 && head.checksumSha256 !== target.checksumSha256
          ? "checksum does not match"
          : options.sniff
            ? await options.sniff(head)
            : null;
  return { head, reason };
}
