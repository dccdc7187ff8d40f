/**
 * The seed contracts' routes, kept for clients written against them and the only REST routes written by hand:
 * they take other field names and answer `presignedUrl` beside `url`, then call the same procedures.
 */
import { z } from "@hono/zod-openapi";
import {
  createUploadInput,
  downloadLink,
  multipartUploadTicket,
  singleUploadTicket,
} from "../contract/files.ts";
import { createImageUploadInput, imageUploadTicket, profileImageLink } from "../contract/profile.ts";
import { ownFileIdByKey } from "../services/file-lookup.ts";
import type { RestRoute, RouteSpec } from "./rest-route.ts";

export const seedUploadTicket = singleUploadTicket
  .extend({ presignedUrl: z.string().openapi({ description: "Same as `url` (seed contract name)" }) })
  .openapi("SeedUploadTicket");

export const seedDownloadLink = downloadLink
  .extend({ presignedUrl: z.string().openapi({ description: "Same as `url` (seed contract name)" }) })
  .openapi("SeedDownloadLink");

/**
 * A body schema that also accepts the field names of the seed contracts and common upload guides
 * (`fileName`/`fileType`/`fileSize`), copied onto the procedure's names before the procedure's own rules run.
 */
function seedAliases(schema: z.ZodObject, aliases: Record<string, string>) {
  const names = Object.entries(aliases).map(([to, from]) => `\`${from}\` for \`${to}\``);
  return z
    .preprocess((body) => {
      if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
      const b: Record<string, unknown> = { ...body };
      for (const [to, from] of Object.entries(aliases)) if (b[to] === undefined) b[to] = b[from];
      return b;
    }, schema)
    .openapi({ description: `Also accepts ${names.join(", ")}.` });
}

const tag = "seed compatibility";

/** Each seed route: its spec and how it calls its procedure. */
export const seedRoutes: { spec: RouteSpec; call: RestRoute["call"] }[] = [
  {
    spec: {
      method: "post",
      path: "/api/uploads/pre-signed-url",
      summary: "Seed contract: start an upload (accepts fileName/fileType/fileSize)",
      tag,
      procedure: "files.createUpload",
      body: seedAliases(createUploadInput, {
        filename: "fileName",
        contentType: "fileType",
        size: "fileSize",
      }),
      response: z.union([seedUploadTicket, multipartUploadTicket]),
    },
    async call(t, { body }) {
      const upload = await t.files.createUpload(body);
      // Clients of the seed contract read `presignedUrl`; a multipart answer has no single URL to give.
      return upload.plan === "single" ? { ...upload, presignedUrl: upload.url } : upload;
    },
  },
  {
    spec: {
      method: "post",
      path: "/api/user/profile/image",
      summary: "Seed contract: start a profile image upload",
      tag,
      procedure: "profile.createImageUpload",
      body: seedAliases(createImageUploadInput, {
        contentType: "fileType",
        fileSize: "size",
        originalFilename: "fileName",
      }),
      response: imageUploadTicket,
    },
    call: (t, { body }) => t.profile.createImageUpload(body),
  },
  {
    spec: {
      method: "get",
      path: "/api/user/profile/image",
      summary: "Seed contract: a pre-signed GET of your profile image",
      tag,
      procedure: "profile.imageDownloadUrl",
      response: profileImageLink,
    },
    call: (t) => t.profile.imageDownloadUrl(),
  },
  {
    spec: {
      method: "get",
      path: "/api/files/pre-signed-url/{fileName}",
      summary: "Seed contract: a pre-signed GET by your file's id or object key (URL-encoded)",
      tag,
      procedure: "files.downloadUrl",
      params: z.object({
        fileName: z
          .string()
          .min(1)
          .max(1024)
          .openapi({ param: { name: "fileName", in: "path" }, description: "A file id or its key" }),
      }),
      response: seedDownloadLink,
    },
    async call(t, { params }, ctx) {
      const name: string = params.fileName;
      if (!ctx.user) return t.files.downloadUrl({ fileId: name }); // answers UNAUTHORIZED like every route
      const fileId = z.uuid().safeParse(name).success
        ? name
        : await ownFileIdByKey({ ...ctx, user: ctx.user }, name);
      const link = await t.files.downloadUrl({ fileId });
      return { ...link, presignedUrl: link.url };
    },
  },
];
