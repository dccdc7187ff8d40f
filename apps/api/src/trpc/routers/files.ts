import * as files from "../../services/files.ts";
import { protectedProcedure, router } from "../init.ts";
import {
  createUploadInput,
  downloadUrlInput,
  fileIdInput,
  pageInput,
  shareUrlInput,
  signPartsInput,
} from "../schemas.ts";

export const filesRouter = router({
  list: protectedProcedure.input(pageInput).query(({ ctx, input }) => files.listFiles(ctx, input ?? {})),
  get: protectedProcedure.input(fileIdInput).query(({ ctx, input }) => files.getFile(ctx, input.fileId)),
  createUpload: protectedProcedure
    .input(createUploadInput)
    .mutation(({ ctx, input }) => files.createUpload(ctx, input)),
  signParts: protectedProcedure
    .input(signPartsInput)
    .mutation(({ ctx, input }) => files.signUploadParts(ctx, input)),
  listParts: protectedProcedure
    .input(fileIdInput)
    .query(({ ctx, input }) => files.listUploadParts(ctx, input.fileId)),
  completeUpload: protectedProcedure
    .input(fileIdInput)
    .mutation(({ ctx, input }) => files.completeUpload(ctx, input.fileId)),
  abortUpload: protectedProcedure
    .input(fileIdInput)
    .mutation(({ ctx, input }) => files.abortUpload(ctx, input.fileId)),
  delete: protectedProcedure
    .input(fileIdInput)
    .mutation(({ ctx, input }) => files.deleteFile(ctx, input.fileId)),
  downloadUrl: protectedProcedure
    .input(downloadUrlInput)
    .query(({ ctx, input }) => files.downloadUrl(ctx, input)),
  shareUrl: protectedProcedure.input(shareUrlInput).query(({ ctx, input }) => files.shareUrl(ctx, input)),
});
