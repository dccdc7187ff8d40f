/**
 * A protocol peer for tests, not a server to run: just enough of Hrana over HTTP (version 2, JSON) for
 * `@libsql/client`'s `http:` mode, backed by a local libSQL file. It stands in for a libSQL server (sqld), which
 * cannot be installed here, so the remote paths (`signet backup` of a server database) run against the real client.
 *
 * Each stream (baton) is one connection of its own, so a `BEGIN` … `COMMIT` stays on one connection; a stream ends
 * on `close` or after being idle. Version 3 is refused (404 on its probe), so the client speaks v2 JSON.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Database from "libsql";

type Connection = InstanceType<typeof Database>;
type SqlValue = null | bigint | number | string | Buffer;

interface WireValue {
  type: "null" | "integer" | "float" | "text" | "blob";
  value?: string | number;
  base64?: string;
}
interface Stmt {
  sql?: string;
  sql_id?: number;
  args?: WireValue[];
  named_args?: { name: string; value: WireValue }[];
  want_rows?: boolean;
}
type Cond =
  | { type: "ok" | "error"; step: number }
  | { type: "not"; cond: Cond }
  | { type: "and" | "or"; conds: Cond[] }
  | { type: "is_autocommit" };
interface Request {
  type: string;
  stmt?: Stmt;
  batch?: { steps: { condition?: Cond; stmt: Stmt }[] };
  sql?: string;
  sql_id?: number;
}

export interface HranaServerOptions {
  /** The libSQL file every stream opens. */
  file: string;
  /** The bearer token a request must carry; others get 401. */
  authToken: string;
  /** Streams idle this long are closed (their transaction rolled back). */
  idleMs?: number;
  /** Called before each statement runs, with its SQL: lets a test act at a chosen point of a client's work. */
  beforeStatement?: (sql: string) => void;
}

export interface HranaServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

class HranaError extends Error {
  constructor(
    message: string,
    readonly code = "SQLITE_ERROR",
  ) {
    super(message);
  }
}

interface Stream {
  db: Connection;
  sqls: Map<number, string>;
  idle?: NodeJS.Timeout;
}

function decodeValue(value: WireValue): SqlValue {
  switch (value.type) {
    case "null":
      return null;
    case "integer":
      return BigInt(value.value as string);
    case "float":
      return Number(value.value);
    case "text":
      return String(value.value);
    case "blob":
      return Buffer.from(value.base64 ?? "", "base64");
  }
}

function encodeValue(value: unknown): WireValue {
  if (value === null || value === undefined) return { type: "null" };
  if (typeof value === "bigint") return { type: "integer", value: String(value) };
  if (typeof value === "number") return { type: "float", value };
  if (typeof value === "string") return { type: "text", value };
  if (value instanceof Uint8Array) return { type: "blob", base64: Buffer.from(value).toString("base64") };
  throw new HranaError(`cannot encode a ${typeof value} value`);
}

function sqlOf(stream: Stream, stmt: { sql?: string; sql_id?: number }): string {
  if (stmt.sql !== undefined) return stmt.sql;
  const stored = stmt.sql_id === undefined ? undefined : stream.sqls.get(stmt.sql_id);
  if (stored === undefined) throw new HranaError(`no SQL stored under id ${stmt.sql_id}`);
  return stored;
}

/** Runs one statement the way a Hrana `execute` does, returning its StmtResult. */
function execute(stream: Stream, stmt: Stmt, before?: (sql: string) => void) {
  const sql = sqlOf(stream, stmt);
  before?.(sql);
  try {
    const prepared = stream.db.prepare(sql);
    const named = Object.fromEntries(
      (stmt.named_args ?? []).map((a) => [a.name.replace(/^[:@$]/, ""), decodeValue(a.value)]),
    );
    const args = stmt.named_args?.length ? [named] : (stmt.args ?? []).map(decodeValue);
    if (prepared.reader) {
      prepared.raw(true).safeIntegers(true);
      const rows = (prepared.all(...args) as unknown[][]).map((row) => row.map(encodeValue));
      const cols = prepared.columns().map((c) => ({ name: c.name, decltype: c.type ?? null }));
      return {
        cols,
        rows: stmt.want_rows === false ? [] : rows,
        affected_row_count: 0,
        last_insert_rowid: null,
      };
    }
    const info = prepared.run(...args);
    return {
      cols: [],
      rows: [],
      affected_row_count: Number(info.changes),
      last_insert_rowid: String(info.lastInsertRowid),
    };
  } catch (error) {
    if (error instanceof HranaError) throw error;
    const e = error as { message?: string; code?: string };
    throw new HranaError(e.message ?? String(error), e.code);
  }
}

