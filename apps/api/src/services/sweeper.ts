/**
 * Resolves uploads nobody completed. A pending file whose URL expired more than the grace period ago can no
 * longer change: if its object arrived and verifies it becomes ready, otherwise the object is deleted, the row
 * rejected and the quota released. Abandoned profile image staging objects are deleted.
 *
 * Expired multipart uploads are aborted on the way (settlePending), and multipart uploads in the bucket that no
 * pending row knows (a crash between creating one and recording it) are found with ListMultipartUploads and
 * aborted, audited.
 *
 * Each pass settles everything that is due, in batches, until it is done or its time budget is spent (the next
 * pass carries on): after a crash, a backlog of pending uploads gives its quota back in one pass, not over hours.
 */
import { file, profileImageUpload } from "@signet/db";
import { and, asc, eq, gt, isNotNull, lt } from "drizzle-orm";
import type { AppDeps } from "../deps.ts";
import { sweepAccountDeletions } from "./account-deletion.ts";
import { recordAudit, recordFileEvent } from "./audit.ts";
import { settlePending } from "./file-uploads.ts";
import { pruneRateLimits } from "./limits.ts";
import { FILE_PREFIX } from "./object-keys.ts";
import { reconcileQuota } from "./reconcile.ts";
import { deliverDue, pruneDeliveryLog } from "./webhook-delivery.ts";

/** How long after an upload URL expires the sweeper waits before resolving the upload, in seconds. */
export const SWEEP_GRACE_SECONDS = 300;

export interface SweepResult {
  ready: number;
  rejected: number;
  stagingRemoved: number;
  /** Keys of aborted or refused uploads deleted again after their URL died (a racing PUT may have landed). */
  purged: number;
  /** Users whose reserved bytes drifted from their live rows and were corrected. */
  quotaCorrected: number;
  /** Account deletions interrupted midway and finished, or swept once more after their last URL expired. */
  accountsDeleted: number;
  /** Multipart uploads in the bucket that no pending row knew, aborted. */
  orphansAborted: number;
  /** Webhook deliveries attempted in this pass (first attempts that failed, and retries now due). */
  webhooksAttempted: number;
}

export interface SweepOptions {
  /** Rows read per query (default 100). */
  batchSize?: number;
  /** Wall time one pass may take, in ms (default 45 s, under the one-minute interval). */
  budgetMs?: number;
  /** How many storage calls run at once (default 8). */
  concurrency?: number;
}

type SweepDeps = Pick<AppDeps, "db" | "storage" | "clock" | "logger" | "events"> & {
  config: Pick<AppDeps["config"], "sweepGraceSeconds"> & Partial<Pick<AppDeps["config"], "webhooks">>;
};

/**
 * Runs `settle` over every row `page` returns, page after page (keyset on the row id, so a row that failed
 * is not read again in this pass), `concurrency` at a time, until no rows are left or `deadline` passes.
 */
async function drain<T extends { id: string }>(
  page: (after: string, limit: number) => Promise<T[]>,
  settle: (row: T) => Promise<void>,
  options: { batchSize: number; concurrency: number; deadline: number },
): Promise<void> {
  let after = "";
  while (performance.now() < options.deadline) {
    const rows = await page(after, options.batchSize);
    for (let i = 0; i < rows.length && performance.now() < options.deadline; i += options.concurrency) {
      await Promise.all(rows.slice(i, i + options.concurrency).map(settle));
    }
    if (rows.length < options.batchSize) return;
    after = rows[rows.length - 1]!.id;
  }
}

