/**
 * The deletion of an account with every object it owns.
 *
 * Deletion is a sequence of idempotent steps driven by an `account_deletion` row, so a pass interrupted at any
 * point (a crash, a storage error) is finished by the next one: the person's retry, or the sweeper
 * (`sweepAccountDeletions`). Quota is never released per file: the quota row goes with the rest, so nothing is
 * released twice. The audit trail stays, without addresses, user agents or filenames.
 */
import {
  account,
  accountDeletion,
  auditEvent,
  event,
  file,
  profileImage,
  profileImageUpload,
  profileImageVersion,
  rateLimit,
  session,
  user,
  userQuota,
  verification,
} from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, asc, eq, gt, isNotNull, isNull, lt, ne, sql } from "drizzle-orm";
import type { accountContract } from "../contract/account.ts";
import type { InputOf } from "../contract/define.ts";
import type { AppDeps } from "../deps.ts";
import { recordAudit } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { draftEvent, type EventRow, eventStatements, notifyCommitted } from "./events.ts";
import { assertPasswordAttemptsLeft, countWrongPassword } from "./limits.ts";
import { userPrefixes } from "./object-keys.ts";

type DeletionDeps = Pick<AppDeps, "db" | "storage" | "clock" | "logger" | "events">;

/** Audit detail keys that describe what happened without describing the person; everything else is dropped. */
const IMPERSONAL_DETAIL = new Set([
  "size",
  "contentType",
  "expiresIn",
  "disposition",
  "field",
  "via",
  "files",
]);

/** Whether `password` is the caller's current password (Better Auth's own hash check). */
async function passwordMatches(ctx: ServiceContext, password: string): Promise<boolean> {
  const [credential] = await ctx.db
    .select({ hash: account.password })
    .from(account)
    .where(and(eq(account.userId, ctx.user.id), eq(account.providerId, "credential")));
  if (!credential?.hash) return false;
  const auth = await ctx.auth.$context;
  return auth.password.verify({ hash: credential.hash, password });
}

/**
 * Deletes the caller's account after checking the password: every object they own, then their rows and
 * sessions. A second call after a failure midway finishes the job.
 */
export async function deleteAccount(
  ctx: ServiceContext,
  input: InputOf<typeof accountContract.delete>,
): Promise<{ deleted: true }> {
  await assertPasswordAttemptsLeft(ctx.db, ctx.clock, ctx.user.id);
  if (!(await passwordMatches(ctx, input.password))) {
    await countWrongPassword(ctx.db, ctx.clock, ctx.user.id);
    throw new TRPCError({ code: "FORBIDDEN", message: "password: that is not your current password" });
  }
  const now = ctx.clock();
  await ctx.db
    .insert(accountDeletion)
    .values({ userId: ctx.user.id, requestedAt: now, attemptedAt: now })
    .onConflictDoNothing();
  await finishAccountDeletion(ctx, ctx.user.id);
  // Sessions went straight through Drizzle, past Better Auth's hooks: the session cache must hear of it.
  ctx.auth.sessionCache.invalidateUser(ctx.user.id);
  return { deleted: true };
}

/** Deletes every object under the prefix (one ListObjectsV2 page at a time); returns how many. */
async function deletePrefix(deps: DeletionDeps, prefix: string): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const page = await deps.storage.listObjects(prefix, token);
    for (const object of page.objects) {
      await deps.storage.deleteObject(object.key);
      count++;
    }
    token = page.nextContinuationToken;
  } while (token);
  return count;
}

