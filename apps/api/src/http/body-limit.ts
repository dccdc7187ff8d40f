/**
 * A request-body limit that refuses cleanly. Hono's bodyLimit answers 413 without reading the body and lets the
 * answer promise keep-alive; the server then drops the connection to get rid of the unread bytes, so the client's
 * next request on it fails with ECONNRESET (and a reset can even destroy the 413 before the client reads it).
 * Here the oversized body is read and discarded up to a bound, and the answer says `Connection: close`: the client
 * reads the 413, sees the connection end, and opens a new one for its next request.
 */
import type { Context, MiddlewareHandler } from "hono";

export interface BodyLimitOptions {
  /** The largest body accepted, in bytes. */
  maxSize: number;
  /** The answer for a larger body (its `Connection: close` is added here). */
  onError: (c: Context) => Response | Promise<Response>;
  /** Read and discard at most this much of a refused body (default 8 MiB)… */
  drainBytes?: number;
  /** …for at most this long (default 2 s); past either bound the connection closes with bytes unread. */
  drainMs?: number;
}

/** Reads and drops what is left of a body, within the bounds; never throws. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, maxBytes: number, maxMs: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((done) => {
    timer = setTimeout(() => done("timeout"), maxMs);
  });
  try {
    let read = 0;
    while (read <= maxBytes) {
      const chunk = await Promise.race([reader.read(), timeout]);
      if (chunk === "timeout" || chunk.done) break;
      read += chunk.value.byteLength;
    }
  } catch {
    // The client went away: nothing left to drain.
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
}

/** The answer, marked so the connection closes after it. */
export function closingConnection(response: Response): Response {
  const closing = new Response(response.body, response);
  closing.headers.set("connection", "close");
  return closing;
}

/** Hono middleware: bodies over `maxSize` get `onError`'s answer on a connection that then closes cleanly. */
export function bodyLimit({
  maxSize,
  onError,
  drainBytes = 8 * 1024 * 1024,
  drainMs = 2000,
}: BodyLimitOptions): MiddlewareHandler {
  return async (c, next) => {
    // Decided from the headers first: touching `body` makes Node's adapter build a full WHATWG Request, which
    // cost a visible share of every API request; a request within its declared length never needs it.
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") return next();
    const declared = c.req.raw.headers.get("content-length");
    const counted = declared === null || c.req.raw.headers.has("transfer-encoding");
    if (!counted && Number(declared) <= maxSize) return next();
    const body = c.req.raw.body;
    if (!body) return next();
    const refuse = async (reader: ReadableStreamDefaultReader<Uint8Array>) => {
      await drain(reader, drainBytes, drainMs);
      return closingConnection(await onError(c));
    };
    if (!counted) return refuse(body.getReader());
    // No declared length (chunked, or a Request built in-process): count while buffering, stop at the limit.
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxSize) return refuse(reader);
      chunks.push(value);
    }
    const buffer = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      buffer.set(chunk, offset);
      offset += chunk.byteLength;
    }
    c.req.raw = new Request(c.req.raw, { body: buffer });
    return next();
  };
}
