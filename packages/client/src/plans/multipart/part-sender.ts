/**
 * Sends one part until the storage has it: sign (or reuse) its URL, PUT its bytes, and let the retry policy
 * decide every failure (a signing call failing, the network, a stall, a 5xx or 429, an expired URL to sign
 * again). A refusal the policy calls final ends the upload as a `PartRefusal` naming the part.
 */
import type { SignedPart } from "../../endpoints.ts";
import { abortError, isAbortError, PartRefusal, TransportError } from "../../errors.ts";
import { retryCounter } from "../../retry-policy.ts";
import type { UploadSession } from "../../session.ts";
import type { PartChecksums } from "./part-checksums.ts";
import type { PartProgress } from "./part-progress.ts";
import type { PartUrls } from "./part-urls.ts";

export interface PartSending {
  session: UploadSession<unknown>;
  checksums: PartChecksums;
  urls: PartUrls;
  progress: PartProgress;
  /** Fires when the upload stops (cancel, pause, another part's final failure). */
  signal: AbortSignal;
  /** Part n is on the server. */
  onArrived(n: number): void;
}

/** Returns the function that sends part n; it resolves once the storage holds the part. */
export function partSender({ session, checksums, urls, progress, signal, onArrived }: PartSending) {
  const { put, sleep, retryPolicy } = session.tools;

  /** The PUT's outcome: null when the storage took the part, else the failure to decide on. */
  async function attempt(n: number, part: SignedPart): Promise<unknown> {
    try {
      const response = await put({
        url: part.url,
        method: "PUT",
        headers: part.headers,
        body: checksums.part(n),
        signal,
        onProgress: (loaded) => progress.sending(n, loaded),
      });
      if (response.status >= 200 && response.status < 300) return null;
      return new PartRefusal(n, response.status, response.body, response.retryAfter ?? null);
    } catch (error) {
      if (signal.aborted || isAbortError(error)) throw abortError();
      if (error instanceof TransportError) return error;
      // fetch-like transports reject with a TypeError for network failures; name it for the retry policy.
      return new TransportError("network", error instanceof Error ? error.message : String(error));
    }
  }

  return async function sendPart(n: number): Promise<void> {
    const checksum = await checksums.of(n);
    const retries = retryCounter(retryPolicy);
    for (;;) {
      if (signal.aborted) throw abortError();
      let failure: unknown;
      try {
        failure = await attempt(n, await urls.urlFor(n, checksum));
      } catch (error) {
        // The API unreachable (offline) or briefly failing while signing is retried like a part.
        if (signal.aborted) throw abortError();
        failure = error;
      }
      if (failure === null) {
        progress.arrived(n);
        onArrived(n);
        progress.report();
        return;
      }
      const decision = retries.next(failure);
      if (!decision) throw failure;
      if (decision.resign) urls.forget(n);
      if (decision.delayMs > 0) await sleep(decision.delayMs, signal);
    }
  };
}
