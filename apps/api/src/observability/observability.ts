/**
 * One Signet's observability, assembled: the metrics registry, tracing, readiness, the bucket checks, and the
 * hooks the rest of the app reports through (a procedure settled, an audit event written, a sweeper pass).
 */
import type { Database } from "@signet/db";
import type { Observer, Storage } from "../deps.ts";
import type { ObservabilityConfig } from "../env.ts";
import type { Logger } from "../ground.ts";
import type { SweepResult } from "../services/sweeper.ts";
import { watchAudit } from "./audit-hook.ts";
import { bucketChecks, isDoctorStorage } from "./bucket-checks.ts";
import { databaseFigures } from "./figures.ts";
import { instrumentDatabase, instrumentStorage, tracingDatabase, tracingStorage } from "./instrument.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { issueOutcome, urlKindOf } from "./outcomes.ts";
import { sharedReadiness } from "./readiness.ts";
import { createTracing, type Tracing } from "./tracing.ts";

export const DEFAULT_OBSERVABILITY: ObservabilityConfig = {
  metricsEnabled: true,
  doctorIntervalSeconds: 300,
};

export interface Observability extends Observer {
  config: ObservabilityConfig;
  metrics: Metrics | undefined;
  tracing: Tracing;
  /** Brings the database-derived gauges and the bucket checks up to date (before a scrape). */
  refresh(): Promise<void>;
  /** A sweeper pass ended. */
  swept(result: SweepResult | undefined): void;
}

export interface ObservabilityDeps {
  db: Database;
  storage: Storage;
  logger: Logger;
  /** The SPA's origin, for the CORS probes. */
  origin: string;
  sweepGraceSeconds: number;
  clock: () => Date;
  /** A file database's URL, for the readiness probe's own connection. */
  databaseFileUrl?: string | undefined;
}

/** Builds it, and returns the storage the services should use (measured when metrics are on). */
export function createObservability(
  config: ObservabilityConfig,
  deps: ObservabilityDeps,
): { observability: Observability; storage: Storage } {
  const tracing = createTracing(config.otel);
  const checkReadiness = sharedReadiness({
    db: deps.db,
    storage: deps.storage,
    databaseFileUrl: deps.databaseFileUrl,
  });
  // A dependency going down or coming back is logged once, with its error: the public answers leave it out.
  const wasOk: Record<string, boolean> = { database: true, bucket: true };
  const readiness = async () => {
    const ready = await checkReadiness();
    for (const [dependency, state] of Object.entries(ready.checks)) {
      if (state.ok === wasOk[dependency]) continue;
      wasOk[dependency] = state.ok;
      deps.logger(
        state.ok
          ? { level: "info", msg: `readiness: ${dependency} answers again`, dependency }
          : { level: "warn", msg: `readiness: ${dependency} not ready`, dependency, error: state.error },
      );
    }
    return ready;
  };
  const metrics = config.metricsEnabled
    ? createMetrics(() => databaseFigures(deps.db, deps.clock(), deps.sweepGraceSeconds))
    : undefined;
  let storage = deps.storage;
  if (metrics) {
    storage = instrumentStorage(deps.storage, metrics);
    instrumentDatabase(deps.db, metrics);
  }
  const tracedStorage = tracingStorage(storage);
  const tracedDatabase = tracingDatabase(deps.db);
  const checkBucket =
    metrics && config.doctorIntervalSeconds > 0 && isDoctorStorage(deps.storage)
      ? bucketChecks({
          storage: deps.storage,
          origin: deps.origin,
          intervalSeconds: config.doctorIntervalSeconds,
          metrics,
          logger: deps.logger,
        })
      : undefined;
  const observability: Observability = {
    config,
    metrics,
    tracing,
    readiness,
    traced(scope) {
      return {
        db: tracedDatabase(scope),
        storage: tracedStorage(scope),
        logger: (entry) => deps.logger({ ...scope.ids, ...entry }),
      };
    },
    async refresh() {
      if (!metrics) return;
      // The probes upload and delete objects: they run beside the scrapes, never inside one's time budget.
      void checkBucket?.();
      const [ready] = await Promise.all([
        readiness(),
        metrics.refreshFigures().catch((error: unknown) => {
          deps.logger({ level: "warn", msg: "metrics: database figures failed", error: String(error) });
        }),
      ]);
      for (const [dependency, state] of Object.entries(ready.checks)) {
        metrics.dependencyUp.set({ dependency }, state.ok ? 1 : 0);
      }
    },
    procedureSettled(path, error) {
      const kind = metrics && urlKindOf(path);
      if (kind) metrics.urlsIssued.inc({ kind, outcome: issueOutcome(error) });
    },
    swept(result) {
      if (!metrics) return;
      metrics.sweeperPasses.inc({ outcome: result ? "ok" : "failed" });
      if (!result) return;
      metrics.sweeperSettled.inc({ outcome: "ready" }, result.ready);
      metrics.sweeperSettled.inc({ outcome: "rejected" }, result.rejected);
    },
  };
  if (metrics) watchAudit(deps.db, metrics);
  return { observability, storage };
}
