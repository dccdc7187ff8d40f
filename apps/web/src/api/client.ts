import type { AppRouter } from "@signet/api";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type {
  ApiKeysApi,
  AuditApi,
  FilesApi,
  FoldersApi,
  LimitsApi,
  ProfileApi,
  ThumbnailApi,
  UploadApi,
  WebhooksApi,
} from "./types.ts";

let onUnauthorized: () => void = () => {};

/** Registers what to do when the server says the session is gone (the app sends the user to sign in). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/** The one typed tRPC client; same origin, so the session cookie rides along. */
export const trpc = createTRPCClient<AppRouter>({
  links: [
    httpBatchLink({
      url: "/trpc",
      // A session can end while the page is open (expiry, sign-out in another tab); every call then fails
      // the same way, so it is handled once here rather than in each page.
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (response.status === 401) onUnauthorized();
        return response;
      },
    }),
  ],
});

// The adapters below are where the compiler checks the contract: if a procedure's input or output drifts
// from what the composables expect, this file stops type-checking.

export const uploadApi: UploadApi = {
  createUpload: (input) => trpc.files.createUpload.mutate(input),
  completeUpload: (input) => trpc.files.completeUpload.mutate(input),
  abortUpload: (input) => trpc.files.abortUpload.mutate(input),
  signParts: (input) => trpc.files.signParts.mutate(input),
  listParts: (input) => trpc.files.listParts.query(input),
};

export const filesApi: FilesApi = {
  list: (input) => trpc.files.list.query(input),
  search: (input) => trpc.files.search.query(input),
  deleteMany: (input) => trpc.files.deleteMany.mutate(input),
  move: (input) => trpc.files.move.mutate(input),
  rename: (input) => trpc.files.rename.mutate(input),
  update: (input) => trpc.files.update.mutate(input),
  downloadUrl: (input) => trpc.files.downloadUrl.query(input),
  shareUrl: (input) => trpc.files.shareUrl.query(input),
  delete: (input) => trpc.files.delete.mutate(input),
};

export const thumbnailApi: ThumbnailApi = {
  createThumbnailUpload: (input) => trpc.files.createThumbnailUpload.mutate(input),
  completeThumbnailUpload: (input) => trpc.files.completeThumbnailUpload.mutate(input),
  thumbnailUrls: (input) => trpc.files.thumbnailUrls.query(input),
};

export const profileApi: ProfileApi = {
  get: () => trpc.profile.get.query(),
  update: (input) => trpc.profile.update.mutate(input),
  createImageUpload: (input) => trpc.profile.createImageUpload.mutate(input),
  completeImageUpload: () => trpc.profile.completeImageUpload.mutate(),
  removeImage: (input) => trpc.profile.removeImage.mutate(input),
  imageHistory: () => trpc.profile.imageHistory.query(),
  restoreImage: (input) => trpc.profile.restoreImage.mutate(input),
};

export const auditApi: AuditApi = {
  list: (input) => trpc.audit.list.query(input),
};

export const apiKeysApi: ApiKeysApi = {
  list: () => trpc.apiKeys.list.query(),
  create: (input) => trpc.apiKeys.create.mutate(input),
  revoke: (input) => trpc.apiKeys.revoke.mutate(input),
};

export const webhooksApi: WebhooksApi = {
  list: () => trpc.webhooks.list.query(),
  create: (input) => trpc.webhooks.create.mutate(input),
  update: (input) => trpc.webhooks.update.mutate(input),
  rotateSecret: (input) => trpc.webhooks.rotateSecret.mutate(input),
  delete: (input) => trpc.webhooks.delete.mutate(input),
  test: (input) => trpc.webhooks.test.mutate(input),
  deliveries: (input) => trpc.webhooks.deliveries.query(input),
  replay: (input) => trpc.webhooks.replay.mutate(input),
};

export const limitsApi: LimitsApi = {
  get: () => trpc.limits.query(),
};

export const foldersApi: FoldersApi = {
  list: (input) => trpc.folders.list.query(input),
  create: (input) => trpc.folders.create.mutate(input),
  ensurePath: (input) => trpc.folders.ensurePath.mutate(input),
  rename: (input) => trpc.folders.rename.mutate(input),
  delete: (input) => trpc.folders.delete.mutate(input),
  usage: () => trpc.files.usage.query(),
};
