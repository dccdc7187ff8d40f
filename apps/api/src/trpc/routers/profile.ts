import { z } from "zod";
import { nameSchema } from "../../auth/name-rules.ts";
import * as profile from "../../services/profile.ts";
import { protectedProcedure, router } from "../init.ts";
import { createImageUploadInput } from "../schemas.ts";

export const profileRouter = router({
  get: protectedProcedure.query(({ ctx }) => profile.getProfile(ctx)),
  update: protectedProcedure
    .input(z.object({ name: nameSchema }))
    .mutation(({ ctx, input }) => profile.updateProfile(ctx, input)),
  createImageUpload: protectedProcedure
    .input(createImageUploadInput)
    .mutation(({ ctx, input }) => profile.createImageUpload(ctx, input)),
  completeImageUpload: protectedProcedure.mutation(({ ctx }) => profile.completeImageUpload(ctx)),
  imageDownloadUrl: protectedProcedure.query(({ ctx }) => profile.imageDownloadUrl(ctx)),
  removeImage: protectedProcedure.mutation(({ ctx }) => profile.removeImage(ctx)),
});
