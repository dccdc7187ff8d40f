/**
 * Resolves uploads nobody completed. A pending file whose URL expired more than the grace period ago can no
 * longer change: if its object arrived and verifies it becomes ready, otherwise the object is deleted, the row
 * rejected and the quota released. Abandoned profile image staging objects are deleted.
 */
import { file, profileImageUpload } from "@signet/db";
import { and, eq, isNotNull, lt } from "drizzle-orm";
import type { AppDeps } from "../deps.ts";
import { recordAudit } from "./audit.ts";
import { settlePending } from "./files.ts";
import { pruneRateLimits } from "./limits.ts";

/** How long after an upload URL expires the sweeper waits before resolving the upload, in seconds. */
export const SWEEP_GRACE_SECONDS = 300;

export interface SweepResult {
  ready: number;
  rejected: number;
  stagingRemoved: number;
  /** Keys of aborted or refused uploads deleted again after their URL died (a racing PUT may have landed). */
  purged: number;
}

/** One pass of the sweeper. Safe to run concurrently on several instances: every transition is conditional. */
export async function sweep(
  deps: Pick<AppDeps, "db" | "signer" | "clock" | "logger"> & { config: { sweepGraceSeconds: number } },
  options: { batchSize?: number } = {},
): Promise<SweepResult> {
  const { db, clock } = deps;
  const cutoff = new Date(clock().getTime() - deps.config.sweepGraceSeconds * 1000);
  const limit = options.batchSize ?? 100;
  const result: SweepResult = { ready: 0, rejected: 0, stagingRemoved: 0, purged: 0 };

  const stale = await db
    .select()
    .from(file)
    .where(and(eq(file.status, "pending"), lt(file.uploadExpiresAt, cutoff)))
    .limit(limit);
  for (const row of stale) {
    try {
      const outcome = await settlePending(deps, row);
      if (!outcome.won) continue;
      if (outcome.ok) result.ready++;
      else result.rejected++;
      await recordAudit(db, clock, {
        actorId: row.ownerId,
        action: outcome.ok ? "file.sweep_ready" : "file.sweep_reject",
        objectKey: row.key,
        fileId: row.id,
        detail: outcome.ok ? { size: row.size } : { reason: outcome.reason },
      });
    } catch (error) {
      deps.logger({ level: "warn", msg: "sweep failed for file", fileId: row.id, error: String(error) });
    }
  }

  const staged = await db
    .select()
    .from(profileImageUpload)
    .where(lt(profileImageUpload.expiresAt, cutoff))
    .limit(limit);
  for (const row of staged) {
    try {
      await deps.signer.deleteObject(row.stagingKey);
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
  }

  const purgeable = await db
    .select({ id: file.id, key: file.key })
    .from(file)
    .where(and(isNotNull(file.purgeAfter), lt(file.purgeAfter, cutoff)))
    .limit(limit);
  for (const row of purgeable) {
    try {
      await deps.signer.deleteObject(row.key);
      await db.update(file).set({ purgeAfter: null }).where(eq(file.id, row.id));
      result.purged++;
    } catch (error) {
      deps.logger({ level: "warn", msg: "sweep failed to purge", fileId: row.id, error: String(error) });
    }
  }

  await pruneRateLimits(db, clock);
  return result;
}
