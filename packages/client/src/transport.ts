/** The storage PUT, injectable: browsers pass `xhrPut` for upload progress, scripts and tests `fetchPut`. */
import { abortError, isAbortError, TransportError } from "./errors.ts";

export interface PutRequest {
  url: string;
  method: "PUT";
  /** The exact header map the API signed; the transport drops only what the runtime sets itself. */
  headers: Record<string, string>;
  body: Blob;
  /** Called as bytes leave; `loaded` only grows within one request. */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

/** What the storage answered; any status, the caller decides what is a failure. */
export interface PutResponse {
  status: number;
  body: string;
  etag: string | null;
  /** The Retry-After header, when the storage sent one (and, in browsers, CORS exposes it). */
  retryAfter?: string | null;
}

/**
 * Sends one PUT. Resolves with whatever the storage answered (including 4xx/5xx); rejects with a
 * `TransportError` when no HTTP answer could be read (network, CORS, timeout) and with an `AbortError`
 * `DOMException` when the signal fires.
 */
export type PutTransport = ((request: PutRequest) => Promise<PutResponse>) & {
  /**
   * True when `onProgress` follows the bytes as they leave (XHR), so a silence means a stalled transfer; fetch
   * reports only start and end, so the engine watches for stalls only on transports that say true.
   */
  readonly progressEvents?: boolean;
};

// Browsers and fetch compute these themselves (and refuse a script that sets them); the storage still sees the
// exact values that were signed because the body is sent unchanged.
const RUNTIME_MANAGED = new Set(["content-length", "host"]);

/** The API's signed header map minus what the runtime must set itself. */
export function headersToSend(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!RUNTIME_MANAGED.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

/**
 * The PUT over `fetch`, for Node, Bun, Deno, workers and scripts. fetch has no upload progress events, so
 * progress is reported once when the request starts and once when the storage has answered.
 */
export const fetchPut: PutTransport = async (request) => {
  if (request.signal?.aborted) throw abortError();
  const total = request.body.size;
  request.onProgress?.(0, total);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: headersToSend(request.headers),
      body: request.body,
      signal: request.signal ?? null,
    });
  } catch (error) {
    if (isAbortError(error) || request.signal?.aborted) throw abortError();
    throw new TransportError("network", error instanceof Error ? error.message : String(error));
  }
  const body = await response.text();
  if (response.ok) request.onProgress?.(total, total);
  return {
    status: response.status,
    body,
    etag: response.headers.get("etag"),
    retryAfter: response.headers.get("retry-after"),
  };
};
