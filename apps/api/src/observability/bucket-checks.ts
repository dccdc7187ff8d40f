/**
 * The storage doctor's quick probes as gauges (`signet_bucket_check{check="cors_etag"}`), re-run when a scrape
 * finds them older than DOCTOR_INTERVAL. Driven by the scrapes rather than a timer, so it runs the same on
 * every runtime (a Worker has no timer between requests) and costs nothing where nobody scrapes.
 */
import type { Logger } from "../ground.ts";
import { type DoctorStorage, runDoctor } from "../storage/doctor.ts";
import type { Metrics } from "./metrics.ts";

export interface BucketChecksOptions {
  storage: DoctorStorage;
  /** The SPA's origin: what the CORS probes send. */
  origin: string;
  intervalSeconds: number;
  metrics: Metrics;
  logger: Logger;
  /** Monotonic milliseconds. */
  now?: () => number;
}

/** Whether a storage can run the doctor's probes (the runtimes pass the whole signer). */
export function isDoctorStorage(storage: object): storage is DoctorStorage {
  return "presignHead" in storage && typeof storage.presignHead === "function";
}

/** Returns `refresh`: starts a run when the last one is older than the interval; resolves when that run ends. */
export function bucketChecks(options: BucketChecksOptions): () => Promise<void> {
  const now = options.now ?? (() => performance.now());
  const { metrics } = options;
  let lastStart: number | undefined;
  let running: Promise<void> | undefined;

  async function run(): Promise<void> {
    try {
      const checks = await runDoctor({ storage: options.storage, origin: options.origin, quick: true });
      for (const check of checks) {
        const label = { check: check.id.replaceAll("-", "_") };
        if (check.status === "skip") metrics.bucketCheck.remove(label);
        else metrics.bucketCheck.set(label, check.status === "ok" ? 1 : 0);
      }
      metrics.bucketCheckTime.set(Date.now() / 1000);
    } catch (error) {
      options.logger({ level: "warn", msg: "bucket checks failed", error: String(error) });
    }
  }

  return () => {
    const at = now();
    if (running) return running;
    if (lastStart !== undefined && at - lastStart < options.intervalSeconds * 1000) return Promise.resolve();
    lastStart = at;
    running = run().finally(() => {
      running = undefined;
    });
    return running;
  };
}
