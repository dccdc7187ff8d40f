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
function singlePut(
  id: string,
  url: string,
  ticket: Pick<SinglePutPlan, "method" | "headers">,
): SinglePutPlan {
  return { plan: "single", id, url, method: ticket.method, headers: ticket.headers };
}

/** What `files.createUpload` answers: one PUT, or parts. */
export type CreateUploadAnswer =
  | { fileId: string; plan?: "single"; url: string; method: "PUT"; headers: Record<string, string> }
  | { fileId: string; plan: "multipart"; partSize: number; partCount: number };

/** `files.createUpload`'s input for a file: the checksum only when there is one (a file sent in parts has none). */
function createUploadInput(file: FileFacts): Parameters<FilesApi<unknown>["createUpload"]>[0] {
  return {
    filename: file.name,
    contentType: file.contentType,
    size: file.size,
    ...(file.checksumSha256 ? { checksumSha256: file.checksumSha256 } : {}),
  };
}

/** How `files.createUpload`'s answer says to send the file. */
function planOf(answer: CreateUploadAnswer): UploadPlan {
  if (answer.plan === "multipart") {
    const { partSize, partCount } = answer;
    return { plan: "multipart", id: answer.fileId, partSize, partCount };
  }
  return singlePut(answer.fileId, answer.url, answer);
}

/** Signet's files procedures, as plain async functions. */
export interface FilesApi<F> {
  createUpload(input: {
    filename: string;
    contentType: string;
    size: number;
    checksumSha256?: string;
  }): Promise<CreateUploadAnswer>;
  completeUpload(input: { fileId: string }): Promise<F>;
  abortUpload(input: { fileId: string }): Promise<unknown>;
  /** `files.signParts`; with `listParts` and `limits`, enables multipart uploads. */
  signParts?(input: {
    fileId: string;
    parts: { partNumber: number; checksumSha256: string }[];
  }): Promise<{ parts: SignedPart[] }>;
  /** `files.listParts`. */
  listParts?(input: {
    fileId: string;
  }): Promise<{ partSize: number; partCount: number; parts: ArrivedPart[] }>;
  /** The public `limits` query (only `multipartThresholdBytes` and `multipartPartSize` are read). */
  limits?(): Promise<{ multipartThresholdBytes?: number; multipartPartSize?: number }>;
}

/** What `trpcFilesApi` reads of a tRPC client of Signet's `AppRouter` (typed by shape: no server import). */
export interface SignetTrpc<F> {
  files: {
    createUpload: { mutate: FilesApi<F>["createUpload"] };
    completeUpload: { mutate: FilesApi<F>["completeUpload"] };
    abortUpload: { mutate: FilesApi<F>["abortUpload"] };
    signParts: { mutate: NonNullable<FilesApi<F>["signParts"]> };
    listParts: { query: NonNullable<FilesApi<F>["listParts"]> };
  };
  limits: { query: NonNullable<FilesApi<F>["limits"]> };
}

/**
 * The files procedures (multipart included) of a tRPC client, for `filesEndpoint`.
 *
 * @example
 *   const trpc = createTRPCClient<AppRouter>({ links: [httpLink({ url, headers })] });
 *   const uploader = createUploader({ endpoint: filesEndpoint(trpcFilesApi(trpc)) });
 */
export function trpcFilesApi<F>(trpc: SignetTrpc<F>): FilesApi<F> {
  const { files } = trpc;
  return {
    createUpload: (input) => files.createUpload.mutate(input),
    completeUpload: (input) => files.completeUpload.mutate(input),
    abortUpload: (input) => files.abortUpload.mutate(input),
    signParts: (input) => files.signParts.mutate(input),
    listParts: (input) => files.listParts.query(input),
    limits: () => trpc.limits.query(),
  };
}

/**
 * Uploads into the user's files: the result is the verified file row.
 *
 * @example filesEndpoint({ createUpload: (i) => trpc.files.createUpload.mutate(i), … })
 */
export function filesEndpoint<F>(api: FilesApi<F>): UploadEndpoint<F> {
  const { signParts, listParts, limits } = api;
  let loaded: Promise<{ multipartThresholdBytes?: number; multipartPartSize?: number }> | null = null;
  /** The limits, read once (again after a failure). */
  const readLimits = (load: NonNullable<typeof limits>) => {
    loaded ??= load().catch((error: unknown) => {
      loaded = null;
      throw error;
    });
    return loaded;
  };
  const multipart: MultipartEndpoint | undefined =
    signParts && listParts && limits
      ? {
          async multipartThreshold() {
            return (await readLimits(limits)).multipartThresholdBytes ?? Number.POSITIVE_INFINITY;
          },
          async usualPartSize() {
            return (await readLimits(limits)).multipartPartSize;
          },
          signParts: async (plan, parts) => (await signParts({ fileId: plan.id, parts })).parts,
          listParts: (id) => listParts({ fileId: id }),
        }
      : undefined;
  return {
    announce: async (file) => planOf(await api.createUpload(createUploadInput(file))),
    complete: (plan) => api.completeUpload({ fileId: plan.id }),
    abort: (plan) => api.abortUpload({ fileId: plan.id }),
    ...(multipart ? { multipart } : {}),
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
      return singlePut(ticket.key, ticket.presignedUrl, ticket);
    },
    complete: () => api.completeImageUpload(),
    abort: async () => {},
  };
}
