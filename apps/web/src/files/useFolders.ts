import { type Ref, ref } from "vue";
import { describeApiError } from "../api/errors.ts";
import { attempt, type Result } from "../api/result.ts";
import type { Folder, FolderListing, FoldersApi, Usage } from "../api/types.ts";

export interface UseFoldersReturn {
  /** The folder shown; null at the top level. */
  folderId: Ref<string | null>;
  /** What the search box holds once submitted; "" lists the folder. */
  query: Ref<string>;
  /** The list's order ("": newest first) and type family filter ("": every type). */
  sort: Ref<"" | "date" | "name" | "size" | "type">;
  type: Ref<string>;
  listing: Ref<FolderListing | null>;
  usage: Ref<Usage | null>;
  error: Ref<string | null>;
  /** Shows a folder (null: the top level) and clears the search. */
  open(folderId: string | null): Promise<void>;
  create(name: string): Promise<Result<Folder>>;
  /** Renames the folder shown. */
  renameCurrent(name: string): Promise<Result<Folder>>;
  /** Deletes the folder shown with everything in it, then shows its parent. */
  deleteCurrent(): Promise<Result<void>>;
  /** Makes the folders of a picked or dropped tree below the folder shown (empty ones are kept too). */
  ensurePaths(paths: string[]): Promise<void>;
  refresh(): Promise<void>;
  refreshUsage(): Promise<void>;
}

/**
 * Where the Files page is: the folder (breadcrumbs and subfolders), the search, and the account's usage. Folders
 * are metadata on the server, so moving around never touches the bucket.
 */
export function useFolders(api: FoldersApi): UseFoldersReturn {
  const folderId = ref<string | null>(null);
  const query = ref("");
  const sort = ref<"" | "date" | "name" | "size" | "type">("");
  const type = ref("");
  const listing = ref<FolderListing | null>(null);
  const usage = ref<Usage | null>(null);
  const error = ref<string | null>(null);

  async function refresh() {
    const result = await attempt(
      () => api.list(folderId.value ? { folderId: folderId.value } : {}),
      describeApiError,
    );
    if (result.ok) {
      listing.value = result.value;
      error.value = null;
    } else {
      error.value = result.error;
    }
  }

  return {
    folderId,
    query,
    sort,
    type,
    listing,
    usage,
    error,
    async open(id) {
      folderId.value = id;
      query.value = "";
      await refresh();
    },
    async create(name) {
      const result = await attempt(
        () => api.create({ name, ...(folderId.value ? { parentId: folderId.value } : {}) }),
        describeApiError,
      );
      if (result.ok) await refresh();
      return result;
    },
    async renameCurrent(name) {
      const id = folderId.value;
      if (!id) return { ok: false, error: "The top level has no name to change" };
      const result = await attempt(() => api.rename({ folderId: id, name }), describeApiError);
      if (result.ok) await refresh();
      return result;
    },
    async deleteCurrent() {
      const id = folderId.value;
      if (!id) return { ok: false, error: "The top level cannot be deleted" };
      const crumbs = listing.value?.breadcrumbs ?? [];
      const parent = crumbs.length > 1 ? crumbs[crumbs.length - 2]!.id : null;
      const result = await attempt(() => api.delete({ folderId: id, confirm: true }), describeApiError);
      if (!result.ok) return result;
      folderId.value = parent;
      await refresh();
      return { ok: true, value: undefined };
    },
    async ensurePaths(paths) {
      const parent = folderId.value ? { parentId: folderId.value } : {};
      // Parents first (shorter paths), one at a time: each call finds or makes its folders.
      for (const path of [...paths].sort((a, b) => a.split("/").length - b.split("/").length)) {
        const result = await attempt(() => api.ensurePath({ path, ...parent }), describeApiError);
        if (!result.ok) error.value = result.error;
      }
      await refresh();
    },
    refresh,
    async refreshUsage() {
      const result = await attempt(() => api.usage(), describeApiError);
      if (result.ok) usage.value = result.value;
    },
  };
}
