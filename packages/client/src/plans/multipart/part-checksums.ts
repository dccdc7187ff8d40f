/**
 * Part checksums, hashed one after another in part order (each behind the previous), so part n+1 is hashed
 * while part n uploads and hashing never stands before the first byte for longer than one part. Memory holds
 * checksums, never a part's bytes: a part is a `Blob.slice`, read only by the hasher and the transport.
 */
import { abortError } from "../../errors.ts";
import type { Hasher } from "../../hash-blob.ts";

/** Part `n` (from 1) of `file` cut in `partSize` pieces; the last one is shorter. */
export function partBlob(file: Blob, partSize: number, n: number): Blob {
  return file.slice((n - 1) * partSize, Math.min(file.size, n * partSize));
}

export class PartChecksums {
  /** Bytes hashed so far, for progress. */
  hashed = 0;
  #chain: Promise<unknown> = Promise.resolve();
  readonly #known = new Map<number, Promise<string>>();

  constructor(
    readonly file: Blob,
    readonly partSize: number,
    private readonly hasher: Hasher,
    private readonly signal: AbortSignal,
  ) {}

  part(n: number): Blob {
    return partBlob(this.file, this.partSize, n);
  }

  /** Takes a checksum computed before the plan was known (the first part, hashed while announcing) as part n's. */
  adopt(n: number, checksum: Promise<string>) {
    this.#remember(n, checksum);
  }

  /** Part n's base64 SHA-256, hashed once, after every part asked for before it. */
  of(n: number): Promise<string> {
    const known = this.#known.get(n);
    if (known) return known;
    return this.#remember(
      n,
      this.#chain.then(() => {
        if (this.signal.aborted) throw abortError();
        return this.hasher(this.part(n), () => {}, this.signal);
      }),
    );
  }

  #remember(n: number, checksum: Promise<string>): Promise<string> {
    this.#known.set(n, checksum);
    this.#chain = checksum.catch(() => {});
    checksum.then(
      () => {
        this.hashed += this.part(n).size;
      },
      () => {},
    );
    return checksum;
  }
}
