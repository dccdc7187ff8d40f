import { abortError, type Hasher } from "@signet/client";
import type { ChecksumMessage } from "./checksum.worker.ts";

/** The browser `Hasher`: one short-lived Web Worker per file, terminated on completion or cancel. */
export const workerHasher: Hasher = (file, onProgress, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError());
      return;
    }
    const worker = new Worker(new URL("./checksum.worker.ts", import.meta.url), { type: "module" });
    const finish = () => {
      worker.terminate();
      signal.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      finish();
      reject(abortError());
    };
    signal.addEventListener("abort", onAbort, { once: true });
    worker.onmessage = (event: MessageEvent<ChecksumMessage>) => {
      const message = event.data;
      if (message.type === "progress") onProgress(message.hashed);
      else if (message.type === "done") {
        finish();
        resolve(message.checksum);
      } else {
        finish();
        reject(new Error(`Could not read the file to compute its checksum: ${message.message}`));
      }
    };
    worker.onerror = (event) => {
      finish();
      reject(new Error(`Checksum worker failed: ${event.message}`));
    };
    worker.postMessage({ file });
  });
