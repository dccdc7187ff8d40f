import { IMAGE_TYPES } from "../../services/validation.ts";
import { publicProcedure } from "../init.ts";

/**
 * The limits a client must respect, read from the server's configuration so the SPA never restates them.
 *
 * @example const { maxAvatarBytes } = await trpc.limits.query();
 */
export const limitsRouter = publicProcedure.query(({ ctx }) => ({
  maxFileBytes: ctx.config.maxFileBytes,
  maxAvatarBytes: ctx.config.maxAvatarBytes,
  avatarContentTypes: [...IMAGE_TYPES],
  userQuotaBytes: ctx.config.userQuotaBytes,
  rateLimitPerMinute: ctx.config.rateLimitPerMinute,
  uploadUrlTtl: ctx.config.uploadUrlTtl,
  downloadUrlTtl: ctx.config.downloadUrlTtl,
  shareUrlMaxTtl: ctx.config.shareUrlMaxTtl,
  profileImageHistory: ctx.config.profileImageHistory,
}));
