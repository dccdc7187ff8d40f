/** The profile.* procedures: name, and the profile image (upload, link, history, restore, remove). */
import { z } from "@hono/zod-openapi";
import { nameSchema } from "../auth/name-rules.ts";
import { contentTypeSchema, filenameSchema } from "../services/validation.ts";
import { checksumSha256, iso, positiveBytes } from "./common.ts";
import { contracts } from "./define.ts";

/** The shapes this domain answers, as the services build them. */
export type ProfileView = z.output<typeof profileView>;
export type ProfileName = z.output<typeof profileName>;
export type ProfileImageLink = z.output<typeof profileImageLink>;
export type ImageUploadTicket = z.output<typeof imageUploadTicket>;
export type ImageHistory = z.output<typeof imageHistory>;

export const profileUpdateInput = z.object({ name: nameSchema });

export const createImageUploadInput = z.object({
  contentType: contentTypeSchema,
  fileSize: positiveBytes,
  originalFilename: filenameSchema.optional(),
  checksumSha256: checksumSha256.optional(),
});

/** profile.removeImage: keep the earlier pictures (history) or remove them too (the default). */
export const removeImageInput = z
  .object({ keepHistory: z.boolean().optional().describe("keep the earlier images") })
  .optional();

/** profile.restoreImage: the history version to make current again. */
export const restoreImageInput = z.object({
  version: z.number().int("must be a whole number").positive("must be positive"),
});

export const profileView = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    image: z.object({
      hasImage: z.boolean(),
      downloadUrl: z.string().optional(),
      expiresIn: z.number().optional(),
    }),
  })
  .openapi("Profile");

export const profileName = z
  .object({ id: z.string(), name: z.string(), email: z.string() })
  .openapi("ProfileName");

/** A pre-signed GET of a profile image: the current one, or one in the history. */
const signedImage = {
  downloadUrl: z.string(),
  filename: z.string(),
  expiresIn: z.number(),
};

export const profileImageLink = z
  .union([z.object({ hasImage: z.literal(false) }), z.object({ hasImage: z.literal(true), ...signedImage })])
  .openapi("ProfileImageLink");

export const imageUploadTicket = z
  .object({
    presignedUrl: z.string(),
    method: z.literal("PUT"),
    headers: z.record(z.string(), z.string()),
    key: z.string(),
    contentType: z.string(),
    fileSize: z.number(),
    expiresIn: z.number(),
    uploadedBy: z.string(),
    uploadedAt: iso,
    originalFilename: z.string(),
  })
  .openapi("ImageUploadTicket");

export const imageHistory = z
  .object({
    limit: z.number(),
    versions: z.array(
      z.object({
        version: z.number(),
        contentType: z.string(),
        size: z.number(),
        createdAt: iso,
        archivedAt: iso,
        ...signedImage,
      }),
    ),
  })
  .openapi("ImageHistory");

export const profileContract = contracts("profile", {
  get: {
    kind: "query",
    access: "read",
    output: profileView,
    rest: { method: "get", path: "/api/profile", summary: "Your profile" },
  },
  update: {
    kind: "mutation",
    access: "full",
    input: profileUpdateInput,
    output: profileName,
    rest: { method: "patch", path: "/api/profile", summary: "Change your name" },
  },
  createImageUpload: {
    kind: "mutation",
    access: "upload",
    input: createImageUploadInput,
    output: imageUploadTicket,
    rest: {
      method: "post",
      path: "/api/profile/image/upload",
      status: 201,
      summary: "Start a profile image upload",
    },
  },
  completeImageUpload: {
    kind: "mutation",
    access: "upload",
    output: profileImageLink,
    rest: {
      method: "post",
      path: "/api/profile/image/complete",
      summary: "Verify the uploaded image and make it your profile image",
    },
  },
  imageDownloadUrl: {
    kind: "query",
    access: "read",
    output: profileImageLink,
    rest: {
      method: "get",
      path: "/api/profile/image",
      summary: "A pre-signed GET of your profile image",
    },
  },
  removeImage: {
    kind: "mutation",
    access: "full",
    input: removeImageInput,
    output: profileImageLink,
    rest: { method: "delete", path: "/api/profile/image", summary: "Remove your profile image" },
  },
  imageHistory: {
    kind: "query",
    access: "read",
    output: imageHistory,
    rest: {
      method: "get",
      path: "/api/profile/image/history",
      summary: "Your earlier profile images, with short-lived download URLs",
    },
  },
  restoreImage: {
    kind: "mutation",
    access: "full",
    input: restoreImageInput,
    output: profileImageLink,
    rest: {
      method: "post",
      path: "/api/profile/image/restore",
      summary: "Make an earlier profile image current again",
    },
  },
});
