/** What the multipart tests share: patterned bytes, a scripted transport, and reading an upload back. */
import { createHash } from "node:crypto";
import type { TRPCClient } from "@trpc/client";
import { fetchPut, type PutRequest, type PutTransport } from "../src/transport.ts";
import type { AppRouter } from "./app-router.ts";

export const MiB = 1024 * 1024;

/** Bytes no one will mistake for another file (every fourth byte set, which is quick at 80 MiB). */
export function patterned(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Runs `script[n]` for the n-th PUT, the real fetchPut after that; records every part number sent. */
export function scripted(script: ((request: PutRequest) => ReturnType<PutTransport>)[] = []) {
  const sent: number[] = [];
  const put: PutTransport = (request) => {
    const step = script[sent.length] ?? fetchPut;
    sent.push(Number(new URL(request.url).searchParams.get("partNumber")));
    return step(request);
  };
  return { put, sent };
}

/** The SHA-256 (hex) of what a download of the file returns. */
export async function downloadedSha(trpc: TRPCClient<AppRouter>, fileId: string): Promise<string> {
  const { url } = await trpc.files.downloadUrl.query({ fileId });
  return sha(new Uint8Array(await (await fetch(url)).arrayBuffer()));
}
