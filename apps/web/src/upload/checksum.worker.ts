/// <reference lib="webworker" />
import { hashBlob } from "@signet/client";

/** Messages the checksum worker posts back. */
export type ChecksumMessage =
  | { type: "progress"; hashed: number }
  | { type: "done"; checksum: string }
  | { type: "error"; message: string };

// Hashing runs here so a multi-gigabyte checksum never freezes the page; the main thread ends the work by
// terminating the worker, so no cancellation protocol is needed.
const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async (event: MessageEvent<{ file: Blob }>) => {
  const post = (message: ChecksumMessage) => scope.postMessage(message);
  try {
    const checksum = await hashBlob(event.data.file, (hashed) => post({ type: "progress", hashed }));
    post({ type: "done", checksum });
  } catch (error) {
    post({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
};
