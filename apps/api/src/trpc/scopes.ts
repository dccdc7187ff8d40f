/**
 * What an API key's scope lets it call, in one place for tRPC and REST (REST calls the procedures). Queries need
 * `read`; the mutations of an upload need `upload`; every other mutation (delete, profile changes, and any
 * procedure added later until it is listed here) needs `full`.
 */
import type { ApiKeyScope } from "../ground.ts";

const UPLOAD_MUTATIONS = new Set([
  "files.createUpload",
  "files.completeUpload",
  "files.abortUpload",
  "profile.createImageUpload",
  "profile.completeImageUpload",
  "files.signParts",
]);

/** The scope a procedure call needs. */
export function requiredScope(path: string, type: "query" | "mutation" | "subscription"): ApiKeyScope {
  if (type === "query") return "read";
  return UPLOAD_MUTATIONS.has(path) ? "upload" : "full";
}
