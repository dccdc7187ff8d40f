/** The public procedures about the service itself: health and the limits a client must respect. */
import { z } from "@hono/zod-openapi";
import { contract } from "./define.ts";

export const health = z
  .object({ ok: z.literal(true), storage: z.enum(["local", "s3"]), database: z.enum(["file", "remote"]) })
  .openapi("Health");
export type Health = z.output<typeof health>;

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
  })
  .loose()
  .openapi("Limits");
export type Limits = z.output<typeof limits>;

export const serviceContract = {
  health: contract({
    kind: "query",
    access: "public",
    output: health,
    rest: { method: "get", path: "/api/health", summary: "Health", tag: "service" },
  }),
  limits: contract({
    kind: "query",
    access: "public",
    output: limits,
    rest: { method: "get", path: "/api/limits", summary: "The limits a client must respect", tag: "service" },
  }),
};
