import * as profile from "../../services/profile.ts";
import { protectedProcedure, router, userMutation } from "../init.ts";
import {
  createImageUploadInput,
  profileUpdateInput,
  removeImageInput,
  restoreImageInput,
} from "../schemas.ts";

export const profileRouter = router({
  get: protectedProcedure.query(({ ctx }) => profile.getProfile(ctx)),
  update: userMutation(profileUpdateInput, profile.updateProfile),
  createImageUpload: userMutation(createImageUploadInput, profile.createImageUpload),
  completeImageUpload: protectedProcedure.mutation(({ ctx }) => profile.completeImageUpload(ctx)),
  imageDownloadUrl: protectedProcedure.query(({ ctx }) => profile.imageDownloadUrl(ctx)),
  removeImage: userMutation(removeImageInput, profile.removeImage),
  imageHistory: protectedProcedure.query(({ ctx }) => profile.imageHistory(ctx)),
  restoreImage: userMutation(restoreImageInput, profile.restoreImage),
});