/** One pass of the sweeper. Safe to run concurrently on several instances: every transition is conditional. */
export async function sweep(deps: SweepDeps, options: SweepOptions = {}): Promise<SweepResult> {
  const { db, clock } = deps;
  const cutoff = new Date(clock().getTime() - deps.config.sweepGraceSeconds * 1000);
  const paging = {
    batchSize: options.batchSize ?? 100,
    concurrency: options.concurrency ?? 8,
    deadline: performance.now() + (options.budgetMs ?? 45_000),
  };
  const result: SweepResult = {
    ready: 0,
    rejected: 0,
    stagingRemoved: 0,
    purged: 0,
    quotaCorrected: 0,
    accountsDeleted: 0,
    orphansAborted: 0,
    webhooksAttempted: 0,
  };

  await drain(
    (after, limit) =>
      db
        .select()
        .from(file)
        .where(and(eq(file.status, "pending"), lt(file.uploadExpiresAt, cutoff), gt(file.id, after)))
        .orderBy(asc(file.id))
        .limit(limit),
    async (row) => {
      try {
        const outcome = await settlePending(deps, row, "sweeper");
        if (!outcome.won) return;
        if (outcome.ok) result.ready++;
        else result.rejected++;
        await recordFileEvent(
          db,
          clock,
          row,
          outcome.ok ? "file.sweep_ready" : "file.sweep_reject",
          outcome.ok ? { size: row.size } : { reason: outcome.reason },
        );
      } catch (error) {
        deps.logger({ level: "warn", msg: "sweep failed for file", fileId: row.id, error: String(error) });
      }
    },
    paging,
  );

  await drain(
    (after, limit) =>
      db
        .select()
        .from(profileImageUpload)
        .where(and(lt(profileImageUpload.expiresAt, cutoff), gt(profileImageUpload.id, after)))
        .orderBy(asc(profileImageUpload.id))
        .limit(limit),
    async (row) => {
      try {
        await deps.storage.deleteObject(row.stagingKey);
        await db.delete(profileImageUpload).where(eq(profileImageUpload.id, row.id));
        result.stagingRemoved++;
      } catch (error) {
        deps.logger({
          level: "warn",
          msg: "sweep failed for staging upload",
          uploadId: row.id,
          error: String(error),
        });
      }
    },
    paging,
  );

  await drain(
    (after, limit) =>
      db
        .select({ id: file.id, key: file.key })
        .from(file)
        .where(and(isNotNull(file.purgeAfter), lt(file.purgeAfter, cutoff), gt(file.id, after)))
        .orderBy(asc(file.id))
        .limit(limit),
    async (row) => {
      try {
        await deps.storage.deleteObject(row.key);
        await db.update(file).set({ purgeAfter: null }).where(eq(file.id, row.id));
        result.purged++;
      } catch (error) {
        deps.logger({ level: "warn", msg: "sweep failed to purge", fileId: row.id, error: String(error) });
      }
    },
    paging,
  );

  result.orphansAborted = await abortOrphanUploads(deps, cutoff, paging.deadline);

  const accounts = await sweepAccountDeletions(deps, deps.config.sweepGraceSeconds, paging.batchSize);
  result.accountsDeleted = accounts.finished + accounts.purged;

  // Once every due upload is settled, reserved bytes that no live row accounts for (a crash between statements
  // of an older version, a hand-edited database) are corrected from the rows and audited.
  result.quotaCorrected = (await reconcileQuota(deps, { fix: true })).length;
  await pruneRateLimits(db, clock);
  // Deliveries last, with what is left of the budget: a slow receiver can only shorten its own retries.
  const webhooks = deps.config.webhooks;
  if (webhooks) {
    const delivery = { ...deps, config: { webhooks } };
    const left = paging.deadline - performance.now();
    if (left > 1000) result.webhooksAttempted = (await deliverDue(delivery, { budgetMs: left })).attempted;
    await pruneDeliveryLog(delivery);
  }
  return result;
}

/**
 * Aborts the multipart uploads under Signet's prefix that no pending row holds. Only uploads started before
 * `cutoff` count: a younger one may belong to a createUpload that has not recorded its row yet.
 */
async function abortOrphanUploads(deps: SweepDeps, cutoff: Date, deadline: number): Promise<number> {
  let aborted = 0;
  let next: { keyMarker: string; uploadIdMarker: string } | undefined;
  do {
    const page = await deps.storage.listMultipartUploads(FILE_PREFIX, next);
    for (const upload of page.uploads) {
      if (performance.now() >= deadline) return aborted;
      if (!(upload.initiated.getTime() < cutoff.getTime())) continue;
      try {
        const [known] = await deps.db
          .select({ id: file.id })
          .from(file)
          .where(and(eq(file.uploadId, upload.uploadId), eq(file.status, "pending")))
          .limit(1);
        if (known) continue;
        await deps.storage.abortMultipartUpload(upload.key, upload.uploadId);
        await recordAudit(deps.db, deps.clock, {
          actorId: null,
          action: "storage.orphan_upload_abort",
          objectKey: upload.key,
          detail: { initiated: upload.initiated.toISOString() },
        });
        aborted++;
      } catch (error) {
        deps.logger({
          level: "warn",
          msg: "sweep failed to abort an orphan upload",
          key: upload.key,
          error: String(error),
        });
      }
    }
    next = page.next;
  } while (next && performance.now() < deadline);
  return aborted;
}
