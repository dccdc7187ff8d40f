/**
 * One call of `upload()`: the state every plan shares (progress, the server-side upload it holds, releasing it
 * exactly once when the upload will not complete). Plans drive it; they never talk to the endpoint directly.
 */
import type { FileFacts, SinglePutPlan, UploadEndpoint, UploadPlan } from "./endpoints.ts";
import { abortError, isAbortError, TransportError } from "./errors.ts";
import type { Hasher } from "./hash-blob.ts";
import type { Sleep } from "./retry.ts";
import type { RetryPolicy } from "./retry-policy.ts";
import type { PutResponse, PutTransport } from "./transport.ts";

/** Where an upload is, as reported to `onProgress`. */
export interface UploadProgress {
  phase: "hashing" | "signing" | "uploading" | "verifying";
  /** Bytes read to compute the checksum. */
  hashed: number;
  /** Bytes the storage has received; never decreases during one `upload()` call, retries included. */
  loaded: number;
  /** The file's size. */
  total: number;
}

/** The injected parts a session works with. */
export interface SessionTools<R> {
  endpoint: UploadEndpoint<R>;
  put: PutTransport;
  hash: Hasher;
  /** Hashes one part of a multipart upload. */
  partHash: Hasher;
  sleep: Sleep;
  /** Decides every retry of every plan. */
  retryPolicy: RetryPolicy;
  /** Wall-clock milliseconds (URL expiry). */
  now: () => number;
  /** Checksums of blobs this uploader already hashed, so a retried file is not read twice. */
  checksums: WeakMap<Blob, string>;
}

export class UploadSession<R> {
  readonly progress: UploadProgress;
  #held: UploadPlan | null = null;
  #verifying = false;
  readonly #releases = new Set<Promise<void>>();
  readonly #released = new WeakSet<UploadPlan>();
  readonly #onAbort = () => this.releaseHeld();

  constructor(
    readonly file: Blob,
    readonly facts: Omit<FileFacts, "checksumSha256">,
    readonly tools: SessionTools<R>,
    readonly signal: AbortSignal,
    private readonly onProgress: ((progress: UploadProgress) => void) | undefined,
  ) {
    this.progress = { phase: "hashing", hashed: 0, loaded: 0, total: file.size };
    // Synchronous on abort, so the server hears of a cancelled upload at once (and even if the page then unloads).
    signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  #report(patch: Partial<UploadProgress>) {
    Object.assign(this.progress, patch);
    this.onProgress?.({ ...this.progress });
  }

  throwIfAborted() {
    if (this.signal.aborted) throw abortError();
  }

  /** The whole file's base64 SHA-256, computed once per blob per uploader. */
  async checksum(): Promise<string> {
    const known = this.tools.checksums.get(this.file);
    if (known) {
      this.#report({ phase: "hashing", hashed: this.file.size });
      return known;
    }
    this.#report({ phase: "hashing", hashed: 0 });
    const checksum = await this.tools.hash(this.file, (hashed) => this.#report({ hashed }), this.signal);
    this.throwIfAborted();
    this.tools.checksums.set(this.file, checksum);
    return checksum;
  }

  /**
   * Announces the file (with its whole-file checksum for a single PUT, without for parts); the plan is held
   * (and released if the upload ends early) until verification starts.
   */
  async announce(checksumSha256?: string): Promise<UploadPlan> {
    this.throwIfAborted();
    this.#report({ phase: "signing" });
    const plan = await this.tools.endpoint.announce(
      checksumSha256 ? { ...this.facts, checksumSha256 } : { ...this.facts },
    );
    this.#held = plan;
    // Cancelled while the server was signing: it now holds a reservation nobody will use.
    if (this.signal.aborted) {
      this.releaseHeld();
      throw abortError();
    }
    return plan;
  }

  /** Sends one PUT; progress is counted from `offset` and never moves back. */
  async put(plan: SinglePutPlan, body: Blob, offset = 0): Promise<PutResponse> {
    this.throwIfAborted();
    this.#report({ phase: "uploading" });
    try {
      return await this.tools.put({
        url: plan.url,
        method: plan.method,
        headers: plan.headers,
        body,
        signal: this.signal,
        onProgress: (loaded) => {
          if (this.signal.aborted) return;
          const total = Math.min(offset + loaded, this.progress.total);
          if (total > this.progress.loaded) this.#report({ loaded: total });
        },
      });
    } catch (error) {
      if (this.signal.aborted || isAbortError(error)) throw abortError();
      if (error instanceof TransportError) throw error;
      // fetch-like transports reject with a TypeError for network failures; name it for the retry rules.
      throw new TransportError("network", error instanceof Error ? error.message : String(error));
    }
  }

  /** Holds `plan` as this session's own (a resumed upload: releasing it on cancel is then this session's job). */
  hold(plan: UploadPlan) {
    this.#held = plan;
  }

  /** Reports bytes the storage has received across parts; the figure never moves back. */
  uploaded(loaded: number, hashed = this.progress.hashed) {
    if (this.signal.aborted) return;
    const total = Math.min(loaded, this.progress.total);
    this.#report({ phase: "uploading", loaded: Math.max(total, this.progress.loaded), hashed });
  }

  /** Waits before the next attempt; an abort ends the wait at once. */
  backoff(ms: number): Promise<void> {
    return this.tools.sleep(ms, this.signal);
  }

  /** Releases `plan` on the server (once) and forgets it. */
  release(plan: UploadPlan) {
    if (this.#held === plan) this.#held = null;
    if (this.#released.has(plan)) return;
    this.#released.add(plan);
    // Best effort: if this fails, the server's own expiry sweep releases the reservation later.
    const done = this.tools.endpoint.abort(plan).then(
      () => {},
      () => {},
    );
    this.#releases.add(done);
  }

  /** Releases the held plan unless the server is already verifying it (then the server owns the outcome). */
  releaseHeld() {
    if (this.#held && !this.#verifying) this.release(this.#held);
  }

  /** Hands the upload to the server for verification; from here on an abort no longer releases it. */
  async verify(plan: UploadPlan): Promise<R> {
    this.throwIfAborted();
    this.#verifying = true;
    this.#report({ phase: "verifying", loaded: this.progress.total });
    return this.tools.endpoint.complete(plan);
  }

  /** Resolves once every release this session started has been answered (or failed). */
  async settle(): Promise<void> {
    this.signal.removeEventListener("abort", this.#onAbort);
    while (this.#releases.size > 0) {
      const pending = [...this.#releases];
      this.#releases.clear();
      await Promise.all(pending);
    }
  }
}
