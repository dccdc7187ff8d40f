import { serviceContract } from "../../contract/service.ts";
import {
  AUTH_LIMITS,
  GUEST_UPLOAD_LIMITS,
  LINK_PASSWORD_LIMITS,
  MAX_THUMBNAIL_BYTES,
  SIGN_IN_BACKOFF,
} from "../../services/limits.ts";
import { PREFERRED_PART_SIZE } from "../../services/multipart.ts";
import { IMAGE_TYPES, MAX_PARTS } from "../../services/validation.ts";
import { procedure } from "../init.ts";

/**
 * The limits a client must respect, read from the server's configuration so the SPA never restates them.
 *
 * @example const { maxAvatarBytes } = await trpc.limits.query();
 */
export const limitsRouter = procedure(serviceContract.limits, (ctx) => ({
  maxFileBytes: ctx.config.maxFileBytes,
  multipartThresholdBytes: ctx.config.multipartThresholdBytes,
  // The part size rule: equal parts of `multipartPartSize` but the last, larger (whole MiB, at most 5 GiB)
  // when a file would need more than `multipartMaxParts`. createUpload answers each file's own partSize.
  multipartPartSize: PREFERRED_PART_SIZE,
  multipartMaxParts: MAX_PARTS,
  maxAvatarBytes: ctx.config.maxAvatarBytes,
  // A file's thumbnail (files.createThumbnailUpload): a WebP of at most this many bytes.
  maxThumbnailBytes: MAX_THUMBNAIL_BYTES,
  avatarContentTypes: [...IMAGE_TYPES],
  userQuotaBytes: ctx.config.userQuotaBytes,
  rateLimitPerMinute: ctx.config.rateLimitPerMinute,
  uploadUrlTtl: ctx.config.uploadUrlTtl,
  downloadUrlTtl: ctx.config.downloadUrlTtl,
  shareUrlMaxTtl: ctx.config.shareUrlMaxTtl,
  shareLinkMaxTtl: ctx.config.shareLinkMaxTtl,
  linkPasswordLimits: LINK_PASSWORD_LIMITS,
  guestUploadLimits: GUEST_UPLOAD_LIMITS,
  profileImageHistory: ctx.config.profileImageHistory,
  // ALLOWED_CONTENT_TYPES: `type/subtype` or `type/*` entries a file's type must match; null accepts any.
  allowedContentTypes: ctx.config.allowedContentTypes,
  // Sign-in, sign-up, reset and email change: per client address and per account; 429 with Retry-After.
  authLimits: AUTH_LIMITS,
  signInBackoff: SIGN_IN_BACKOFF,
}));
