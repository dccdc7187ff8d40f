import { abortError, type Hasher } from "@signet/client";
import type { PartHashAnswer, PartHashRequest } from "./part-hash.worker.ts";

let worker: Worker | null = null;
let nextId = 0;
const waiting = new Map<number, { resolve: (checksum: string) => void; reject: (error: Error) => void }>();

/** The one worker, started on first use and kept: starting one per part would cost more than hashing it. */
function partWorker(): Worker {
  if (worker) return worker;
  const started = new Worker(new URL("./part-hash.worker.ts", import.meta.url), { type: "module" });
  started.onmessage = (event: MessageEvent<PartHashAnswer>) => {
    const answer = event.data;
    const waiter = waiting.get(answer.id);
    waiting.delete(answer.id);
    if (!waiter) return;
    if ("checksum" in answer) waiter.resolve(answer.checksum);
    else waiter.reject(new Error(`Could not read the file to compute its checksum: ${answer.error}`));
  };
  started.onerror = (event) => {
    // A worker that failed to load or crashed answers nothing more: fail what waits, start afresh next time.
    for (const waiter of waiting.values())
      waiter.reject(new Error(`Checksum worker failed: ${event.message}`));
    waiting.clear();
    started.terminate();
    worker = null;
  };
  worker = started;
  return started;
}

/**
 * The browser's hasher of multipart parts: Web Crypto's SHA-256 of each part in a long-lived Web Worker, so
 * neither reading the part nor hashing it ever runs on the page's thread.
 */
export const workerPartHasher: Hasher = (blob, onProgress, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError());
      return;
    }
    const id = ++nextId;
    // Aborting forgets the answer; the worker finishes that one part (at most a part's worth of work).
    const onAbort = () => {
      waiting.delete(id);
      reject(abortError());
    };
    signal.addEventListener("abort", onAbort, { once: true });
    waiting.set(id, {
      resolve: (checksum) => {
        signal.removeEventListener("abort", onAbort);
        onProgress(blob.size);
        resolve(checksum);
      },
      reject: (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    });
    partWorker().postMessage({ id, blob } satisfies PartHashRequest);
  });
