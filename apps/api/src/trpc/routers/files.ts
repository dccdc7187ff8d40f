import { z } from "zod";
import * as files from "../../services/files.ts";
import { protectedProcedure, router } from "../init.ts";
import { createUploadInput, fileIdInput, pageInput, signPartsInput } from "../schemas.ts";

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
    .input(
      fileIdInput.extend({
        disposition: z.enum(["inline", "attachment"]).optional(),
        expiresIn: z.number().int("must be a whole number of seconds").min(1).optional(),
      }),
    )
    .query(({ ctx, input }) => files.downloadUrl(ctx, input)),
  shareUrl: protectedProcedure
    .input(
      fileIdInput.extend({
        expiresIn: z
          .number()
          .int("must be a whole number of seconds")
          .min(60, "must be at least 60 seconds (1 minute)"),
      }),
    )
    .query(({ ctx, input }) => files.shareUrl(ctx, input)),
});
