import * as files from "../../services/files.ts";
import { router, userMutation, userQuery } from "../init.ts";
import {
  createUploadInput,
  downloadUrlInput,
  fileIdInput,
  pageInput,
  shareUrlInput,
  signPartsInput,
} from "../schemas.ts";

export const filesRouter = router({
  list: userQuery(pageInput, (ctx, input) => files.listFiles(ctx, input ?? {})),
  get: userQuery(fileIdInput, (ctx, { fileId }) => files.getFile(ctx, fileId)),
  createUpload: userMutation(createUploadInput, files.createUpload),
  signParts: userMutation(signPartsInput, files.signUploadParts),
  listParts: userQuery(fileIdInput, (ctx, { fileId }) => files.listUploadParts(ctx, fileId)),
  completeUpload: userMutation(fileIdInput, (ctx, { fileId }) => files.completeUpload(ctx, fileId)),
  abortUpload: userMutation(fileIdInput, (ctx, { fileId }) => files.abortUpload(ctx, fileId)),
  delete: userMutation(fileIdInput, (ctx, { fileId }) => files.deleteFile(ctx, fileId)),
  downloadUrl: userQuery(downloadUrlInput, files.downloadUrl),
  shareUrl: userQuery(shareUrlInput, files.shareUrl),
});
