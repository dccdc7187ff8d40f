/** The account.* procedures: verification status, the export, and deleting the account. */
import { z } from "@hono/zod-openapi";
import { iso, linkLifetime } from "./common.ts";
import { contracts } from "./define.ts";

/** The shapes this domain answers, as the services build them. */
export type AccountStatus = z.output<typeof accountStatus>;
export type AccountExport = z.output<typeof accountExport>;

/** account.export: how long the export's download links stay valid. */
export const exportInput = z.object({
  expiresIn: linkLifetime,
});

/** account.delete: the current password confirms it. */
export const deleteAccountInput = z.object({
  password: z.string().min(1, "enter your current password").max(128),
});

export const accountStatus = z
  .object({
    email: z.string(),
    emailVerified: z.boolean(),
    requireEmailVerification: z.boolean(),
    mayUpload: z.boolean(),
  })
  .openapi("AccountStatus");

export const accountExport = z
  .object({
    generatedAt: iso,
    expiresIn: z.number(),
    expiresAt: iso,
    files: z.array(
      z.object({
        id: z.string(),
        filename: z.string(),
        contentType: z.string(),
        size: z.number(),
        checksumSha256: z.string().nullable(),
        createdAt: iso,
        url: z.string(),
      }),
    ),
  })
  .openapi("AccountExport");

export const accountDeleted = z.object({ deleted: z.literal(true) }).openapi("AccountDeleted");

export const accountContract = contracts("account", {
  status: {
    kind: "query",
    access: "read",
    output: accountStatus,
    rest: {
      method: "get",
      path: "/api/account",
      summary: "Your account's verification state and whether it may upload",
    },
  },
  export: {
    kind: "query",
    access: "read",
    input: exportInput,
    output: accountExport,
    rest: {
      method: "get",
      path: "/api/account/export",
      summary: "Every completed file with a download link valid for `expiresIn` seconds",
    },
  },
  delete: {
    kind: "mutation",
    access: "full",
    input: deleteAccountInput,
    output: accountDeleted,
    rest: {
      method: "post",
      path: "/api/account/delete",
      summary: "Delete your account and every object it owns (confirmed by your password)",
    },
  },
});
