import type { InjectionKey } from "vue";
import { type UseFilesReturn, useFiles } from "./composables/useFiles.ts";
import { type UseUploadReturn, useUpload } from "./composables/useUpload.ts";
import { filesApi, uploadApi } from "./lib/api.ts";
import { workerHasher } from "./lib/worker-hasher.ts";
import { xhrPut } from "./lib/xhr-put.ts";

/** State that outlives a page: uploads keep running while the user visits Profile or Activity. */
export interface AppState {
  files: UseFilesReturn;
  uploads: UseUploadReturn;
  /** Cancels running uploads (resolving once the server has released them) and forgets the user's files. */
  reset(): Promise<void>;
}

export const appStateKey: InjectionKey<AppState> = Symbol("signet-app-state");

/** Wires the composables to the real browser transport. */
export function createAppState(): AppState {
  const files = useFiles({ api: filesApi });
  const uploads = useUpload({
    api: uploadApi,
    put: xhrPut,
    hash: workerHasher,
    onUploaded: (file) => files.upsert(file),
  });
  return {
    files,
    uploads,
    async reset() {
      files.files.value = [];
      await uploads.cancelAll();
      for (const item of [...uploads.items.value]) uploads.dismiss(item.id);
    },
  };
}
