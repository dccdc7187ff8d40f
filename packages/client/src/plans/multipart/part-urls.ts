/**
 * Part URLs: signed in batches ahead of the parts being sent (as soon as a part's checksum is known) and cached
 * until shortly before they expire; a part that finds none asks for its own. One signing request at a time:
 * what queues up meanwhile goes in the next batch, so a window of parts costs one round trip, not one each.
 */
import type { MultipartEndpoint, MultipartPlan, SignedPart } from "../../endpoints.ts";
import { abortError } from "../../errors.ts";

/** A URL with less than this left is signed again rather than raced against its expiry. */
export const EXPIRY_MARGIN_MS = 30_000;
/** Parts per signing request. */
const BATCH = 100;

interface Waiting {
  partNumber: number;
  checksumSha256: string;
  resolve: (part: SignedPart) => void;
  reject: (error: unknown) => void;
}

export class PartUrls {
  readonly #signed = new Map<number, SignedPart>();
  readonly #signing = new Map<number, Promise<SignedPart>>();
  #queue: Waiting[] = [];
  #flushing = false;
  /** False once the server signs URLs that live shorter than the margin: signing ahead would be waste. */
  #ahead = true;

  constructor(
    private readonly endpoint: MultipartEndpoint,
    private readonly plan: MultipartPlan,
    private readonly signal: AbortSignal,
    /** Wall-clock milliseconds, as `expiresAt` is. */
    private readonly now: () => number,
  ) {}

  /** A live URL for part n signed with `checksum`: the cached one, or one from the next batch. */
  urlFor(partNumber: number, checksumSha256: string): Promise<SignedPart> {
    const cached = this.#signed.get(partNumber);
    if (cached && this.#lasts(cached)) return Promise.resolve(cached);
    this.#signed.delete(partNumber);
    const pending = this.#signing.get(partNumber);
    if (pending) return pending;
    // Forgotten once settled either way, so after a failure the next ask signs again.
    const signed = new Promise<SignedPart>((resolve, reject) => {
      this.#queue.push({ partNumber, checksumSha256, resolve, reject });
    }).finally(() => this.#signing.delete(partNumber));
    signed.catch(() => {});
    this.#signing.set(partNumber, signed);
    void this.#flush();
    return signed;
  }

  /** Signs part n now, before it is sent, unless it has a URL or URLs live too briefly to keep. */
  signAhead(partNumber: number, checksumSha256: string) {
    if (this.#ahead && !this.signal.aborted && !this.#signed.has(partNumber)) {
      this.urlFor(partNumber, checksumSha256).catch(() => {});
    }
  }

  /** Drops part n's URL (the storage said it expired). */
  forget(partNumber: number) {
    this.#signed.delete(partNumber);
  }

  #lasts(part: SignedPart): boolean {
    return Date.parse(part.expiresAt) - this.now() > EXPIRY_MARGIN_MS;
  }

  async #flush() {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#queue.length > 0 && !this.signal.aborted) {
        const batch = this.#queue.splice(0, BATCH);
        try {
          const request = batch.map(({ partNumber, checksumSha256 }) => ({ partNumber, checksumSha256 }));
          this.#settle(batch, await this.endpoint.signParts(this.plan, request));
        } catch (error) {
          for (const waiting of batch) waiting.reject(error);
        }
      }
      for (const waiting of this.#queue.splice(0)) waiting.reject(abortError());
    } finally {
      this.#flushing = false;
    }
  }

  #settle(batch: Waiting[], signed: SignedPart[]) {
    for (const waiting of batch) {
      const part = signed.find((s) => s.partNumber === waiting.partNumber);
      if (!part) {
        waiting.reject(new Error(`the server did not sign part ${waiting.partNumber}`));
        continue;
      }
      this.#signed.set(waiting.partNumber, part);
      if (!this.#lasts(part)) this.#ahead = false;
      waiting.resolve(part);
    }
  }
}
