/**
 * The API shapes the SPA relies on, derived from `AppRouter` so they cannot drift from the server: a renamed
 * field or a changed output is a type error here and in every composable that reads it, not a blank cell at
 * runtime. The composables depend on the small `*Api` seams below instead of the tRPC client so that tests can
 * hand them an in-memory server; `client.ts` binds the real client to them.
 */
import type { AppRouter } from "@signet/api";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";

type Inputs = inferRouterInputs<AppRouter>;
type Outputs = inferRouterOutputs<AppRouter>;
export type Domain = keyof Outputs & keyof Inputs;

/** The procedures of router `D`. */
export type ProcedureName<D extends Domain> = keyof Outputs[D] & keyof Inputs[D];

/** One procedure as a plain async function, which is all a composable needs to call and a test needs to fake. */
type Procedure<D extends Domain, P extends ProcedureName<D>> = (
  input: Inputs[D][P],
) => Promise<Outputs[D][P]>;

/** The named procedures of one router, with the router's own input and output types. */
export type Procedures<D extends Domain, P extends ProcedureName<D>> = {
  [K in P]: Procedure<D, K>;
};

export type FileView = Outputs["files"]["get"];
export type FileStatus = FileView["status"];
export type UploadTicket = Outputs["files"]["createUpload"];
export type SignedDownload = Outputs["files"]["downloadUrl"];
export type AuditEvent = Outputs["audit"]["list"]["items"][number];
export type Profile = Outputs["profile"]["get"];
export type ImageUploadTicket = Outputs["profile"]["createImageUpload"];
export type ProfileImage = Outputs["profile"]["completeImageUpload"];
export type ImageHistory = Outputs["profile"]["imageHistory"];
export type ImageVersion = ImageHistory["versions"][number];
export type ApiKey = Outputs["apiKeys"]["list"]["items"][number];
export type CreatedApiKey = Outputs["apiKeys"]["create"];
export type ApiKeyScope = ApiKey["scope"];
export type WebhookEndpoint = Outputs["webhooks"]["list"]["items"][number];
export type WebhookDelivery = Outputs["webhooks"]["deliveries"]["items"][number];
/** The server's configured limits; the SPA never restates one. */
export type Limits = Outputs["limits"];

/** What `useUpload` needs from the server (the part procedures only for files sent in parts). */
export type UploadApi = Procedures<"files", "createUpload" | "completeUpload" | "abortUpload"> &
  Partial<Procedures<"files", "signParts" | "listParts">>;

/** What `useFiles` needs from the server (search only where the page offers it). */
export type FilesApi = Procedures<"files", "list" | "downloadUrl" | "shareUrl" | "delete"> &
  Partial<Procedures<"files", "search" | "deleteMany" | "move" | "rename" | "update">>;

/** What the thumbnails (made after an upload, shown in the grid) need from the server. */
export type ThumbnailApi = Procedures<
  "files",
  "createThumbnailUpload" | "completeThumbnailUpload" | "thumbnailUrls"
>;

export type Folder = Outputs["folders"]["create"];
export type FolderListing = Outputs["folders"]["list"];
export type Usage = Outputs["files"]["usage"];

/** What `useFolders` needs from the server. */
export type FoldersApi = Procedures<"folders", "list" | "create" | "ensurePath" | "rename" | "delete"> & {
  usage(): Promise<Usage>;
};

/** What `useProfile` needs from the server. */
export type ProfileApi = Procedures<
  "profile",
  | "get"
  | "update"
  | "createImageUpload"
  | "completeImageUpload"
  | "removeImage"
  | "imageHistory"
  | "restoreImage"
>;

/** What `useActivity` needs from the server. */
export type AuditApi = Procedures<"audit", "list">;

/** What `useApiKeys` needs from the server. */
export type ApiKeysApi = Procedures<"apiKeys", "list" | "create" | "revoke">;

export type WebhooksApi = Procedures<
  "webhooks",
  "list" | "create" | "update" | "rotateSecret" | "delete" | "test" | "deliveries" | "replay"
>;

/** What the limits store needs from the server. */
export type LimitsApi = { get(): Promise<Limits> };
