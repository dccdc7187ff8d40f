import type { UploadSession } from "../../session.ts";
import type { PartChecksums } from "./part-checksums.ts";

/** Progress of an upload in parts: whole parts that arrived, plus each part in flight at its own high-water mark. */
export class PartProgress {
  #arrived = 0;
  readonly #inFlight = new Map<number, number>();

  constructor(
    private readonly session: UploadSession<unknown>,
    private readonly checksums: PartChecksums,
  ) {}

  /** Part n is on the server (sent now, or before a resume). */
  arrived(n: number) {
    this.#inFlight.delete(n);
    this.#arrived += this.checksums.part(n).size;
  }

  /** Part n's transfer reached `loaded` bytes; a retry starting again at zero does not move the figure back. */
  sending(n: number, loaded: number) {
    const size = this.checksums.part(n).size;
    if (loaded <= (this.#inFlight.get(n) ?? 0)) return;
    this.#inFlight.set(n, Math.min(loaded, size));
    this.report();
  }

  report() {
    let inFlight = 0;
    for (const value of this.#inFlight.values()) inFlight += value;
    this.session.uploaded(this.#arrived + inFlight, this.checksums.hashed);
  }
}
