import { z } from "zod";
import * as profile from "../../services/profile.ts";
import { protectedProcedure, router } from "../init.ts";
import { createImageUploadInput } from "../schemas.ts";

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export const profileRouter = router({
  get: protectedProcedure.query(({ ctx }) => profile.getProfile(ctx)),
  update: protectedProcedure
    .input(
      z.object({
        name: z
          .string()
          .trim()
          .min(1, "must not be empty")
          .max(100, "must be at most 100 characters")
          .refine((v) => !CONTROL.test(v), "must not contain control characters"),
      }),
    )
    .mutation(({ ctx, input }) => profile.updateProfile(ctx, input)),
  createImageUpload: protectedProcedure
    .input(createImageUploadInput)
    .mutation(({ ctx, input }) => profile.createImageUpload(ctx, input)),
  completeImageUpload: protectedProcedure.mutation(({ ctx }) => profile.completeImageUpload(ctx)),
  imageDownloadUrl: protectedProcedure.query(({ ctx }) => profile.imageDownloadUrl(ctx)),
  removeImage: protectedProcedure
    .input(z.object({ keepHistory: z.boolean().optional() }).optional())
    .mutation(({ ctx, input }) => profile.removeImage(ctx, input)),
  imageHistory: protectedProcedure.query(({ ctx }) => profile.imageHistory(ctx)),
  restoreImage: protectedProcedure
    .input(z.object({ version: z.number().int("must be a whole number").positive("must be positive") }))
    .mutation(({ ctx, input }) => profile.restoreImage(ctx, input)),
});
