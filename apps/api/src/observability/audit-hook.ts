/**
 * What the services report with the database alone, found by it: the verification outcomes read off the audit
 * trail (services/audit.ts hands every event it appends to `observeAudit`), profile image verifications (their
 * settle writes its audit row inside a batch), and webhook delivery attempts. The services hold the database,
 * not the Signet, so its metrics are registered per database.
 */
import { baseOf, type Database } from "@signet/db";
import type { Metrics } from "./metrics.ts";
import { type DeliveryReport, deliveryOutcome, verificationOf, verifyOutcome } from "./outcomes.ts";

const byDatabase = new WeakMap<Database, Metrics>();

/** Counts what the services report about `db` into `metrics`. */
export function watchAudit(db: Database, metrics: Metrics): void {
  byDatabase.set(baseOf(db), metrics);
}

/** An audit event was appended (services/audit.ts). */
export function observeAudit(
  db: Database,
  action: string,
  detail: Record<string, unknown> | undefined,
): void {
  const metrics = byDatabase.get(baseOf(db));
  if (!metrics) return;
  const verified = verificationOf(action, detail);
  if (!verified) return;
  metrics.verifications.inc({ outcome: verified.outcome });
  if (verified.bytes > 0) metrics.verifiedBytes.inc(verified.bytes);
}

/** A profile image was verified: `reason` null when it is the image it claimed to be, of `bytes`. */
export function observeImageVerification(db: Database, reason: string | null, bytes: number): void {
  const metrics = byDatabase.get(baseOf(db));
  if (!metrics) return;
  metrics.verifications.inc({ outcome: reason === null ? "ready" : verifyOutcome(reason) });
  if (reason === null) metrics.verifiedBytes.inc(bytes);
}

/** A webhook delivery attempt ended; `lagSeconds` is from the event's commit to now, counted when delivered. */
export function observeDeliveryAttempt(db: Database, report: DeliveryReport, lagSeconds: number): void {
  const metrics = byDatabase.get(baseOf(db));
  if (!metrics) return;
  const outcome = deliveryOutcome(report);
  metrics.deliveryAttempts.inc({ outcome });
  if (outcome === "delivered") metrics.deliveryLag.observe({}, Math.max(0, lagSeconds));
}
