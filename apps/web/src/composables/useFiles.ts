import { type ComputedRef, computed, type Ref, ref } from "vue";
import type { FilesApi, FileView, SignedDownload } from "../lib/api-types.ts";
import { describeApiError } from "../lib/errors.ts";
import { attempt, type Result } from "../lib/result.ts";

export const SHARE_MIN_SECONDS = 60;
export const SHARE_MAX_SECONDS = 604_800;

export interface UseFilesOptions {
  api: FilesApi;
  pageSize?: number;
}

export interface UseFilesReturn {
  /** The caller's files, newest first. */
  files: Ref<FileView[]>;
  loading: Ref<boolean>;
  /** Why the list could not be loaded, if it could not. */
  error: Ref<string | null>;
  hasMore: ComputedRef<boolean>;
  /** Reloads the first page. */
  refresh(): Promise<void>;
  /** Appends the next page. */
  loadMore(): Promise<void>;
  /** Puts a just-uploaded file at the top without a round trip. */
  upsert(file: FileView): void;
  /** Deletes the object and drops the row. */
  remove(fileId: string): Promise<Result<void>>;
  /** A short-lived URL that downloads the file as an attachment. */
  downloadLink(fileId: string): Promise<Result<SignedDownload>>;
  /** A URL anyone can use until it expires (60 s to 7 days). */
  shareLink(fileId: string, expiresIn: number): Promise<Result<SignedDownload>>;
}

/** Checks a share-link lifetime before asking the server, so the message can name the field. */
export function validateShareExpiry(expiresIn: number): string | null {
  if (!Number.isInteger(expiresIn) || expiresIn < SHARE_MIN_SECONDS || expiresIn > SHARE_MAX_SECONDS) {
    return "Link expiry must be between 1 minute and 7 days.";
  }
  return null;
}

/** The file list with its row actions; the API is injected. */
export function useFiles(options: UseFilesOptions): UseFilesReturn {
  const { api } = options;
  const pageSize = options.pageSize ?? 50;
  const files = ref<FileView[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const nextCursor = ref<string | null>(null);
  // Guards against a slow first page landing after a newer refresh.
  let generation = 0;

  async function fetchPage(cursor: string | null, replace: boolean) {
    const mine = ++generation;
    loading.value = true;
    error.value = null;
    try {
      const page = await api.list(cursor ? { cursor, limit: pageSize } : { limit: pageSize });
      if (mine !== generation) return;
      const seen = new Set(replace ? [] : files.value.map((f) => f.id));
      const fresh = page.items.filter((f) => !seen.has(f.id) && f.status !== "deleted");
      files.value = replace ? fresh : [...files.value, ...fresh];
      nextCursor.value = page.nextCursor;
    } catch (err) {
      if (mine === generation) error.value = describeApiError(err);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  return {
    files,
    loading,
    error,
    hasMore: computed(() => nextCursor.value !== null),
    refresh: () => fetchPage(null, true),
    loadMore: async () => {
      if (nextCursor.value) await fetchPage(nextCursor.value, false);
    },
    upsert(file) {
      files.value = [file, ...files.value.filter((f) => f.id !== file.id)];
    },
    async remove(fileId) {
      const result = await attempt(() => api.delete({ fileId }), describeApiError);
      if (!result.ok) return result;
      files.value = files.value.filter((f) => f.id !== fileId);
      return { ok: true, value: undefined };
    },
    downloadLink: (fileId) =>
      attempt(() => api.downloadUrl({ fileId, disposition: "attachment" }), describeApiError),
    async shareLink(fileId, expiresIn) {
      const invalid = validateShareExpiry(expiresIn);
      if (invalid) return { ok: false, error: invalid };
      return attempt(() => api.shareUrl({ fileId, expiresIn }), describeApiError);
    },
  };
}