/** Removes what identifies the person from their audit rows: address, user agent, filenames and the like. */
async function anonymizeAudit(deps: DeletionDeps, userId: string): Promise<void> {
  let after = "";
  for (;;) {
    const rows = await deps.db
      .select({ id: auditEvent.id, detail: auditEvent.detail })
      .from(auditEvent)
      .where(and(eq(auditEvent.actorId, userId), gt(auditEvent.id, after)))
      .orderBy(asc(auditEvent.id))
      .limit(100);
    const [first, ...rest] = rows.map((row) =>
      deps.db
        .update(auditEvent)
        .set({ ip: null, userAgent: null, detail: impersonal(row.detail) })
        .where(eq(auditEvent.id, row.id)),
    );
    if (!first) return;
    await deps.db.batch([first, ...rest]);
    after = rows[rows.length - 1]!.id;
  }
}

function impersonal(detail: Record<string, unknown> | null): Record<string, unknown> {
  return Object.fromEntries(Object.entries(detail ?? {}).filter(([key]) => IMPERSONAL_DETAIL.has(key)));
}

/**
 * Runs (or resumes) the deletion of an account that has an `account_deletion` row. Every step is idempotent:
 * objects are deleted by prefix (an absent key is fine), multipart uploads aborted (an unknown one counts as
 * aborted), and the rows go in one atomic batch at the end.
 */
export async function finishAccountDeletion(deps: DeletionDeps, userId: string): Promise<void> {
  const { db, clock } = deps;
  const now = clock();
  const [pending] = await db.select().from(accountDeletion).where(eq(accountDeletion.userId, userId));
  if (!pending || pending.finishedAt) return;
  await db.update(accountDeletion).set({ attemptedAt: now }).where(eq(accountDeletion.userId, userId));

  // The avatar's key is on the user row, which goes last: keep it on the deletion row for a resumed pass.
  const [person] = await db.select({ image: user.image }).from(user).where(eq(user.id, userId));
  const imageKey = pending.imageKey ?? person?.image ?? null;
  const files = await db
    .select({ id: file.id, key: file.key, uploadId: file.uploadId, expires: file.uploadExpiresAt })
    .from(file)
    .where(eq(file.ownerId, userId));
  const staged = await db
    .select({ key: profileImageUpload.stagingKey, expires: profileImageUpload.expiresAt })
    .from(profileImageUpload)
    .where(eq(profileImageUpload.userId, userId));
  // Kept profile pictures live beside the image key, or beside an earlier one when history was kept on removal.
  const versions = await db
    .select({ key: profileImageVersion.key })
    .from(profileImageVersion)
    .where(eq(profileImageVersion.userId, userId));
  // Upload URLs still valid could put objects back after this pass: sweep the prefixes again once they expire.
  const lastUrl = Math.max(
    pending.purgeAfter?.getTime() ?? 0,
    ...files.map((f) => f.expires.getTime()),
    ...staged.map((s) => s.expires.getTime()),
  );
  const purgeAfter = lastUrl > now.getTime() ? new Date(lastUrl) : pending.purgeAfter;
  await db.update(accountDeletion).set({ imageKey, purgeAfter }).where(eq(accountDeletion.userId, userId));
  // Nothing may settle, complete or release these files any more (the sweeper skips rows that left `pending`).
  await db
    .update(file)
    .set({ status: "deleted", completedAt: now })
    .where(and(eq(file.ownerId, userId), ne(file.status, "deleted")));

  for (const f of files) {
    if (f.uploadId) await deps.storage.abortMultipartUpload(f.key, f.uploadId);
  }
  const prefixes = userPrefixes(userId, imageKey);
  let objects = 0;
  for (const prefix of prefixes) objects += await deletePrefix(deps, prefix);
  // Keys outside the prefixes (history kept under an earlier image key) are deleted one by one.
  for (const key of [
    ...files.map((f) => f.key),
    ...staged.map((s) => s.key),
    ...versions.map((v) => v.key),
  ]) {
    if (!prefixes.some((p) => key.startsWith(p))) await deps.storage.deleteObject(key);
  }

  // Once per deletion, however many passes it takes.
  const [recorded] = await db
    .select({ id: auditEvent.id })
    .from(auditEvent)
    .where(and(eq(auditEvent.actorId, userId), eq(auditEvent.action, "account.delete")))
    .limit(1);
  if (!recorded) {
    await recordAudit(db, clock, {
      actorId: userId,
      action: "account.delete",
      objectKey: `user/${userId}`,
      detail: { files: files.length },
    });
  }
  await anonymizeAudit(deps, userId);

  const done = !purgeAfter || purgeAfter.getTime() <= now.getTime();
  // Once per deletion, with the rows' removal; only operator-wide endpoints hear it (the user's own go too).
  const deleted = draftEvent("account.deleted", now, { ownerId: userId, files: files.length });
  const once = sql`not exists (select 1 from ${event} where ${event.ownerId} = ${userId} and ${event.type} = 'account.deleted')`;
  const [written] = await db.batch([
    ...eventStatements(db, deleted, once, { operatorOnly: true }),
    db.delete(file).where(eq(file.ownerId, userId)),
    db.delete(profileImageUpload).where(eq(profileImageUpload.userId, userId)),
    db.delete(profileImage).where(eq(profileImage.userId, userId)),
    db.delete(profileImageVersion).where(eq(profileImageVersion.userId, userId)),
    db.delete(userQuota).where(eq(userQuota.userId, userId)),
    db.delete(rateLimit).where(eq(rateLimit.key, `issue:${userId}`)),
    db.delete(session).where(eq(session.userId, userId)),
    db.delete(account).where(eq(account.userId, userId)),
    // Password reset tokens hold the user id as their value.
    db.delete(verification).where(eq(verification.value, userId)),
    db.delete(user).where(eq(user.id, userId)),
    done
      ? db.delete(accountDeletion).where(eq(accountDeletion.userId, userId))
      : db.update(accountDeletion).set({ finishedAt: now }).where(eq(accountDeletion.userId, userId)),
  ]);
  notifyCommitted(deps.events, written as EventRow[]);
  deps.logger({ level: "info", msg: "account deleted", userId, objects, files: files.length });
}

