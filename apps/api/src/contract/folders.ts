/**
 * The folders.* procedures. Folders are metadata: a file's object key never names its folder, so creating,
 * renaming and moving folders are database updates only; deleting one deletes its files and their objects.
 */
import { z } from "@hono/zod-openapi";
import { folderNameSchema, folderPathSchema } from "../services/validation.ts";
import { iso } from "./common.ts";
import { contracts, type RestDomain } from "./define.ts";

/** The shapes this domain answers, as the services build them. */
export type FolderView = z.output<typeof folderView>;
export type FolderListing = z.output<typeof folderListing>;
export type DeletedFolder = z.output<typeof deletedFolder>;

/** The domain's REST tag; every `{id}` in its paths is the input's `folderId`. */
const foldersRest: RestDomain = { tag: "folders", params: { id: "folderId" } };

export const folderId = z.uuid("must be a folder id").openapi({ example: "0193…" });

/** Where a folder goes: another folder, or `null` for the top level. */
export const parentId = folderId.nullable();

export const folderView = z
  .object({
    id: z.string(),
    name: z.string(),
    parentId: z.string().nullable(),
    path: z
      .string()
      .openapi({ description: "The names from the top level down to this folder, joined by /" }),
    createdAt: iso,
  })
  .openapi("Folder");

export const folderListing = z
  .object({
    folder: folderView.nullable().openapi({ description: "The folder listed; null for the top level" }),
    breadcrumbs: z.array(z.object({ id: z.string(), name: z.string() })),
    folders: z.array(folderView).openapi({ description: "Its subfolders, by name" }),
  })
  .openapi("FolderListing");

export const deletedFolder = z
  .object({ ok: z.literal(true), deletedFiles: z.number(), deletedFolders: z.number() })
  .openapi("DeletedFolder");

export const foldersContract = contracts(foldersRest, {
  list: {
    kind: "query",
    access: "read",
    input: z.object({ folderId: folderId.optional() }).optional(),
    output: folderListing,
    rest: {
      method: "get",
      path: "/api/folders",
      summary: "A folder (the top level without folderId): its breadcrumbs and subfolders",
    },
  },
  create: {
    kind: "mutation",
    access: "full",
    input: z.object({ name: folderNameSchema, parentId: parentId.optional() }),
    output: folderView,
    rest: { method: "post", path: "/api/folders", status: 201, summary: "Create a folder" },
  },
  ensurePath: {
    kind: "mutation",
    access: "full",
    input: z.object({
      path: folderPathSchema.refine((names) => names.length > 0, "must name at least one folder"),
      parentId: parentId.optional(),
    }),
    output: folderView,
    rest: {
      method: "post",
      path: "/api/folders/path",
      summary:
        "The folder at a relative path (`a/b`), creating the missing ones (a dropped tree's empty folders)",
    },
  },
  rename: {
    kind: "mutation",
    access: "full",
    input: z.object({ folderId, name: folderNameSchema }),
    output: folderView,
    rest: {
      method: "post",
      path: "/api/folders/{id}/rename",
      summary: "Rename a folder (no object is copied)",
    },
  },
  move: {
    kind: "mutation",
    access: "full",
    input: z.object({ folderId, parentId }),
    output: folderView,
    rest: {
      method: "post",
      path: "/api/folders/{id}/move",
      summary: "Move a folder into another one, or to the top level with parentId null (no object is copied)",
    },
  },
  delete: {
    kind: "mutation",
    access: "full",
    input: z.object({
      folderId,
      confirm: z.literal(true, { error: "must be true: deleting a folder deletes every file in it" }),
    }),
    output: deletedFolder,
    rest: {
      method: "post",
      path: "/api/folders/{id}/delete",
      summary: "Delete a folder, its subfolders, their files and the files' objects (confirm: true)",
    },
  },
});
