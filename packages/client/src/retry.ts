import { abortError } from "./errors.ts";

/** Waits between attempts of a failed PUT: 1 s, 3 s, 9 s, then the failure is the caller's. */
export const DEFAULT_RETRY_DELAYS: readonly number[] = [1000, 3000, 9000];

/** Resolves after `ms`, or rejects with an AbortError as soon as the signal fires. Injectable for tests. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** The real clock's `Sleep`. */
export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
