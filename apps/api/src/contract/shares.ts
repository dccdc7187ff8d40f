/** The shares.* procedures: links on Signet's own origin (`/s/<token>`), revocable, counted, optionally locked. */
import { z } from "@hono/zod-openapi";
import { fileId, iso, listOf, withSecretShownOnce } from "./common.ts";
import { contracts } from "./define.ts";

/** The shapes this domain answers, as the services build them. */
export type ShareLinkView = z.output<typeof shareLinkView>;

export const createShareInput = z.object({
  fileId,
  expiresIn: z
    .number({ error: "must be a number of seconds, or null for never" })
    .int("must be a whole number of seconds")
    .min(60, "must be at least 60 seconds (1 minute)")
    .nullable()
    .optional()
    .openapi({
      description: "Seconds until the link expires; null: never (unless SHARE_LINK_MAX_TTL caps it)",
    }),
  maxDownloads: z
    .number({ error: "must be a number of downloads" })
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(1_000_000, "must be at most 1000000")
    .nullable()
    .optional(),
  password: z
    .string({ error: "must be a string" })
    .min(6, "must be at least 6 characters")
    .max(200, "must be at most 200 characters")
    .optional(),
  signedInOnly: z.boolean({ error: "must be true or false" }).optional(),
});

export const shareIdInput = z.object({ id: z.uuid("must be a share link id") });

export const listSharesInput = z.object({ fileId: fileId.optional() }).optional();

export const shareLinkView = z
  .object({
    id: z.string(),
    fileId: z.string(),
    filename: z.string(),
    status: z.enum(["active", "expired", "revoked", "used_up"]),
    createdAt: iso,
    expiresAt: iso.nullable(),
    maxDownloads: z.number().nullable(),
    downloads: z.number(),
    lastUsedAt: iso.nullable(),
    hasPassword: z.boolean(),
    signedInOnly: z.boolean(),
    revokedAt: iso.nullable(),
  })
  .openapi("ShareLink");

export const createdShareLink = withSecretShownOnce(shareLinkView, "CreatedShareLink", {
  url: "`<PUBLIC_URL>/s/<token>`: shown this once, only its hash is kept",
});

export const shareLinkList = listOf(shareLinkView, "ShareLinkList");

export const sharesContract = contracts("shares", {
  create: {
    kind: "mutation",
    access: "full",
    input: createShareInput,
    output: createdShareLink,
    rest: {
      method: "post",
      path: "/api/shares",
      status: 201,
      summary: "Share a file through a link on Signet's origin (the URL is shown once)",
    },
  },
  list: {
    kind: "query",
    access: "read",
    input: listSharesInput,
    output: shareLinkList,
    rest: {
      method: "get",
      path: "/api/shares",
      summary: "Your share links (all, or one file's), with their downloads",
    },
  },
  revoke: {
    kind: "mutation",
    access: "full",
    input: shareIdInput,
    output: shareLinkView,
    rest: { method: "delete", path: "/api/shares/{id}", summary: "Revoke a share link at once" },
  },
});
