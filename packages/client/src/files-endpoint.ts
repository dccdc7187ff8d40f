/** Signet's files procedures (multipart included) as an `UploadEndpoint`, from plain functions or a tRPC client. */
import {
  type ArrivedPart,
  type FileFacts,
  type MultipartEndpoint,
  type SignedPart,
  singlePut,
  type UploadEndpoint,
  type UploadPlan,
} from "./endpoints.ts";

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
