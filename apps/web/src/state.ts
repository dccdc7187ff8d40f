import { xhrPut } from "@signet/client";
import type { InjectionKey } from "vue";
import { filesApi, foldersApi, limitsApi, thumbnailApi, uploadApi } from "./api/client.ts";
import { createLimitsStore, type LimitsStore } from "./api/limits.ts";
import { type UseFilesReturn, useFiles } from "./files/useFiles.ts";
import { type UseFoldersReturn, useFolders } from "./files/useFolders.ts";
import { type UseThumbnailsReturn, useThumbnails } from "./files/useThumbnails.ts";
import { workerPartHasher } from "./upload/part-hasher.ts";
import { splitRelativePath } from "./upload/relative-paths.ts";
import { indexedDbResumeStore } from "./upload/resume-store.ts";
import { makeThumbnail } from "./upload/thumbnail.ts";
import { type UseUploadReturn, useUpload } from "./upload/useUpload.ts";
import { workerHasher } from "./upload/worker-hasher.ts";

/** State that outlives a page: uploads keep running while the user visits Profile or Activity. */
export interface AppState {
  /** The server's configured limits, loaded once for every page. */
  limits: LimitsStore;
  files: UseFilesReturn;
  /** The folder and search the Files page shows, and the usage meter's numbers. */
  folders: UseFoldersReturn;
  uploads: UseUploadReturn;
  /** The grid view's thumbnail URLs. */
  thumbnails: UseThumbnailsReturn;
  /** Cancels running uploads (resolving once the server has released them) and forgets the user's files. */
  reset(): Promise<void>;
}

export const appStateKey: InjectionKey<AppState> = Symbol("signet-app-state");

/** Wires the composables to the real API client and browser transports. */
export function createAppState(): AppState {
  const limits = createLimitsStore(limitsApi);
  const folders = useFolders(foldersApi);
  const files = useFiles({
    api: filesApi,
    limits: limits.limits,
    scope: () => ({
      folderId: folders.folderId.value,
      query: folders.query.value,
      sort: folders.sort.value || undefined,
      type: folders.type.value || undefined,
    }),
  });
  // Uploads go into the folder shown when they are announced (a folder is metadata: the key is the same).
  // A file of a picked or dropped tree is announced as `folder/…/name` (useUpload): its folders go as folderPath.
  const announceHere: typeof uploadApi = {
    ...uploadApi,
    createUpload: (input) => {
      const { folderPath, filename } = splitRelativePath(input.filename);
      return uploadApi.createUpload({
        ...input,
        filename,
        ...(folders.folderId.value ? { folderId: folders.folderId.value } : {}),
        ...(folderPath ? { folderPath } : {}),
      });
    },
  };
  const thumbnails = useThumbnails(thumbnailApi);
  const uploads = useUpload({
    api: announceHere,
    put: xhrPut,
    hash: workerHasher,
    partHash: workerPartHasher,
    limits: limits.limits,
    loadLimits: () => limits.load(),
    resumeStore: indexedDbResumeStore,
    onUploaded: (file, source) => {
      files.upsert(file);
      void folders.refreshUsage();
      void makeThumbnail(thumbnailApi, file, source).then((made) => {
        if (made) void thumbnails.load([file.id], true);
      });
    },
  });
  return {
    limits,
    files,
    folders,
    uploads,
    thumbnails,
    async reset() {
      folders.folderId.value = null;
      folders.query.value = "";
      folders.usage.value = null;
      files.files.value = [];
      await uploads.cancelAll();
      for (const item of [...uploads.items.value]) uploads.dismiss(item.id);
    },
  };
}
