import type { Limits } from "./types.ts";

/**
 * The server's limits as the composable tests assume them; a test spreads in the ones it changes. A cast, not an
 * annotation: the fixture names only the limits these tests use, and the API may add more.
 */
export const LIMITS = {
  maxFileBytes: 5 * 1024 ** 3,
  maxAvatarBytes: 5 * 1024 ** 2,
  avatarContentTypes: ["image/png"],
  userQuotaBytes: 10 * 1024 ** 3,
  rateLimitPerMinute: 120,
  uploadUrlTtl: 600,
  downloadUrlTtl: 900,
  shareUrlMaxTtl: 604_800,
} as Limits;
