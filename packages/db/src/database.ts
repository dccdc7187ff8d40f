/**
 * The driver-neutral database type. Services, Better Auth and the sweeper see only this, so the same code runs on
 * libSQL (a file, a server, or over HTTP) and on Cloudflare D1: whatever a driver adds beyond it (its client, its
 * result shapes) stays inside this package.
 */
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type * as schema from "./schema.ts";

/**
 * The Drizzle database Signet uses everywhere, typed with the full schema. `run()` results are driver-specific
 * (`unknown` here): read changed rows with `.returning()`. `batch` is atomic on every driver (D1 has no
 * interactive transactions, so there is no `transaction` to reach for).
 */
export type Database = Omit<BaseSQLiteDatabase<"async", unknown, typeof schema>, "transaction"> & {
  batch<U extends BatchItem<"sqlite">, T extends Readonly<[U, ...U[]]>>(batch: T): Promise<BatchResponse<T>>;
};

/** Which driver a database came from; migrations and closing differ per driver. */
export type Driver = "libsql" | "d1";

/** One statement as its driver takes it: SQL text with `?` and the values bound to them, in order. */
export interface Statement {
  sql: string;
  args: unknown[];
}

/** What a statement did: rows changed, and the rows it returned (`RETURNING`, `SELECT`) by column name. */
export interface StatementResult {
  rowsAffected: number;
  rows: Record<string, unknown>[];
}

interface Handle {
  driver: Driver;
  close(): void;
  /** Runs the statements through `client`: the database's own, or the one a view sends its statements through. */
  batch(client: unknown, statements: readonly Statement[]): Promise<StatementResult[]>;
}

const handles = new WeakMap<object, Handle>();
/** On a view (`throughClient`): the database it was made from. */
const BASE = Symbol("view of");
type View = Database & { [BASE]?: Database };

/** The database opened by `createDb` that `db` is, or is a view of (`throughClient`). */
export function baseOf(db: Database): Database {
  return (db as View)[BASE] ?? db;
}

function handleOf(db: Database, caller: string): Handle {
  const handle = handles.get(baseOf(db));
  if (!handle) throw new Error(`${caller}: this database was not opened by @signet/db's createDb`);
  return handle;
}

function clientOf(db: Database): unknown {
  return (db as unknown as { $client: unknown }).$client;
}

/**
 * A view of `db` whose statements go through `client`, a wrapper of its own client (libSQL's, or the D1 binding)
 * that forwards every call to it: how one traced request's statements are told apart from everyone else's
 * without an AsyncLocalStorage. Drizzle's query builders, `db.batch` and `runBatch` on the view all use `client`;
 * everything else (the dialect, the schema, what `baseOf` keys) is the database's. Cheap: two objects.
 */
export function throughClient(db: Database, client: object): Database {
  const base = baseOf(db);
  let make = viewMakers.get(base);
  if (!make) {
    make = viewMaker(base);
    viewMakers.set(base, make);
  }
  return make(client);
}

const viewMakers = new WeakMap<Database, (client: object) => Database>();

/**
 * Views of `base` made by constructors whose prototypes are the database and its session: a traced request makes
 * one per request, and an object literal per view (or `Object.create` with descriptors) cost more than the rest
 * of the view's work.
 */
function viewMaker(base: Database): (client: object) => Database {
  // Drizzle's builders take `this.session` and its prepared queries `session.client`; nothing else holds a client.
  const Session = function (this: { client: object }, client: object) {
    this.client = client;
  } as unknown as new (
    client: object,
  ) => object;
  Session.prototype = (base as unknown as { session: object }).session;
  const ViewOf = function (this: Record<string | symbol, unknown>, client: object) {
    this.session = new Session(client);
    this.$client = client;
    this[BASE] = base;
  } as unknown as new (
    client: object,
  ) => Database;
  ViewOf.prototype = base;
  return (client) => new ViewOf(client);
}

/**
 * A Drizzle prepared query built on `baseOf(db)`, run through `db`'s client when `db` is a view. libSQL's
 * prepared queries call `this.client` on every run; D1's hold a statement prepared by the binding itself, so on
 * D1 the query runs as built.
 */
export function preparedOn<Q extends object>(query: Q, db: Database): Q {
  if (db === baseOf(db) || !("client" in query)) return query;
  const view = Object.create(query) as Q & { client: unknown };
  view.client = clientOf(db);
  return view;
}

/** Records how to close a database this package opened (internal to the factory). */
export function register<T extends object>(db: T, handle: Handle): T {
  handles.set(db, handle);
  return db;
}

/** The driver behind a database opened by `createDb`. */
export function driverOf(db: Database): Driver {
  return handleOf(db, "driverOf").driver;
}

/**
 * Runs statements already built (SQL text and values) as one atomic batch, the way `db.batch` runs Drizzle
 * queries: for the hot paths that build their SQL text once instead of through Drizzle on every request.
 */
export function runBatch(db: Database, statements: readonly Statement[]): Promise<StatementResult[]> {
  return handleOf(db, "runBatch").batch(clientOf(db), statements);
}

/** Releases the database's connection (libSQL); a D1 binding has nothing to release. Safe to call twice. */
export function closeDb(db: Database): void {
  handles.get(baseOf(db))?.close();
}
