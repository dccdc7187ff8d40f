/** The public procedures about the service itself: health and the limits a client must respect. */
import { z } from "@hono/zod-openapi";
import { contracts } from "./define.ts";

/** The shapes this domain answers, as the services build them. */
export type Health = z.output<typeof health>;
export type Limits = z.output<typeof limits>;

const dependencyState = z.object({ ok: z.boolean(), error: z.string().optional() });

export const health = z
  .object({
    ok: z.boolean(),
    storage: z.enum(["local", "s3"]),
    database: z.enum(["file", "remote"]),
    /** The facts /readyz reports. */
    checks: z.object({ database: dependencyState, bucket: dependencyState }).optional(),
  })
  .openapi("Health");

const windowRule = z.object({ max: z.number(), windowSeconds: z.number() });

export const limits = z
  .object({
    maxFileBytes: z.number(),
    maxAvatarBytes: z.number(),
    avatarContentTypes: z.array(z.string()),
    userQuotaBytes: z.number(),
    rateLimitPerMinute: z.number(),
    uploadUrlTtl: z.number(),
    downloadUrlTtl: z.number(),
    shareUrlMaxTtl: z.number(),
    multipartThresholdBytes: z.number(),
    multipartPartSize: z.number(),
    multipartMaxParts: z.number(),
    profileImageHistory: z.number(),
    allowedContentTypes: z
      .array(z.string())
      .nullable()
      .openapi({ description: "ALLOWED_CONTENT_TYPES (`type/subtype` or `type/*`); null accepts any type" }),
    authLimits: z
      .record(z.string(), z.object({ perAddress: windowRule, perAccount: windowRule.optional() }))
      .openapi({
        description: "Better Auth's routes (sign-in, sign-up, …): attempts per client address and account",
      }),
    signInBackoff: z
      .object({
        freeFailures: z.number(),
        firstWaitSeconds: z.number(),
        maxWaitSeconds: z.number(),
        forgetAfterSeconds: z.number(),
      })
      .openapi({ description: "Wrong passwords for one account: the waits after the free failures" }),
    // Share links and upload requests; after the earlier fields (the document's `required` list keeps its order).
    shareLinkMaxTtl: z.number().nullable().openapi({
      description: "SHARE_LINK_MAX_TTL: longest share link or upload request; null: links may never expire",
    }),
    linkPasswordLimits: z
      .object({ perLink: windowRule, perAddress: windowRule })
      .openapi({ description: "Password tries on a share link or upload request" }),
    guestUploadLimits: z
      .object({ perLink: windowRule, perAddress: windowRule })
      .openapi({ description: "Uploads guests may start through one upload request" }),
    maxThumbnailBytes: z.number(),
  })
  .loose()
  .openapi("Limits");

/** What anyone may ask, before signing in: a query without input, over GET. */
function publicGet<O extends z.ZodType>(output: O, path: string, summary: string) {
  return { kind: "query", access: "public", output, rest: { method: "get", path, summary } } as const;
}

export const serviceContract = contracts("service", {
  health: publicGet(health, "/api/health", "Health"),
  limits: publicGet(limits, "/api/limits", "The limits a client must respect"),
});
