/**
 * The server side of an upload, as the engine sees it: announce a file and get a plan, verify what arrived, or
 * release what was reserved. Adapters below fit Signet's two upload procedures (files and the profile image);
 * the API calls themselves are injected, so the SPA's tRPC client, a script's tRPC client or REST can drive them.
 */

/** The facts the server signs into the upload. */
export interface FileFacts {
  name: string;
  contentType: string;
  size: number;
  /** Base64 SHA-256 of the whole file, as `x-amz-checksum-sha256`. */
  checksumSha256: string;
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

/** How the server wants a file sent. Only a single PUT today; multipart joins as a second member. */
export type UploadPlan = SinglePutPlan;

/** What the upload engine needs from the server; `R` is what a verified upload answers. */
export interface UploadEndpoint<R> {
  /** Announces the file (the server reserves quota, records it, signs the upload). */
  announce(file: FileFacts): Promise<UploadPlan>;
  /** Asks the server to verify what arrived; rejects when the server refused it (it has then removed it). */
  complete(plan: UploadPlan): Promise<R>;
  /** Releases what the server reserved for an upload that will not be completed. */
  abort(plan: UploadPlan): Promise<unknown>;
}

/** Signet's `files.createUpload` / `completeUpload` / `abortUpload`, as plain async functions. */
export interface FilesApi<F> {
  createUpload(input: {
    filename: string;
    contentType: string;
    size: number;
    checksumSha256?: string;
  }): Promise<{ fileId: string; url: string; method: "PUT"; headers: Record<string, string> }>;
  completeUpload(input: { fileId: string }): Promise<F>;
  abortUpload(input: { fileId: string }): Promise<unknown>;
}

/**
 * Uploads into the user's files: the result is the verified file row.
 *
 * @example filesEndpoint({ createUpload: (i) => trpc.files.createUpload.mutate(i), … })
 */
export function filesEndpoint<F>(api: FilesApi<F>): UploadEndpoint<F> {
  return {
    async announce(file) {
      const ticket = await api.createUpload({
        filename: file.name,
        contentType: file.contentType,
        size: file.size,
        checksumSha256: file.checksumSha256,
      });
      return {
        plan: "single",
        id: ticket.fileId,
        url: ticket.url,
        method: ticket.method,
        headers: ticket.headers,
      };
    },
    complete: (plan) => api.completeUpload({ fileId: plan.id }),
    abort: (plan) => api.abortUpload({ fileId: plan.id }),
  };
}

/** Signet's `profile.createImageUpload` / `completeImageUpload`, as plain async functions. */
export interface ProfileImageApi<I> {
  createImageUpload(input: {
    contentType: string;
    fileSize: number;
    originalFilename?: string;
    checksumSha256?: string;
  }): Promise<{ presignedUrl: string; method: "PUT"; headers: Record<string, string>; key: string }>;
  completeImageUpload(): Promise<I>;
}

/**
 * Uploads the user's profile image: the result is the new image. Nothing needs releasing on abort: the PUT goes
 * to a per-upload staging key that only `completeImageUpload` ever promotes.
 */
export function profileImageEndpoint<I>(api: ProfileImageApi<I>): UploadEndpoint<I> {
  return {
    async announce(file) {
      const ticket = await api.createImageUpload({
        contentType: file.contentType,
        fileSize: file.size,
        originalFilename: file.name,
        checksumSha256: file.checksumSha256,
      });
      return {
        plan: "single",
        id: ticket.key,
        url: ticket.presignedUrl,
        method: ticket.method,
        headers: ticket.headers,
      };
    },
    complete: () => api.completeImageUpload(),
    abort: async () => {},
  };
}
