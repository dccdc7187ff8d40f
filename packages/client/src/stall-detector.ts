/**
 * A transfer that stops moving: no progress for `stallTimeoutMs` aborts the request, which then fails with a
 * `TransportError("stall")` for the retry policy. The watch starts with the first progress report, so a request
 * the browser is still queueing for a connection is not taken for a stalled one.
 */
import { abortError, isAbortError, TransportError } from "./errors.ts";
import type { PutTransport } from "./transport.ts";

/** Calls `fire` after `ms` unless the returned cancel is called first. Injectable so tests control time. */
export type Timer = (ms: number, fire: () => void) => () => void;

/** The real clock's `Timer`. */
export const realTimer: Timer = (ms, fire) => {
  const handle = setTimeout(fire, ms);
  return () => clearTimeout(handle);
};

/** `put`, with every request aborted once its progress has been silent for `stallTimeoutMs`. */
export function detectStalls(
  put: PutTransport,
  stallTimeoutMs: number,
  timer: Timer = realTimer,
): PutTransport {
  const watched: PutTransport = async (request) => {
    if (request.signal?.aborted) throw abortError();
    const stop = new AbortController();
    const signals = request.signal ? [request.signal, stop.signal] : [stop.signal];
    let stalled = false;
    let cancel = () => {};
    const rearm = () => {
      cancel();
      cancel = timer(stallTimeoutMs, () => {
        stalled = true;
        stop.abort();
      });
    };
    try {
      return await put({
        ...request,
        signal: AbortSignal.any(signals),
        onProgress: (loaded, total) => {
          rearm();
          request.onProgress?.(loaded, total);
        },
      });
    } catch (error) {
      if (stalled && !request.signal?.aborted && isAbortError(error)) {
        throw new TransportError("stall", `no progress for ${stallTimeoutMs} ms`);
      }
      throw error;
    } finally {
      cancel();
    }
  };
  return Object.assign(watched, { progressEvents: put.progressEvents === true });
}
