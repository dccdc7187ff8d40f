/**
 * Latency for every storage call and database statement, and a traced request's spans for them, by wrapping the
 * two objects the services already receive: no service knows it is measured.
 */
import { type Database, driverOf, throughClient } from "@signet/db";
import type { Storage } from "../deps.ts";
import type { TraceScope } from "../ground.ts";
import type { GroupCommitWitness } from "../services/group-commit.ts";
import type { Metrics } from "./metrics.ts";
import type { Histogram, HistogramChild } from "./prom.ts";

const STORAGE_OPERATIONS = [
  "presignPut",
  "presignGet",
  "headObject",
  "getObjectRange",
  "copyObject",
  "deleteObject",
  "listObjects",
  "abortMultipartUpload",
  "createMultipartUpload",
  "presignUploadPart",
  "listParts",
  "completeMultipartUpload",
  "listMultipartUploads",
] as const satisfies readonly (keyof Storage)[];

/** A histogram's child per label value, looked up once (otherwise every call joins the label values). */
function children<L extends string>(
  histogram: Histogram<L>,
  label: L,
  extra: Partial<Record<L, string>> = {},
) {
  const cache = new Map<string, HistogramChild>();
  return (value: string) => {
    let child = cache.get(value);
    if (!child) {
      child = histogram.labels({ [label]: value, ...extra } as Record<L, string>);
      cache.set(value, child);
    }
    return child;
  };
}

/** Times `work` into `observe` (seconds). */
function measured<T>(observe: (seconds: number, ok: boolean) => void, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  return work().then(
    (value) => {
      observe((performance.now() - started) / 1000, true);
      return value;
    },
    (error: unknown) => {
      observe((performance.now() - started) / 1000, false);
      throw error;
    },
  );
}

/** A storage call's span: "sign …" for the presignings, "storage …" for the requests. */
const spanNames = new Map(
  STORAGE_OPERATIONS.map((operation) => [
    operation,
    `${operation.startsWith("presign") ? "sign" : "storage"} ${operation}`,
  ]),
);

/**
 * The storage, measured: `signet_storage_call_duration_seconds{operation}` and one count per part URL signed.
 * Methods beyond `Storage` (the doctor's) stay reachable, unmeasured, through the prototype.
 */
export function instrumentStorage(storage: Storage, metrics: Metrics): Storage {
  const ok = children(metrics.storageDuration, "operation", { outcome: "ok" });
  const failed = children(metrics.storageDuration, "operation", { outcome: "error" });
  const measuredStorage = Object.create(storage) as Record<string, unknown>;
  for (const operation of STORAGE_OPERATIONS) {
    const call = (storage[operation] as (...args: unknown[]) => Promise<unknown>).bind(storage);
    const observe = (seconds: number, success: boolean) =>
      (success ? ok : failed)(operation).observe(seconds);
    measuredStorage[operation] =
      operation === "presignUploadPart"
        ? (...args: unknown[]) => {
            metrics.partsSigned.inc();
            return measured(observe, () => call(...args));
          }
        : (...args: unknown[]) => measured(observe, () => call(...args));
  }
  return measuredStorage as unknown as Storage;
}

const SCOPE = Symbol("trace scope");
type Scoped = { [SCOPE]: TraceScope };

/**
 * How a traced request (or pass) gets its storage: each call a child span of its scope. The methods are made
 * once, on a prototype; each request's storage is one object holding its scope.
 */
export function tracingStorage(storage: Storage): (scope: TraceScope) => Storage {
  const prototype = Object.create(storage) as Record<string, unknown>;
  for (const [operation, name] of spanNames) {
    const call = storage[operation] as (...args: unknown[]) => Promise<unknown>;
    prototype[operation] = function (this: Scoped, ...args: unknown[]) {
      return this[SCOPE].span(name, () => call.apply(storage, args));
    };
  }
  return (scope) => Object.create(prototype, { [SCOPE]: { value: scope } }) as Storage;
}

const OPERATIONS = new Set(["select", "insert", "update", "delete", "with", "pragma"]);

/** The statement's verb, from a closed set (never the SQL text, which may name a user or key in a literal). */
function operationOf(statement: unknown): string {
  const text = typeof statement === "string" ? statement : (statement as { sql?: unknown })?.sql;
  if (typeof text !== "string") return "other";
  const verb = /^\s*(\w+)/.exec(text)?.[1]?.toLowerCase() ?? "";
  return OPERATIONS.has(verb) ? verb : "other";
}

interface LibsqlClient {
  execute(statement: unknown, ...rest: unknown[]): Promise<unknown>;
  batch(statements: unknown[], ...rest: unknown[]): Promise<unknown>;
}

const instrumented = new WeakSet<object>();

/**
 * Measures the client under `db` (Drizzle holds that client, so every query passes here):
 * `signet_db_statement_duration_seconds{operation}` per statement or batch (the announce batch is one). libSQL:
 * every statement and batch; D1: its batches (a D1 statement runs through objects made per call). Idempotent per
 * client.
 */
export function instrumentDatabase(db: Database, metrics: Metrics): void {
  let client: Partial<LibsqlClient> | undefined;
  let driver: string;
  try {
    driver = driverOf(db);
    client = (db as unknown as { $client?: Partial<LibsqlClient> }).$client;
  } catch {
    return; // not opened by @signet/db's createDb: nothing known to wrap
  }
  if (!client || instrumented.has(client)) return;
  instrumented.add(client);
  const duration = children(metrics.dbDuration, "operation");
  if (driver === "libsql" && client.execute) {
    const execute = client.execute.bind(client);
    client.execute = (statement, ...rest) => {
      const operation = operationOf(statement);
      return measured(
        (seconds) => duration(operation).observe(seconds),
        () => execute(statement, ...rest),
      );
    };
  }
  if (client.batch) {
    const batch = client.batch.bind(client);
    client.batch = (statements, ...rest) =>
      measured(
        (seconds) => duration("batch").observe(seconds),
        () => batch(statements, ...rest),
      );
  }
}

/** The client of a traced request's view: a span per statement and batch, everything else the client's own. */
class TracingClient implements ProxyHandler<LibsqlClient>, GroupCommitWitness {
  constructor(private readonly scope: TraceScope) {}

  get(client: LibsqlClient, name: string | symbol): unknown {
    const scope = this.scope;
    if (name === "execute") {
      return (statement: unknown, ...rest: unknown[]) =>
        scope.span(`db ${operationOf(statement)}`, () => client.execute(statement, ...rest));
    }
    if (name === "batch") {
      return (statements: unknown[], ...rest: unknown[]) =>
        scope.span("db batch", () => client.batch(statements, ...rest));
    }
    if (name === "groupCommitted") return this.groupCommitted.bind(this);
    // The client's methods use private fields: they are called on the client itself.
    const value = Reflect.get(client, name, client);
    return typeof value === "function" ? value.bind(client) : value;
  }

  groupCommitted(started: number, requests: number): void {
    this.scope.record("db batch", started, performance.now(), { "signet.group_commit.requests": requests });
  }
}

/**
 * How a traced request (or pass) gets its database: a view of `db` (`throughClient`) whose client makes a child
 * span of its scope per statement and batch (libSQL; D1: per batch), and hears of a group commit that carried the
 * request's batch with others (`GroupCommitWitness`), recorded as the request's own "db batch" span.
 */
export function tracingDatabase(db: Database): (scope: TraceScope) => Database {
  const client = (db as unknown as { $client: LibsqlClient }).$client;
  return (scope) => throughClient(db, new Proxy(client, new TracingClient(scope)));
}
