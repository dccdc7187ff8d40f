import * as profile from "../../services/profile.ts";
import { protectedProcedure, router } from "../init.ts";
import {
  createImageUploadInput,
  profileUpdateInput,
  removeImageInput,
  restoreImageInput,
} from "../schemas.ts";

export const profileRouter = router({
  get: protectedProcedure.query(({ ctx }) => profile.getProfile(ctx)),
  update: protectedProcedure
    .input(profileUpdateInput)
    .mutation(({ ctx, input }) => profile.updateProfile(ctx, input)),
  createImageUpload: protectedProcedure
    .input(createImageUploadInput)
    .mutation(({ ctx, input }) => profile.createImageUpload(ctx, input)),
  completeImageUpload: protectedProcedure.mutation(({ ctx }) => profile.completeImageUpload(ctx)),
  imageDownloadUrl: protectedProcedure.query(({ ctx }) => profile.imageDownloadUrl(ctx)),
  removeImage: protectedProcedure
    .input(removeImageInput)
    .mutation(({ ctx, input }) => profile.removeImage(ctx, input)),
  imageHistory: protectedProcedure.query(({ ctx }) => profile.imageHistory(ctx)),
  restoreImage: protectedProcedure
    .input(restoreImageInput)
    .mutation(({ ctx, input }) => profile.restoreImage(ctx, input)),
});
