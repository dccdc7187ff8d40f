import type { UploadEndpoint } from "./endpoints.ts";
import { abortError, EmptyFileError } from "./errors.ts";
import { digestBlob, type Hasher, hashBlob } from "./hash-blob.ts";
import { sendMultipart } from "./plans/multipart.ts";
import { sendSinglePut } from "./plans/single-put.ts";
import type { ResumeRecord } from "./resume-store.ts";
import { type Sleep, sleep } from "./retry.ts";
import { createRetryPolicy, DEFAULT_RETRY, type RetryPolicy } from "./retry-policy.ts";
import { type UploadProgress, UploadSession } from "./session.ts";
import { detectStalls, realTimer, type Timer } from "./stall-detector.ts";
import { fetchPut, type PutTransport } from "./transport.ts";

/** How long a transport that reports progress as bytes leave may go silent before its request is retried. */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

export interface UploaderOptions<R> {
  /** The server side: `filesEndpoint(api)`, `profileImageEndpoint(api)` or your own. */
  endpoint: UploadEndpoint<R>;
  /** Sends one PUT; default `fetchPut`. Browsers pass `xhrPut` for upload progress. */
  put?: PutTransport;
  /** Computes the SHA-256 signed into the URL; default `hashBlob` (incremental, flat memory). */
  hash?: Hasher;
  /** Computes each part's SHA-256 in a multipart upload; default `digestBlob` (Web Crypto, one part at a time). */
  partHash?: Hasher;
  /**
   * Decides every retry (PUTs, part signing): default 1 s, 3 s, 9 s with jitter, Retry-After obeyed, expired URLs
   * signed again. Build one with `createRetryPolicy`.
   */
  retryPolicy?: RetryPolicy;
  /** Shorthand for `createRetryPolicy({ delays })`: exactly these waits, no jitter; `[]` disables retries. */
  retryDelays?: readonly number[];
  /**
   * A request whose progress stays silent this long is aborted and retried. Default 30 s on transports whose
   * progress follows the bytes (`xhrPut`), off on the others (fetch reports only start and end); 0 turns it off.
   */
  stallTimeoutMs?: number;
  /** Injectable for tests: the sleep between retries, the stall timer and the wall clock (URL expiry). */
  sleep?: Sleep;
  timer?: Timer;
  now?: () => number;
  /** Parts in flight at once for a multipart upload (default 4). */
  partConcurrency?: number;
}

export interface UploadOptions {
  /** The name the server records; default the File's own name. */
  name?: string;
  /** Default the Blob's type, or `application/octet-stream`. */
  contentType?: string;
  /** Cancels the upload; the server's reservation is released before `upload()` settles. */
  signal?: AbortSignal;
  onProgress?: (progress: UploadProgress) => void;
  /**
   * Multipart only: stops sending but keeps the server's upload, so `upload(file, { resume })` carries on
   * later. `upload()` then rejects with an AbortError.
   */
  pause?: AbortSignal;
  /** Multipart only: continue this interrupted upload (the record `journal` was given); only missing parts go. */
  resume?: ResumeRecord;
  /** Multipart only: receives the record to keep for a resume whenever it changes, `null` when done. */
  journal?: (record: ResumeRecord | null) => void;
}

export interface Uploader<R> {
  /**
   * Uploads one file: hash → announce (sign) → PUT with progress → retry → verify. Resolves with the server's
   * verdict; rejects with an `UploadFailure` (message ready for a user), the endpoint's own API error, or an
   * `AbortError`. It settles only once everything it asked of the server has been answered.
   */
  upload(file: Blob, options?: UploadOptions): Promise<R>;
}

/**
 * An upload engine bound to one endpoint and one set of transports.
 *
 * @example
 * const uploader = createUploader({ endpoint: filesEndpoint(api) });
 * const file = await uploader.upload(blob, { name: "report.pdf", onProgress: (p) => console.log(p.loaded) });
 */
export function createUploader<R>(options: UploaderOptions<R>): Uploader<R> {
  const put = options.put ?? fetchPut;
  const stallTimeoutMs = options.stallTimeoutMs ?? (put.progressEvents ? DEFAULT_STALL_TIMEOUT_MS : 0);
  const now = options.now ?? Date.now;
  const tools = {
    endpoint: options.endpoint,
    put: stallTimeoutMs > 0 ? detectStalls(put, stallTimeoutMs, options.timer ?? realTimer) : put,
    hash: options.hash ?? hashBlob,
    partHash: options.partHash ?? digestBlob,
    sleep: options.sleep ?? sleep,
    retryPolicy:
      options.retryPolicy ??
      createRetryPolicy(
        options.retryDelays ? { delays: options.retryDelays, now } : { ...DEFAULT_RETRY, now },
      ),
    now,
    checksums: new WeakMap<Blob, string>(),
  };
  const partConcurrency = Math.max(1, options.partConcurrency ?? 4);
  const multipart = options.endpoint.multipart;
  /** Whether this file goes in parts: a resume always does; otherwise the server's threshold decides. */
  async function inParts(file: Blob, resume: ResumeRecord | undefined): Promise<boolean> {
    if (resume) return true;
    return multipart !== undefined && file.size >= (await multipart.multipartThreshold());
  }
  return {
    async upload(file, uploadOptions = {}) {
      const signal = uploadOptions.signal ?? new AbortController().signal;
      if (signal.aborted) throw abortError();
      if (file.size === 0) throw new EmptyFileError();
      const facts = {
        name: uploadOptions.name ?? (file as Partial<File>).name ?? "upload",
        contentType: uploadOptions.contentType ?? (file.type || "application/octet-stream"),
        size: file.size,
      };
      const session = new UploadSession(file, facts, tools, signal, uploadOptions.onProgress);
      const { resume, journal, pause } = uploadOptions;
      let parts = false;
      try {
        parts = await inParts(file, resume);
        if (parts) {
          if (!multipart) throw new Error("this endpoint cannot resume uploads in parts");
          return await sendMultipart(session, multipart, {
            concurrency: partConcurrency,
            resume,
            journal,
            pause,
          });
        }
        return await sendSinglePut(session);
      } catch (error) {
        if (signal.aborted) {
          journal?.(null);
          session.releaseHeld();
          throw abortError();
        }
        // An upload in parts that stopped for any other reason (paused, a part refused, the network gone, the
        // page closing) keeps the server's upload: a resume sends only what is missing.
        if (!parts) session.releaseHeld();
        throw pause?.aborted ? abortError() : error;
      } finally {
        await session.settle();
      }
    },
  };
}
