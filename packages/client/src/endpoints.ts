/**
 * The server side of an upload, as the engine sees it: announce a file and get a plan, verify what arrived, or
 * release what was reserved. Adapters fit Signet's two upload procedures (`files-endpoint.ts`,
 * `profile-endpoint.ts`); the API calls themselves are injected, so the SPA's tRPC client, a script's tRPC client
 * or REST can drive them.
 */

/** The facts the server signs into the upload. */
export interface FileFacts {
  name: string;
  contentType: string;
  size: number;
  /**
   * Base64 SHA-256 of the whole file, as `x-amz-checksum-sha256`. Left out for a file the endpoint uploads in
   * parts (each part carries its own checksum), so nothing is hashed before the first byte leaves.
   */
  checksumSha256?: string;
}

/** One pre-signed PUT for the whole file, with the exact header map the storage will check. */
export interface SinglePutPlan {
  plan: "single";
  /** The server's handle for this upload, passed back to `complete` and `abort` (files: the fileId). */
  id: string;
  url: string;
  method: "PUT";
  headers: Record<string, string>;
}

/** Parts of `partSize` bytes (the last one smaller), each signed on demand with its checksum. */
export interface MultipartPlan {
  plan: "multipart";
  /** The server's handle for this upload (files: the fileId). */
  id: string;
  partSize: number;
  partCount: number;
}

/** How the server wants a file sent. */
export type UploadPlan = SinglePutPlan | MultipartPlan;

/** One part URL: PUT exactly that part's bytes with exactly `headers` before `expiresAt`. */
export interface SignedPart {
  partNumber: number;
  url: string;
  headers: Record<string, string>;
  expiresAt: string;
}

/** A part the storage holds, as the server read it from the storage. */
export interface ArrivedPart {
  partNumber: number;
  size: number;
  checksumSha256: string | null;
}

/** The multipart half of an endpoint (files only; the profile image is always one PUT). */
export interface MultipartEndpoint {
  /** Files of at least this many bytes are announced without a whole-file checksum and sent in parts. */
  multipartThreshold(): Promise<number>;
  /**
   * The part size the server usually plans (`limits.multipartPartSize`), when it says: the engine hashes the
   * first part while the upload is announced and keeps that checksum only if the plan's part size matches.
   */
  usualPartSize?(): Promise<number | undefined>;
  signParts(
    plan: MultipartPlan,
    parts: { partNumber: number; checksumSha256: string }[],
  ): Promise<SignedPart[]>;
  /** The upload's layout and the parts that arrived: what a resume sends is everything else. */
  listParts(id: string): Promise<{ partSize: number; partCount: number; parts: ArrivedPart[] }>;
}

/** What the upload engine needs from the server; `R` is what a verified upload answers. */
export interface UploadEndpoint<R> {
  /** Announces the file (the server reserves quota, records it, signs the upload). */
  announce(file: FileFacts): Promise<UploadPlan>;
  /** Asks the server to verify what arrived; rejects when the server refused it (it has then removed it). */
  complete(plan: UploadPlan): Promise<R>;
  /** Releases what the server reserved for an upload that will not be completed. */
  abort(plan: UploadPlan): Promise<unknown>;
  /** Present when the endpoint can take large files in parts. */
  multipart?: MultipartEndpoint;
}

/** The plan of a ticket for one PUT, whatever the procedure calls its handle and URL. */
export function singlePut(
  id: string,
  url: string,
  ticket: Pick<SinglePutPlan, "method" | "headers">,
): SinglePutPlan {
  return { plan: "single", id, url, method: ticket.method, headers: ticket.headers };
}