function holds(cond: Cond | undefined, results: ("ok" | "error" | null)[], stream: Stream): boolean {
  if (!cond) return true;
  switch (cond.type) {
    case "ok":
    case "error":
      return results[cond.step] === cond.type;
    case "not":
      return !holds(cond.cond, results, stream);
    case "and":
      return cond.conds.every((c) => holds(c, results, stream));
    case "or":
      return cond.conds.some((c) => holds(c, results, stream));
    case "is_autocommit":
      return !stream.db.inTransaction;
  }
}

function handle(stream: Stream, request: Request, before?: (sql: string) => void): unknown {
  switch (request.type) {
    case "execute":
      return { type: "execute", result: execute(stream, request.stmt ?? {}, before) };
    case "batch": {
      const outcomes: ("ok" | "error" | null)[] = [];
      const step_results: unknown[] = [];
      const step_errors: unknown[] = [];
      for (const step of request.batch?.steps ?? []) {
        if (!holds(step.condition, outcomes, stream)) {
          outcomes.push(null);
          step_results.push(null);
          step_errors.push(null);
          continue;
        }
        try {
          step_results.push(execute(stream, step.stmt, before));
          step_errors.push(null);
          outcomes.push("ok");
        } catch (error) {
          const e = error as HranaError;
          step_results.push(null);
          step_errors.push({ message: e.message, code: e.code });
          outcomes.push("error");
        }
      }
      return { type: "batch", result: { step_results, step_errors } };
    }
    case "sequence":
      stream.db.exec(sqlOf(stream, request));
      return { type: "sequence" };
    case "store_sql":
      stream.sqls.set(request.sql_id!, request.sql!);
      return { type: "store_sql" };
    case "close_sql":
      stream.sqls.delete(request.sql_id!);
      return { type: "close_sql" };
    case "get_autocommit":
      return { type: "get_autocommit", is_autocommit: !stream.db.inTransaction };
    default:
      throw new HranaError(`request type ${request.type} is not supported by this test server`);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  req.setEncoding("utf8");
  for await (const chunk of req) body += chunk;
  return body;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = typeof body !== "string";
  res.writeHead(status, { "content-type": json ? "application/json" : "text/plain" });
  res.end(json ? JSON.stringify(body) : body);
}

/** Starts the peer on 127.0.0.1, port 0. */
export async function startHranaServer(options: HranaServerOptions): Promise<HranaServer> {
  const streams = new Map<string, Stream>();
  const idleMs = options.idleMs ?? 10_000;

  const closeStream = (baton: string) => {
    const stream = streams.get(baton);
    if (!stream) return;
    streams.delete(baton);
    clearTimeout(stream.idle);
    stream.db.close();
  };

  const pipeline = (body: { baton?: string | null; requests: Request[] }) => {
    let baton = body.baton ?? null;
    let stream: Stream;
    if (baton === null) {
      baton = randomUUID();
      stream = { db: new Database(options.file, { timeout: 5000 }), sqls: new Map() };
      streams.set(baton, stream);
    } else {
      const known = streams.get(baton);
      if (!known) throw new HranaError(`unknown or expired baton`, "STREAM_EXPIRED");
      stream = known;
    }
    clearTimeout(stream.idle);
    const results = body.requests.map((request) => {
      if (request.type === "close") {
        closeStream(baton!);
        return { type: "ok", response: { type: "close" } };
      }
      if (!streams.has(baton!)) return { type: "error", error: { message: "stream is closed" } };
      try {
        return { type: "ok", response: handle(stream, request, options.beforeStatement) };
      } catch (error) {
        const e = error as HranaError;
        return { type: "error", error: { message: e.message, code: e.code } };
      }
    });
    if (!streams.has(baton)) return { baton: null, base_url: null, results };
    stream.idle = setTimeout(() => closeStream(baton!), idleMs).unref();
    return { baton, base_url: null, results };
  };

  const server = createServer(async (req, res) => {
    if (req.method === "GET" && req.url === "/v2") return send(res, 200, "");
    if (req.method !== "POST" || req.url !== "/v2/pipeline") return send(res, 404, "not found");
    if (req.headers.authorization !== `Bearer ${options.authToken}`) {
      return send(res, 401, "invalid or missing auth token");
    }
    try {
      send(res, 200, pipeline(JSON.parse(await readBody(req))));
    } catch (error) {
      const e = error as HranaError;
      send(res, 400, { message: e.message, code: e.code ?? "INVALID_REQUEST" });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const baton of [...streams.keys()]) closeStream(baton);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
