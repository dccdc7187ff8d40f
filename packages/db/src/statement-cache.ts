/**
 * A prepared-statement cache for file databases. `@libsql/client`'s native client prepares every statement
 * again on every call: about a tenth of the CPU of issuing an upload URL went to `prepare` (BENCHMARKS.md, "API
 * profile"), for the same few dozen SQL texts Drizzle builds over and over. Each connection now keeps its
 * statements by SQL text, least recently used out first.
 *
 * The client's connections are `libsql` Database objects it creates itself, so the cache sits on that class's
 * `prepare`; `libsql` is a direct dependency at the range the client asks for, so both resolve to one copy (a
 * test checks that the cache is really in the path). Reusing a statement is what the class is built for: the
 * client runs each one to completion synchronously before the next call, and resets it before every run.
 */
import Database from "libsql";

/** Statements kept per connection. Drizzle's SQL texts are few; IN-lists of varying length are what evicts. */
export const STATEMENTS_PER_CONNECTION = 500;

type Connection = InstanceType<typeof Database>;
type Statement = ReturnType<Connection["prepare"]>;

const caches = new WeakMap<object, Map<string, Statement>>();
const stats = { hits: 0, misses: 0 };
let installed = false;

/** Makes every `libsql` connection in this process reuse its prepared statements. Idempotent. */
export function cacheStatements(): void {
  if (installed) return;
  installed = true;
  const prototype = Database.prototype as { prepare(this: Connection, sql: string): Statement };
  const prepare = prototype.prepare;
  prototype.prepare = function cachedPrepare(this: Connection, sql: string): Statement {
    let cache = caches.get(this);
    if (!cache) {
      cache = new Map();
      caches.set(this, cache);
    }
    const hit = cache.get(sql);
    if (hit) {
      stats.hits++;
      // Map order is insertion order: moving a hit to the end keeps the first entry the least recently used.
      cache.delete(sql);
      cache.set(sql, hit);
      return hit;
    }
    stats.misses++;
    const statement = prepare.call(this, sql);
    rememberColumns(statement);
    if (cache.size >= STATEMENTS_PER_CONNECTION) cache.delete(cache.keys().next().value as string);
    cache.set(sql, statement);
    return statement;
  };
}

/**
 * The client asks a statement for its result columns twice on every run, and the native call builds them anew
 * each time: the largest single cost of a read on the issuance path (BENCHMARKS.md, "API profile"). They are
 * fixed for the statement's life: a cached statement already keeps the columns it was prepared with (the schema
 * only changes in migrations, before anything is served).
 */
function rememberColumns(statement: Statement): void {
  const columns = statement.columns.bind(statement);
  let remembered: ReturnType<Statement["columns"]> | undefined;
  statement.columns = () => {
    remembered ??= columns();
    return remembered;
  };
}

/** Cache hits and misses so far in this process (tests, diagnostics). */
export function statementCacheStats(): { hits: number; misses: number } {
  return { ...stats };
}
