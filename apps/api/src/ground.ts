/**
 * The ground floor: the small shared types every layer speaks (time, logging, who acts, where a request came
 * from). A leaf module: it imports nothing of the app, so anything may import it without a cycle.
 */

/** The current time. Injected so expiry can be tested without waiting. */
export type Clock = () => Date;

/** One structured log line. Never contains secrets, tokens, cookies or signed URLs. */
export type LogEntry = { level: "info" | "warn" | "error"; msg: string } & Record<string, unknown>;
export type Logger = (entry: LogEntry) => void;

/** One JSON line for a log entry, stamped with the time. */
export function logLine(entry: LogEntry): string {
  return JSON.stringify({ time: new Date().toISOString(), ...entry });
}

/** Writes one JSON line per entry through `console.log` (what Workers collect). */
export const jsonLogger: Logger = (entry) => {
  console.log(logLine(entry));
};

/**
 * Writes JSON lines through `write`, the lines of one turn of the event loop together: under load a server
 * answers many requests per turn, and one write per request (a synchronous syscall on a pipe or terminal) cost
 * more than building the line. `flush()` writes what is waiting at once (call it on exit).
 */
export function batchedJsonLogger(
  write: (text: string) => void,
  later: (run: () => void) => void,
): Logger & { flush(): void } {
  let pending = "";
  const flush = () => {
    if (!pending) return;
    const text = pending;
    pending = "";
    write(text);
  };
  const logger = (entry: LogEntry) => {
    if (!pending) later(flush);
    pending += `${logLine(entry)}\n`;
  };
  return Object.assign(logger, { flush });
}

/**
 * One sampled request's (or background pass's) place in a trace, handed down explicitly: observability gives the
 * request a database, storage and logger bound to it, so nothing finds the active span through an
 * AsyncLocalStorage, whose cost on Node 20 every promise of every request pays (BENCHMARKS.md, "Observability
 * overhead"). Unsampled work has none.
 */
export interface TraceScope {
  /** This span's ids, for log lines. */
  readonly ids: { trace_id: string; span_id: string };
  /** Runs `fn` in a child span of this one; `fn` gets the child's scope. */
  span<T>(name: string, fn: (scope: TraceScope) => Promise<T>, attributes?: SpanAttributes): Promise<T>;
  /** A child span already timed (`performance.now()` values): work shared with other requests, such as one commit. */
  record(name: string, started: number, ended: number, attributes?: SpanAttributes): void;
}

export type SpanAttributes = Record<string, string | number | boolean>;

/** What a personal API key may do; each scope includes the ones before it. */
export type ApiKeyScope = "read" | "upload" | "full";

/** The signed-in user a service acts for. */
export interface Actor {
  id: string;
  name: string;
  email: string;
  /** Set when the caller authenticated with a personal API key rather than a session. */
  apiKey?: { id: string; scope: ApiKeyScope };
}

/** Where a call came from, for the audit trail. */
export interface RequestMeta {
  requestId: string;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/**
 * The other end of the connection, handed to the fetch handler by each runtime entry (the seam knows how its
 * runtime reports it).
 */
export interface Peer {
  address?: string | undefined;
}

/**
 * The header that carries the client's address from the HTTP shell (which decides it once) to Better Auth (which
 * reads it for its rate limits and sessions); a client's own copy is always dropped.
 */
export const CLIENT_IP_HEADER = "x-signet-client-ip";