export interface AccountSweepResult {
  /** Deletions interrupted midway and finished now. */
  finished: number;
  /** Finished deletions whose last upload URL has expired, swept once more and forgotten. */
  purged: number;
}

/**
 * The sweeper's part: finishes deletions whose last pass started more than `graceSeconds` ago (so a pass still
 * running is left alone), and sweeps the prefixes of finished ones once their last upload URL has expired.
 * Called by `sweep()` in services/sweeper.ts.
 */
export async function sweepAccountDeletions(
  deps: DeletionDeps,
  graceSeconds: number,
  limit = 20,
): Promise<AccountSweepResult> {
  const { db, clock } = deps;
  const cutoff = new Date(clock().getTime() - graceSeconds * 1000);
  const result: AccountSweepResult = { finished: 0, purged: 0 };
  const interrupted = await db
    .select({ userId: accountDeletion.userId })
    .from(accountDeletion)
    .where(and(isNull(accountDeletion.finishedAt), lt(accountDeletion.attemptedAt, cutoff)))
    .limit(limit);
  for (const row of interrupted) {
    try {
      await finishAccountDeletion(deps, row.userId);
      result.finished++;
    } catch (error) {
      deps.logger({
        level: "warn",
        msg: "account deletion failed; retried next sweep",
        error: String(error),
      });
    }
  }
  const lingering = await db
    .select()
    .from(accountDeletion)
    .where(and(isNotNull(accountDeletion.finishedAt), lt(accountDeletion.purgeAfter, cutoff)))
    .limit(limit);
  for (const row of lingering) {
    try {
      for (const prefix of userPrefixes(row.userId, row.imageKey)) await deletePrefix(deps, prefix);
      await db
        .delete(accountDeletion)
        .where(and(eq(accountDeletion.userId, row.userId), isNotNull(accountDeletion.finishedAt)));
      result.purged++;
    } catch (error) {
      deps.logger({ level: "warn", msg: "account purge failed; retried next sweep", error: String(error) });
    }
  }
  return result;
}
