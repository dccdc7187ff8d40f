/**
 * The storage doctor: probes the configured bucket for real, the way a browser at PUBLIC_URL and Signet's server
 * will use it, and says for each problem what breaks for users and the exact fix. Every probe writes its own
 * temporary key under `signet-doctor/<run>/` and the run removes them all at the end. Each probe lives in
 * `probes/`; this file runs them in order and cleans up.
 */
import type { Logger } from "../ground.ts";
import { doctorRunPrefix } from "../services/object-keys.ts";
import {
  type Check,
  type CheckId,
  type CheckStatus,
  type DoctorStorage,
  describeError,
  type ProbeRun,
  type Recorder,
  TITLES,
} from "./probe-kit.ts";
import { probeClock } from "./probes/clock.ts";
import { probeEtag, probePreflight } from "./probes/cors.ts";
import { probeCredentials } from "./probes/credentials.ts";
import { probeDownload } from "./probes/download.ts";
import { probeMultipart } from "./probes/multipart.ts";
import {
  type ProbeObject,
  probeChecksum,
  probeIfNoneMatch,
  probeSize,
  probeUpload,
} from "./probes/upload.ts";

export type { Check, CheckId, CheckStatus, DoctorStorage };

export interface DoctorOptions {
  storage: DoctorStorage;
  /** The SPA's origin (PUBLIC_URL): the origin the CORS probes send. */
  origin: string;
  /** Skip the slow probes (multipart, ~10 MiB of uploads): what `pnpm start` runs. */
  quick?: boolean;
  /** This machine's clock, compared with the endpoint's `Date`. */
  clock?: () => Date;
  /** Told before each probe starts (for a progress line). */
  onProbe?: (title: string) => void;
}

/** Whether uploads will work: no check failed. */
export function doctorPassed(checks: Check[]): boolean {
  return checks.every((check) => check.status !== "fail");
}

/**
 * Runs the probes and returns one check per row. Never throws for a storage problem: each one becomes a
 * failed check. If the credentials are refused, the remaining probes are skipped.
 */
export async function runDoctor(options: DoctorOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const record: Recorder = (id, status, detail, advice) => {
    checks.push({
      id,
      title: TITLES[id],
      status,
      detail,
      ...(status === "ok" || status === "skip" ? {} : advice),
    });
  };
  const run: ProbeRun = {
    storage: options.storage,
    origin: options.origin,
    clock: options.clock ?? (() => new Date()),
    prefix: doctorRunPrefix(crypto.randomUUID()),
    written: new Set(),
    uploads: [],
    record,
  };
  const probe = async (id: CheckId, body: () => Promise<void>) => {
    options.onProbe?.(TITLES[id]);
    try {
      await body();
    } catch (error) {
      record(id, "fail", `the probe itself failed: ${describeError(error)}`, {
        impact: "unknown: the storage answered in a way the doctor did not expect",
        fix: "check that S3_ENDPOINT is reachable and retry; report the detail if it persists",
      });
    }
  };

  let reachable = false;
  await probe("credentials", async () => {
    reachable = await probeCredentials(run);
  });
  if (!reachable) {
    for (const id of Object.keys(TITLES) as CheckId[]) {
      if (id === "credentials" || id === "cleanup") continue;
      if (options.quick && (id === "part-rule" || id === "multipart")) continue;
      record(id, "skip", "not run: the bucket could not be listed");
    }
    return checks;
  }

  try {
    await probe("clock", () => probeClock(run));
    let object: ProbeObject | undefined;
    await probe("upload", async () => {
      object = await probeUpload(run);
    });
    /** A probe on the upload probe's object: skipped, and said so, when that upload failed. */
    const probeObject = (id: CheckId, body: (object: ProbeObject) => Promise<void>) =>
      probe(id, async () => {
        if (!object) record(id, "skip", "not run: the upload probe failed");
        else await body(object);
      });
    await probe("cors-preflight", () => probePreflight(run));
    await probeObject("cors-etag", (uploaded) => probeEtag(run, uploaded));
    await probe("size", () => probeSize(run));
    await probeObject("if-none-match", (uploaded) => probeIfNoneMatch(run, uploaded));
    await probe("checksum", () => probeChecksum(run));
    await probeObject("download", (uploaded) => probeDownload(run, uploaded));
    if (!options.quick) {
      options.onProbe?.(TITLES.multipart);
      await probeMultipart(run);
    }
  } finally {
    options.onProbe?.(TITLES.cleanup);
    await cleanUp(run);
  }
  return checks;
}

/** Aborts the run's multipart uploads and deletes every key it wrote; what stays is named. */
async function cleanUp(run: ProbeRun): Promise<void> {
  const left: string[] = [];
  for (const { key, uploadId } of run.uploads) {
    await run.storage.abortMultipartUpload(key, uploadId).catch(() => left.push(`${key} (multipart upload)`));
  }
  for (const key of run.written) await run.storage.deleteObject(key).catch(() => left.push(key));
  if (left.length === 0) run.record("cleanup", "ok", `${run.written.size} probe keys removed`);
  else
    run.record("cleanup", "warn", `could not remove: ${left.join(", ")}`, {
      impact: "a few bytes of probe objects stay in the bucket",
      fix: `delete them, or run \`signet reconcile --fix\`, which removes leftovers under signet-doctor/`,
    });
}

/**
 * The quick doctor at start-up against an external bucket: one warning log line per problem, never a refusal to
 * start (an unreachable storage is one warning too).
 */
export async function warnAboutStorage(options: {
  storage: DoctorStorage;
  origin: string;
  logger: Logger;
}): Promise<void> {
  try {
    const checks = await runDoctor({ storage: options.storage, origin: options.origin, quick: true });
    const problems = checks.filter((check) => check.status === "warn" || check.status === "fail");
    for (const check of problems) {
      options.logger({
        level: "warn",
        msg: `storage: ${check.title}: ${check.detail}`,
        check: check.id,
        ...(check.impact ? { impact: check.impact } : {}),
        ...(check.fix ? { fix: check.fix } : {}),
      });
    }
    options.logger({ level: "info", msg: "storage checked", problems: problems.length });
  } catch (error) {
    options.logger({ level: "warn", msg: "storage check failed", error: describeError(error) });
  }
}
