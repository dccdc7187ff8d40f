import { type ComputedRef, computed, type Ref } from "vue";
import { describeApiError } from "../api/errors.ts";
import { attempt, type Result } from "../api/result.ts";
import type { FilesApi, FileView, Limits, SignedDownload } from "../api/types.ts";
import { type UsePagedListReturn, usePagedList } from "../api/usePagedList.ts";
import { formatDuration } from "../ui/format.ts";

// The floor of `files.shareUrl`'s input (a link shorter than a minute is useless); the ceiling is configured on
// the server (SHARE_URL_MAX_TTL) and read from its limits.
const SHARE_MIN_SECONDS = 60;

/** Share-link lifetimes offered to users, before the server's maximum trims them. */
const SHARE_EXPIRY_CHOICES: readonly ShareChoice[] = [
  { label: "1 minute", seconds: 60 },
  { label: "15 minutes", seconds: 15 * 60 },
  { label: "1 hour", seconds: 3600 },
  { label: "1 day", seconds: 86_400 },
  { label: "7 days", seconds: 604_800 },
];

export interface ShareChoice {
  label: string;
  seconds: number;
}

/** What the Files page lists: a folder or a search, in one order, optionally of one type family. */
export interface FileScope {
  folderId: string | null;
  query: string;
  sort?: "date" | "name" | "size" | "type" | undefined;
  type?: string | undefined;
}

export interface UseFilesOptions {
  api: FilesApi;
  pageSize?: number;
  /** The server's limits (the longest share link); until they load, the server alone decides. */
  limits?: Readonly<Ref<Limits | null>>;
  /**
   * What to list: a folder's files (null: the top level's) or, with a query, the search's results. Without it,
   * every file.
   */
  scope?: () => FileScope;
}

/** The paged list, its items named `files`, with each row's actions. */
export interface UseFilesReturn extends Omit<UsePagedListReturn<FileView>, "items"> {
  /** The caller's files, newest first. */
  files: Ref<FileView[]>;
  /** Puts a just-uploaded file at the top without a round trip. */
  upsert(file: FileView): void;
  /** Deletes the object and drops the row. */
  remove(fileId: string): Promise<Result<void>>;
  /** Deletes several files and their objects, and drops their rows. */
  removeMany(fileIds: string[]): Promise<Result<void>>;
  /** Moves files into a folder (null: the top level); they leave the list shown. */
  moveMany(fileIds: string[], folderId: string | null): Promise<Result<void>>;
  /** Renames a file and sets its description and tags; the row shows what the server kept. */
  edit(
    fileId: string,
    details: { filename: string; description: string; tags: string[] },
  ): Promise<Result<void>>;
  /** A short-lived URL that downloads the file as an attachment. */
  downloadLink(fileId: string): Promise<Result<SignedDownload>>;
  /** A URL anyone can use until it expires (1 minute up to the server's maximum). */
  shareLink(fileId: string, expiresIn: number): Promise<Result<SignedDownload>>;
  /** The share-link lifetimes the server allows, shortest first. */
  shareChoices: ComputedRef<readonly ShareChoice[]>;
}

/**
 * Checks a share-link lifetime against the server's maximum before asking it, so the message can say what is
 * allowed. Without a maximum (limits not loaded yet) the server alone judges the upper end.
 */
export function validateShareExpiry(expiresIn: number, maxSeconds = Number.POSITIVE_INFINITY): string | null {
  if (!Number.isInteger(expiresIn) || expiresIn < SHARE_MIN_SECONDS || expiresIn > maxSeconds) {
    return Number.isFinite(maxSeconds)
      ? `Link expiry must be between 1 minute and ${formatDuration(maxSeconds)}.`
      : "Link expiry must be a whole number of seconds, at least 1 minute.";
  }
  return null;
}

/** The file list with its row actions; the API is injected. */
export function useFiles(options: UseFilesOptions): UseFilesReturn {
  const { api } = options;
  const shareMax = () => options.limits?.value?.shareUrlMaxTtl;
  const { items: files, ...paging } = usePagedList({
    list: (input) => {
      const scope = options.scope?.();
      if (!scope) return api.list(input);
      const order = {
        ...(scope.sort ? { sort: scope.sort } : {}),
        ...(scope.type ? { type: scope.type } : {}),
      };
      if (scope.query && api.search) return api.search({ ...input, ...order, query: scope.query });
      return api.list({ ...input, ...order, folderId: scope.folderId ?? "root" });
    },
    pageSize: options.pageSize,
    keep: (file) => file.status !== "deleted",
  });

  return {
    files,
    ...paging,
    upsert(file) {
      const scope = options.scope?.();
      // Only where it belongs: the folder it went into, and not into a search's results.
      if (scope && (scope.query || (scope.folderId ?? null) !== file.folderId)) return;
      files.value = [file, ...files.value.filter((f) => f.id !== file.id)];
    },
    async remove(fileId) {
      const result = await attempt(() => api.delete({ fileId }), describeApiError);
      if (!result.ok) return result;
      files.value = files.value.filter((f) => f.id !== fileId);
      return { ok: true, value: undefined };
    },
    async removeMany(fileIds) {
      const run = api.deleteMany;
      if (!run) return { ok: false, error: "Deleting several files is not available" };
      const result = await attempt(() => run({ fileIds }), describeApiError);
      if (!result.ok) return result;
      const gone = new Set(fileIds);
      files.value = files.value.filter((f) => !gone.has(f.id));
      return { ok: true, value: undefined };
    },
    async moveMany(fileIds, folderId) {
      const run = api.move;
      if (!run) return { ok: false, error: "Moving files is not available" };
      const result = await attempt(() => run({ fileIds, folderId }), describeApiError);
      if (!result.ok) return result;
      const moved = new Set(fileIds);
      files.value = files.value.filter((f) => !moved.has(f.id));
      return { ok: true, value: undefined };
    },
    async edit(fileId, details) {
      const { rename, update } = api;
      if (!rename || !update) return { ok: false, error: "Editing files is not available" };
      const current = files.value.find((f) => f.id === fileId);
      const renamed =
        current && current.originalFilename === details.filename
          ? { ok: true as const, value: current }
          : await attempt(() => rename({ fileId, filename: details.filename }), describeApiError);
      if (!renamed.ok) return renamed;
      const updated = await attempt(
        () => update({ fileId, description: details.description, tags: details.tags }),
        describeApiError,
      );
      if (!updated.ok) return updated;
      files.value = files.value.map((f) => (f.id === fileId ? updated.value : f));
      return { ok: true, value: undefined };
    },
    downloadLink: (fileId) =>
      attempt(() => api.downloadUrl({ fileId, disposition: "attachment" }), describeApiError),
    async shareLink(fileId, expiresIn) {
      const invalid = validateShareExpiry(expiresIn, shareMax());
      if (invalid) return { ok: false, error: invalid };
      return attempt(() => api.shareUrl({ fileId, expiresIn }), describeApiError);
    },
    shareChoices: computed(() => {
      const max = shareMax();
      if (max === undefined) return SHARE_EXPIRY_CHOICES;
      const allowed = SHARE_EXPIRY_CHOICES.filter((choice) => choice.seconds <= max);
      // A maximum between two choices is offered as itself, so the longest link allowed is always one click.
      return allowed.at(-1)?.seconds === max
        ? allowed
        : [...allowed, { label: formatDuration(max), seconds: max }];
    }),
  };
}
