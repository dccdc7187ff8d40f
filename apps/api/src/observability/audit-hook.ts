/**
 * Verification outcomes, read off the audit trail: services/audit.ts hands every event it appends to
 * `observeAudit`. The trail is written with the database alone, so the Signet's metrics are found by it.
 */
import type { Database } from "@signet/db";
import type { Metrics } from "./metrics.ts";
import { verificationOf } from "./outcomes.ts";

const byDatabase = new WeakMap<Database, Metrics>();

/** Counts the verifications recorded in `db`'s audit trail into `metrics`. */
export function watchAudit(db: Database, metrics: Metrics): void {
  byDatabase.set(db, metrics);
}

/** An audit event was appended (services/audit.ts). */
export function observeAudit(
  db: Database,
  action: string,
  detail: Record<string, unknown> | undefined,
): void {
  const metrics = byDatabase.get(db);
  if (!metrics) return;
  const verified = verificationOf(action, detail);
  if (!verified) return;
  metrics.verifications.inc({ outcome: verified.outcome });
  if (verified.bytes > 0) metrics.verifiedBytes.inc(verified.bytes);
}
