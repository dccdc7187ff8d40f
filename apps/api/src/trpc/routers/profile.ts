import { profileContract as c } from "../../contract/profile.ts";
import * as profile from "../../services/profile.ts";
import { procedure, router } from "../init.ts";

export const profileRouter = router({
  get: procedure(c.get, profile.getProfile),
  update: procedure(c.update, profile.updateProfile),
  createImageUpload: procedure(c.createImageUpload, profile.createImageUpload),
  completeImageUpload: procedure(c.completeImageUpload, profile.completeImageUpload),
  imageDownloadUrl: procedure(c.imageDownloadUrl, profile.imageDownloadUrl),
  removeImage: procedure(c.removeImage, profile.removeImage),
  imageHistory: procedure(c.imageHistory, profile.imageHistory),
  restoreImage: procedure(c.restoreImage, profile.restoreImage),
});
