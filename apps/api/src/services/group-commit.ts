/**
 * Group commit for the issuance path. Each announce (and each download count) is a small batch of guarded
 * statements; committed one transaction per request, the transaction's own cost (BEGIN, COMMIT, the WAL frames
 * of the same few pages) was what bounded `files.createUpload` (BENCHMARKS.md, "API profile"). Here the batches
 * that arrive in the same event-loop turn, or while a commit is in flight, are committed as ONE transaction.
 *
 * Every request is still decided on its own: its statements keep their own conditions (`insertWhere`: rate limit,
 * quota, the row's existence), run in arrival order, and each sees the rows committed before it in the group, so
 * quotas stay exact. A refusal is a guarded insert that inserts nothing, never an error, so it fails no one else.
 * A statement that does throw rolls the whole group back; the group's batches are then committed one by one, so
 * only the request it belongs to fails. No promise settles before its transaction has committed: what a client is
 * told was recorded is on disk, as before.
 *
 * The wait is bounded and free when idle: the first batch waits only for the end of the current event-loop turn
 * (setImmediate), never for a timer. Nothing is grouped on Workers (D1, or libSQL over HTTP): a Worker must not
 * finish one request's I/O from another request's context.
 */
import { baseOf, type Database, driverOf, runBatch, type Statement, type StatementResult } from "@signet/db";

/** Most requests one transaction carries, so one commit's latency stays bounded under any load. */
export const MAX_GROUP = 128;

/**
 * A database client that wants to hear that its request's batch was committed together with others (a traced
 * request's, which records the commit as its own span): the group runs on the database's own client, not on the
 * views (`throughClient`) the requests hold.
 */
export interface GroupCommitWitness {
  /** The group holding this client's batch committed; it began at `started` (`performance.now()`). */
  groupCommitted(started: number, requests: number): void;
}

interface Waiting {
  /** The requester's database: the group's, or a view of it. */
  db: Database;
  statements: readonly Statement[];
  resolve(results: StatementResult[]): void;
  reject(error: unknown): void;
}

/** How many requests each commit carried, for tests and the bench (process-wide). */
const stats = { commits: 0, requests: 0, largest: 0 };

export function groupCommitStats(): { commits: number; requests: number; largest: number } {
  return { ...stats };
}

class Group {
  private queue: Waiting[] = [];
  private scheduled = false;
  private committing = false;

  constructor(private readonly db: Database) {}

  add(waiting: Waiting): void {
    this.queue.push(waiting);
    this.schedule();
  }

  private schedule(): void {
    // While a commit is in flight, arrivals wait for it to end; it schedules the next one.
    if (this.scheduled || this.committing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.commitNext();
    });
  }

  private async commitNext(): Promise<void> {
    const group = this.queue.splice(0, MAX_GROUP);
    if (group.length === 0) return;
    this.committing = true;
    try {
      await commit(this.db, group);
    } finally {
      this.committing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}

async function commit(db: Database, group: Waiting[]): Promise<void> {
  stats.commits++;
  stats.requests += group.length;
  stats.largest = Math.max(stats.largest, group.length);
  if (group.length > 1) {
    const started = performance.now();
    let results: StatementResult[];
    try {
      results = await runBatch(
        db,
        group.flatMap((waiting) => waiting.statements),
      );
    } catch {
      // Rolled back as a whole: commit each request's batch alone, so only the one that throws fails.
      for (const waiting of group) await commitAlone(waiting);
      return;
    }
    let at = 0;
    for (const waiting of group) {
      if (waiting.db !== db) witnessOf(waiting.db)?.groupCommitted?.(started, group.length);
      waiting.resolve(results.slice(at, at + waiting.statements.length));
      at += waiting.statements.length;
    }
    return;
  }
  await commitAlone(group[0]!);
}

function witnessOf(db: Database): Partial<GroupCommitWitness> | undefined {
  return (db as unknown as { $client?: Partial<GroupCommitWitness> }).$client;
}

/** One request's batch alone, on its own database (a view's client sees it as it sees any batch). */
async function commitAlone(waiting: Waiting): Promise<void> {
  try {
    waiting.resolve(await runBatch(waiting.db, waiting.statements));
  } catch (error) {
    waiting.reject(error);
  }
}

function onWorkers(): boolean {
  return (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === "Cloudflare-Workers";
}

function isLibsql(db: Database): boolean {
  try {
    return driverOf(db) === "libsql";
  } catch {
    // Not opened by createDb: nothing known about it, so no grouping.
    return false;
  }
}

const groups = new WeakMap<Database, Group | null>();

function groupFor(db: Database): Group | null {
  let group = groups.get(db);
  if (group === undefined) {
    group = isLibsql(db) && typeof setImmediate === "function" && !onWorkers() ? new Group(db) : null;
    groups.set(db, group);
  }
  return group;
}

/**
 * `runBatch(db, statements)`, committed together with the other batches waiting at the same moment (one
 * transaction for all of them). Resolves with this batch's own results once that transaction has committed.
 */
export function batchGrouped(db: Database, statements: readonly Statement[]): Promise<StatementResult[]> {
  const group = groupFor(baseOf(db));
  if (!group) return runBatch(db, statements);
  return new Promise((resolve, reject) => group.add({ db, statements, resolve, reject }));
}
