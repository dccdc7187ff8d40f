/**
 * Readiness: can this instance serve an upload right now? A database round trip that needs the write lock (every
 * issuance writes) and a bucket request, in parallel, each with its own deadline. /readyz, the `health`
 * procedure and the `signet_dependency_up` gauge all read this one answer.
 */
import { closeDb, createDb, type Database } from "@signet/db";
import { sql } from "drizzle-orm";
import type { ReadinessReport, Storage } from "../deps.ts";
import { redact } from "../redact.ts";
import type { Dependency } from "./metrics.ts";

/** How long each dependency may take before it counts as down. */
export const READINESS_DEADLINE_MS = 1000;
/** A readiness answer this young is reused, so a busy health endpoint costs the database and bucket nothing. */
const REUSE_MS = 1000;

export type Readiness = ReadinessReport;
/** `error`: why it is not ready (the storage's or database's own words, scrubbed of secrets). */
type DependencyState = ReadinessReport["checks"][Dependency];

export interface ReadinessDeps {
  db: Database;
  storage: Pick<Storage, "listObjects">;
  /**
   * A file database's URL. libSQL's native driver waits for a lock synchronously (the busy timeout blocks the
   * whole process), so the probe opens its own short-lived connection that gives up at once instead.
   */
  databaseFileUrl?: string | undefined;
  deadlineMs?: number;
}

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

// Deleting a row that never exists: a statement that must take the write lock, and changes nothing.
const writeProbe = sql`delete from rate_limit where key = 'signet:readiness-probe'`;

async function probeDatabase(deps: ReadinessDeps): Promise<void> {
  if (!deps.databaseFileUrl) {
    await deps.db.run(writeProbe);
    return;
  }
  const probe = await createDb({ url: deps.databaseFileUrl, busyTimeoutMs: 0 });
  try {
    await probe.run(writeProbe);
  } finally {
    closeDb(probe);
  }
}

async function probeBucket(deps: ReadinessDeps): Promise<void> {
  // A listing tells a missing bucket (NoSuchBucket) from a reachable one; a HEAD of a missing key cannot.
  await deps.storage.listObjects("signet-readiness/");
}

/** The innermost cause's message ("Failed query: …" wraps "database is locked"; "fetch failed" wraps ECONNREFUSED). */
function rootCause(error: unknown): string {
  let inner = error;
  for (let depth = 0; depth < 5 && inner instanceof Error && inner.cause !== undefined; depth++)
    inner = inner.cause;
  const code = (inner as { code?: unknown })?.code;
  const message = inner instanceof Error ? inner.message : String(inner);
  return redact(typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message);
}

async function state(work: () => Promise<void>, ms: number, what: string): Promise<DependencyState> {
  try {
    await withDeadline(work(), ms, what);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: rootCause(error) };
  }
}

/** Checks both dependencies now. */
export async function checkReadiness(deps: ReadinessDeps): Promise<Readiness> {
  const ms = deps.deadlineMs ?? READINESS_DEADLINE_MS;
  const [database, bucket] = await Promise.all([
    state(() => probeDatabase(deps), ms, "the database"),
    state(() => probeBucket(deps), ms, "the bucket"),
  ]);
  return { ok: database.ok && bucket.ok, checks: { database, bucket } };
}

/**
 * `checkReadiness`, shared: callers at the same moment wait for one check, and an answer younger than a second
 * is reused. `now` is a monotonic millisecond clock.
 */
export function sharedReadiness(
  deps: ReadinessDeps,
  now: () => number = () => performance.now(),
): () => Promise<Readiness> {
  let last: { at: number; answer: Promise<Readiness> } | undefined;
  return () => {
    const at = now();
    if (!last || at - last.at >= REUSE_MS) last = { at, answer: checkReadiness(deps) };
    return last.answer;
  };
}
