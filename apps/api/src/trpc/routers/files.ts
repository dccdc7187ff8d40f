import { filesContract as c } from "../../contract/files.ts";
import * as files from "../../services/files.ts";
import { procedure, router } from "../init.ts";

/** The listing filters' ISO dates as the services take them. */
function dated<T extends { createdFrom?: string | undefined; createdTo?: string | undefined }>(input: T) {
  return {
    ...input,
    createdFrom: input.createdFrom ? new Date(input.createdFrom) : undefined,
    createdTo: input.createdTo ? new Date(input.createdTo) : undefined,
  };
}

export const filesRouter = router({
  list: procedure(c.list, (ctx, input) => files.listFileManager(ctx, dated(input ?? {}))),
  search: procedure(c.search, (ctx, input) => files.searchFiles(ctx, dated(input))),
  rename: procedure(c.rename, files.renameFile),
  update: procedure(c.update, files.updateFileMetadata),
  move: procedure(c.move, files.moveFiles),
  deleteMany: procedure(c.deleteMany, files.deleteFiles),
  usage: procedure(c.usage, files.usage),
  get: procedure(c.get, (ctx, { fileId }) => files.getFile(ctx, fileId)),
  createUpload: procedure(c.createUpload, files.createUpload),
  signParts: procedure(c.signParts, files.signUploadParts),
  listParts: procedure(c.listParts, (ctx, { fileId }) => files.listUploadParts(ctx, fileId)),
  completeUpload: procedure(c.completeUpload, (ctx, { fileId }) => files.completeUpload(ctx, fileId)),
  abortUpload: procedure(c.abortUpload, (ctx, { fileId }) => files.abortUpload(ctx, fileId)),
  delete: procedure(c.delete, (ctx, { fileId }) => files.deleteFile(ctx, fileId)),
  downloadUrl: procedure(c.downloadUrl, files.downloadUrl),
  shareUrl: procedure(c.shareUrl, files.shareUrl),
  createThumbnailUpload: procedure(c.createThumbnailUpload, files.createThumbnailUpload),
  completeThumbnailUpload: procedure(c.completeThumbnailUpload, (ctx, { fileId }) =>
    files.completeThumbnailUpload(ctx, fileId),
  ),
  thumbnailUrls: procedure(c.thumbnailUrls, files.thumbnailUrls),
});
