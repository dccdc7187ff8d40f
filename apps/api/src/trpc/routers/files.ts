import { filesContract as c } from "../../contract/files.ts";
import * as files from "../../services/files.ts";
import { procedure, router } from "../init.ts";

export const filesRouter = router({
  list: procedure(c.list, (ctx, input) => files.listFiles(ctx, input ?? {})),
  get: procedure(c.get, (ctx, { fileId }) => files.getFile(ctx, fileId)),
  createUpload: procedure(c.createUpload, files.createUpload),
  signParts: procedure(c.signParts, files.signUploadParts),
  listParts: procedure(c.listParts, (ctx, { fileId }) => files.listUploadParts(ctx, fileId)),
  completeUpload: procedure(c.completeUpload, (ctx, { fileId }) => files.completeUpload(ctx, fileId)),
  abortUpload: procedure(c.abortUpload, (ctx, { fileId }) => files.abortUpload(ctx, fileId)),
  delete: procedure(c.delete, (ctx, { fileId }) => files.deleteFile(ctx, fileId)),
  downloadUrl: procedure(c.downloadUrl, files.downloadUrl),
  shareUrl: procedure(c.shareUrl, files.shareUrl),
});
