/**
 * The Prometheus series Signet exposes, one registry per Signet. Every label takes its values from a closed set
 * named here (route templates, procedure kinds, outcomes, storage operations), never from a user id, a key, a
 * filename or a raw path, so the number of series does not grow with the number of users or files.
 */
import { Counter, Gauge, Histogram, Registry } from "./prom.ts";

/** What a signed URL is for. */
export const URL_KINDS = ["upload", "part", "download", "share", "profile_image"] as const;
export type UrlKind = (typeof URL_KINDS)[number];

/** How a request for a signed URL ended. */
export const ISSUE_OUTCOMES = ["issued", "rate_limited", "over_quota", "refused"] as const;
export type IssueOutcome = (typeof ISSUE_OUTCOMES)[number];

/** How a verification (HEAD of what arrived, at completion or by the sweeper) ended. */
export const VERIFY_OUTCOMES = [
  "ready",
  "size_mismatch",
  "type_mismatch",
  "checksum_mismatch",
  "missing",
  "other",
] as const;
export type VerifyOutcome = (typeof VERIFY_OUTCOMES)[number];

/** How one webhook delivery attempt ended: `failed` and `timeout` are retried, `disabled` (410 Gone) and `dead` are not. */
export const DELIVERY_OUTCOMES = ["delivered", "failed", "timeout", "disabled", "dead"] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** The dependencies /readyz checks. */
export const DEPENDENCIES = ["database", "bucket"] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** Figures read from the database at scrape time (shared by every instance, so they are gauges). */
export interface DatabaseFigures {
  multipartInFlight: number;
  quotaReservedBytes: number;
  /** Seconds since the oldest pending upload became due for the sweeper (0 when none is due). */
  oldestDueSeconds: number;
  /** Webhook deliveries not yet delivered nor dead-lettered. */
  deliveriesPending: number;
  /** Seconds since the oldest delivery due to an enabled endpoint became due (0 when none is). */
  deliveryOldestDueSeconds: number;
}

// Latency buckets in seconds: API answers are milliseconds; a storage call over the internet can take seconds.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

// Delivery lag in seconds: a first attempt answers within seconds, retries stretch it to a day and more.
const LAG_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 15, 60, 300, 1800, 7200, 21_600, 86_400, 172_800];

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Creates the registry and its series. `figures` is read on every scrape; its failure leaves the gauges as they
 * were (the scrape itself still answers).
 */
export function createMetrics(figures?: () => Promise<DatabaseFigures>) {
  const registry = new Registry();
  const registers = [registry];
  // One line a series: name, help, and the closed set of label names.
  const counter = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const histogram = <L extends string = never>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets = LATENCY_BUCKETS,
  ) => new Histogram<L>({ name, help, labelNames, buckets, registers });

  const httpDuration = histogram(
    "signet_http_request_duration_seconds",
    "HTTP requests by route template, method and status class, and how long they took",
    ["route", "method", "status_class"] as const,
  );
  const urlsIssued = counter(
    "signet_urls_issued_total",
    "Requests for signed URLs by kind and outcome (issued, rate_limited, over_quota, refused)",
    ["kind", "outcome"] as const,
  );
  const partsSigned = counter("signet_multipart_parts_signed_total", "Multipart part upload URLs signed");
  const verifications = counter(
    "signet_verifications_total",
    "Verifications of uploaded objects by outcome",
    ["outcome"] as const,
  );
  const verifiedBytes = counter("signet_verified_bytes_total", "Bytes of uploads verified ready");
  const sweeperPasses = counter("signet_sweeper_passes_total", "Sweeper passes by outcome (ok, failed)", [
    "outcome",
  ] as const);
  const sweeperSettled = counter(
    "signet_sweeper_rows_settled_total",
    "Pending uploads the sweeper settled, by the state they ended in",
    ["outcome"] as const,
  );
  const dbDuration = histogram(
    "signet_db_statement_duration_seconds",
    "Database statements by operation (select, insert, update, delete, batch, other)",
    ["operation"] as const,
  );
  const storageDuration = histogram(
    "signet_storage_call_duration_seconds",
    "Storage calls and signings by operation and outcome (ok, error)",
    ["operation", "outcome"] as const,
  );
  const bucketCheck = gauge(
    "signet_bucket_check",
    "The storage doctor's probes: 1 passed, 0 failed or warned (re-run every DOCTOR_INTERVAL)",
    ["check"] as const,
  );
  const bucketCheckTime = gauge(
    "signet_bucket_check_timestamp_seconds",
    "When the storage doctor's probes last ran (Unix time)",
  );
  const dependencyUp = gauge(
    "signet_dependency_up",
    "Whether the last readiness check reached the dependency (1) or not (0)",
    ["dependency"] as const,
  );
  const multipartInFlight = gauge(
    "signet_multipart_uploads_in_flight",
    "Multipart uploads announced and not yet settled",
  );
  const quotaReserved = gauge(
    "signet_quota_reserved_bytes",
    "Bytes reserved or stored against users' quotas, summed",
  );
  const oldestDue = gauge(
    "signet_sweeper_oldest_due_seconds",
    "Age of the oldest pending upload the sweeper should already have settled (0: none due)",
  );

  const deliveryAttempts = counter(
    "signet_webhook_attempts_total",
    "Webhook delivery attempts by outcome (delivered, failed, timeout, disabled, dead)",
    ["outcome"] as const,
  );
  const deliveryLag = histogram(
    "signet_webhook_delivery_lag_seconds",
    "Time from an event's commit to its successful delivery to an endpoint",
    [],
    LAG_BUCKETS,
  );
  const deliveriesPending = gauge(
    "signet_webhook_deliveries_pending",
    "Webhook deliveries not yet delivered nor dead-lettered",
  );
  const deliveryOldestDue = gauge(
    "signet_webhook_oldest_due_seconds",
    "How long the oldest delivery due to an enabled endpoint has been waiting for its attempt (0: none due)",
  );

  // Every combination starts at 0: a rate() over a series that appears late misses its first increase.
  for (const kind of URL_KINDS) for (const outcome of ISSUE_OUTCOMES) urlsIssued.inc({ kind, outcome }, 0);
  for (const outcome of VERIFY_OUTCOMES) verifications.inc({ outcome }, 0);
  for (const outcome of ["ok", "failed"]) sweeperPasses.inc({ outcome }, 0);
  for (const outcome of ["ready", "rejected"]) sweeperSettled.inc({ outcome }, 0);
  for (const outcome of DELIVERY_OUTCOMES) deliveryAttempts.inc({ outcome }, 0);

  async function refreshFigures(): Promise<void> {
    if (!figures) return;
    const now = await figures();
    multipartInFlight.set(now.multipartInFlight);
    quotaReserved.set(now.quotaReservedBytes);
    oldestDue.set(now.oldestDueSeconds);
    deliveriesPending.set(now.deliveriesPending);
    deliveryOldestDue.set(now.deliveryOldestDueSeconds);
  }

  return {
    registry,
    httpDuration,
    urlsIssued,
    partsSigned,
    verifications,
    verifiedBytes,
    sweeperPasses,
    sweeperSettled,
    dbDuration,
    storageDuration,
    bucketCheck,
    bucketCheckTime,
    dependencyUp,
    deliveryAttempts,
    deliveryLag,
    refreshFigures,
  };
}
