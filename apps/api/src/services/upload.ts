/**
 * The upload pipeline, shared by every kind of upload (files, the profile image):
 *
 *   announce → sign → verify → settle
 *
 * - sign (`signUpload`): one PUT that the storage accepts only with exactly the announced size, type, checksum
 *   and metadata, and only if the key is new. Signing is pure computation, so it happens first: a refused
 *   announcement simply discards the URL.
 * - announce (`announce`): rate limit, quota reservation, the pending row and its audit event as ONE batch
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
import { eq, getTableColumns, getTableName, placeholder, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Storage } from "../deps.ts";
import { mayUploadSql, uploadRefusal, uploadStateColumns } from "./account-standing.ts";
import { type AuditInput, auditRow } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { batchGrouped } from "./group-commit.ts";
import {
  countInWindow,
  issuanceKey,
  issuedInWindow,
  quotaExceeded,
  rateLimited,
  reservedBytes,
  reserveQuotaWhen,
  windowStartOf,
} from "./limits.ts";
import { bindRow, insertWhere, placeholderRow, prepareOnce } from "./sql.ts";
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
  /** The property of `values` that identifies the row: the statements after its insert hold only once it exists. */
  key: keyof T["$inferInsert"] & keyof T["_"]["columns"] & string;
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
  const values: Record<string, unknown> = {
    userId,
    key: issuanceKey(userId),
    windowStart,
    perMinute: config.rateLimitPerMinute,
    reserveBytes,
    quotaBytes: config.userQuotaBytes,
  };
  bindRow(row.table, "row", row.values, values);
  bindRow(auditEvent, "audit", auditRow(clock, announcement.audit), values);
  const batch = announceBatch(row, reserveBytes > 0, config.requireEmailVerification === true);
  // The hot path is this one batch, the row's own insert deciding admission for all of its statements, committed
  // in one transaction with the other requests' batches waiting at the same moment (group-commit.ts).
  const [inserted] = await batchGrouped(db, batch(db, values));
  if (inserted && inserted.rowsAffected > 0) return;
  // Refused: read why, in the order the checks are meant (who may upload, then the rate, then the quota).
  const [state] = await db
    .select({
      ...uploadStateColumns,
      issued: issuedInWindow(issuanceKey(userId), windowStart),
      reserved: reservedBytes(userId),
    })
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

const announceBatches = new Map<string, ReturnType<typeof prepareOnce>>();

/**
 * The announce batch for one kind of row, built once: the row's insert admitted by the account's standing, the
 * rate limit and (with `reserve`) the quota; then the count, the reservation and the audit event, each guarded by
 * the row's existence. Every value is a placeholder that `announce` binds.
 */
function announceBatch<T extends SQLiteTable>(row: PendingRow<T>, reserve: boolean, verify: boolean) {
  const id = `${getTableName(row.table)} ${row.key} ${reserve} ${verify}`;
  let batch = announceBatches.get(id);
  if (!batch) {
    batch = prepareOnce((db) => {
      const rowValues = placeholderRow(row.table, "row");
      const keyColumn = getTableColumns(row.table)[row.key];
      const exists = sql`exists (select 1 from ${row.table} where ${keyColumn} = ${rowValues[row.key]})`;
      const [userId, key, windowStart] = [
        placeholder("userId"),
        placeholder("key"),
        placeholder("windowStart"),
      ];
      const quota = reserve
        ? sql` and ${reservedBytes(userId)} + ${placeholder("reserveBytes")} <= ${placeholder("quotaBytes")}`
        : sql``;
      const admitted = sql`${mayUploadSql(userId, verify)} and ${issuedInWindow(key, windowStart)} < ${placeholder("perMinute")}${quota}`;
      return [
        insertWhere(db, row.table, rowValues, admitted),
        countInWindow(db, key, windowStart, exists),
        ...(reserve ? [reserveQuotaWhen(db, userId, placeholder("reserveBytes"), exists)] : []),
        insertWhere(db, auditEvent, placeholderRow(auditEvent, "audit"), exists),
      ];
    });
    announceBatches.set(id, batch);
  }
  return batch;
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
