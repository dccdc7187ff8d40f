/// <reference lib="webworker" />
import { digestBlob } from "@signet/client";

/** A request to hash one part, and the answer (matched by `id`: one worker serves every part of every upload). */
export type PartHashRequest = { id: number; blob: Blob };
export type PartHashAnswer = { id: number; checksum: string } | { id: number; error: string };

// Reading a part's bytes and Web Crypto's digest both happen here, off the page's thread, while earlier parts
// upload; a part is at most one multipart part (16 MiB by default) in memory at a time.
const scope = self as unknown as DedicatedWorkerGlobalScope;
const never = new AbortController().signal;

scope.onmessage = async (event: MessageEvent<PartHashRequest>) => {
  const { id, blob } = event.data;
  try {
    scope.postMessage({ id, checksum: await digestBlob(blob, () => {}, never) } satisfies PartHashAnswer);
  } catch (error) {
    scope.postMessage({
      id,
      error: error instanceof Error ? error.message : String(error),
    } satisfies PartHashAnswer);
  }
};
