/** The engine's single-PUT tests share these: the files procedures recorded, a scripted transport, no waiting. */
import type { TRPCClient } from "@trpc/client";
import { filesEndpoint } from "../src/files-endpoint.ts";
import { fetchPut, type PutRequest, type PutTransport } from "../src/transport.ts";
import type { AppRouter } from "./app-router.ts";

/** The files procedures through the tRPC client, recording which were called. */
export function recordedFilesEndpoint(trpc: TRPCClient<AppRouter>, calls: string[] = []) {
  return filesEndpoint({
    createUpload: (input) => {
      calls.push("create");
      return trpc.files.createUpload.mutate(input);
    },
    completeUpload: (input) => {
      calls.push(`complete ${input.fileId}`);
      return trpc.files.completeUpload.mutate(input);
    },
    abortUpload: (input) => {
      calls.push(`abort ${input.fileId}`);
      return trpc.files.abortUpload.mutate(input);
    },
  });
}

/** A transport that runs `script[n]` for the n-th PUT (the real fetchPut once the script is exhausted). */
export function scriptedRequests(script: ((request: PutRequest) => ReturnType<PutTransport>)[]) {
  const sent: PutRequest[] = [];
  const put: PutTransport = (request) => {
    const step = script[sent.length] ?? fetchPut;
    sent.push(request);
    return step(request);
  };
  return { put, sent };
}

/** A `sleep` that records each wait and returns at once. */
export const noWait = (waits: number[]) => async (ms: number) => {
  waits.push(ms);
};

/** Whether the server no longer knows the upload (released: its row is gone). */
export async function isReleased(trpc: TRPCClient<AppRouter>, fileId: string): Promise<boolean> {
  return trpc.files.get.query({ fileId }).then(
    () => false,
    (error: { data?: { code?: string } }) => error.data?.code === "NOT_FOUND",
  );
}
