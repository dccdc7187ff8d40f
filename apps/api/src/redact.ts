/**
 * Scrubbing for anything that reaches a log line: URLs lose their query string (where presigned signatures and
 * credentials live), and bearer tokens, cookies and secret-looking key/value pairs are masked.
 */
import type { Logger } from "./ground.ts";

const URL_WITH_QUERY = /\b(https?:\/\/[^\s"'<>?#]+)\?[^\s"'<>]*/gi;
const SIGNATURE_PARAM = /(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const SECRET_PAIR =
  /\b((?:secret|password|token|cookie|authorization)[a-z_-]*["']?\s*[:=]\s*["']?)[^"'\s,;}]+/gi;

/** Every pattern above needs one of these; most log strings (ids, paths, methods) have none. */
const MAY_HOLD_SECRET = /[?=:]|bearer/i;

/** The text with every secret-bearing part replaced. */
export function redact(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  return text
    .replace(URL_WITH_QUERY, "$1?[redacted]")
    .replace(SIGNATURE_PARAM, "$1[redacted]")
    .replace(BEARER, "$1[redacted]")
    .replace(SECRET_PAIR, "$1[redacted]");
}

function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === "string") return redact(value);
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = /secret|password|token|cookie|authorization|signature/i.test(k)
      ? "[redacted]"
      : scrubValue(v, depth + 1);
  }
  return out;
}

const scrubbing = new WeakSet<Logger>();

/** Wraps a logger so nothing it receives can leak a secret, whoever calls it (a wrapped one is kept as is). */
export function redactingLogger(logger: Logger): Logger {
  if (scrubbing.has(logger)) return logger;
  const wrapped: Logger = (entry) => logger(scrubValue(entry, 0) as typeof entry);
  scrubbing.add(wrapped);
  return wrapped;
}

/** An error as a loggable object (name, code, message, stack, and its causes in turn), redacted. */
export interface DescribedError {
  name?: string;
  code?: string;
  message: string;
  stack?: string;
  cause?: DescribedError;
}

/**
 * An error as a loggable object. Its `cause` chain is kept (a few levels): the error a query builder throws
 * ("Failed query: …") wraps the one that says what went wrong (SQLITE_FULL, ENOSPC).
 */
export function describeError(error: unknown, depth = 0): DescribedError {
  if (!(error instanceof Error)) return { message: redact(String(error)) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    ...(typeof code === "string" || typeof code === "number" ? { code: String(code) } : {}),
    message: redact(error.message),
    stack: redact(error.stack ?? ""),
    ...(error.cause !== undefined && depth < 4 ? { cause: describeError(error.cause, depth + 1) } : {}),
  };
}
