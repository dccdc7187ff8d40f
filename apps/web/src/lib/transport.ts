/** The storage PUT, abstracted so composables can be tested without a browser. */

export interface PutRequest {
  url: string;
  method: "PUT";
  headers: Record<string, string>;
  body: Blob;
  /** Called as bytes leave the browser; `loaded` only grows within one request. */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

/** What the storage answered; any status, the caller decides what is a failure. */
export interface PutResponse {
  status: number;
  body: string;
  etag: string | null;
}

/**
 * Sends one PUT. Resolves with whatever the storage answered (including 4xx/5xx); rejects with a
 * `TransportError` when no HTTP answer could be read (network, CORS, timeout) and with an `AbortError`
 * `DOMException` when the signal fires.
 */
export type PutTransport = (request: PutRequest) => Promise<PutResponse>;

/** A PUT that produced no readable HTTP response. */
export class TransportError extends Error {
  constructor(
    readonly kind: "network" | "timeout",
    message: string,
  ) {
    super(message);
    this.name = "TransportError";
  }
}

/** Computes the base64 SHA-256 of a blob, reporting hashed bytes. */
export type Hasher = (
  file: Blob,
  onProgress: (hashed: number) => void,
  signal: AbortSignal,
) => Promise<string>;

// Browsers compute these themselves and throw if a script tries to set them; the storage still sees the
// exact values that were signed because the body is sent unchanged.
const BROWSER_MANAGED = new Set(["content-length", "host"]);

/** The API's signed header map minus what the browser must set itself. */
export function headersToSend(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!BROWSER_MANAGED.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

/** True for the error a cancelled fetch/XHR/worker rejects with. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

/** The error to reject with when a signal fires. */
export function abortError(): DOMException {
  return new DOMException("The operation was aborted", "AbortError");
}
