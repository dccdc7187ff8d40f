import type { Ref } from "vue";
import type { AuditApi, AuditEvent } from "../api/types.ts";
import { type UsePagedListReturn, usePagedList } from "../api/usePagedList.ts";
import { formatBytes, formatDuration } from "../ui/format.ts";

/** The paged list, its items named `events`. */
export interface UseActivityReturn extends Omit<UsePagedListReturn<AuditEvent>, "items"> {
  /** The caller's audit events, newest first. */
  events: Ref<AuditEvent[]>;
}

/** The user's audit trail, paged by the server's cursor. */
export function useActivity(options: { api: AuditApi; pageSize?: number }): UseActivityReturn {
  const { items, ...paging } = usePagedList({
    list: (input) => options.api.list(input),
    pageSize: options.pageSize,
  });
  return { events: items, ...paging };
}

const ACTION_LABELS: Record<string, string> = {
  "file.upload_url": "Upload link issued",
  "file.complete": "Upload verified",
  "file.reject": "Upload rejected",
  "file.abort": "Upload cancelled",
  "file.delete": "File deleted",
  "file.download_url": "Download link issued",
  "file.share": "Share link created",
  "file.thumbnail_upload_url": "Thumbnail upload link issued",
  "file.thumbnail_complete": "Thumbnail added",
  "file.thumbnail_reject": "Thumbnail refused",
  "thumbnail.urls": "Thumbnail links issued",
  "file.sweep_ready": "Abandoned upload found complete",
  "file.sweep_reject": "Abandoned upload cleaned up",
  "profile.update": "Profile updated",
  "profile.image_upload_url": "Profile picture upload link issued",
  "profile.image_complete": "Profile picture updated",
  "profile.image_reject": "Profile picture refused",
  "profile.image_url": "Profile picture link issued",
  "profile.image_remove": "Profile picture removed",
  "api_key.create": "API key created",
  "api_key.revoke": "API key revoked",
};

/** A readable label for an audit action; unknown actions are shown as recorded. */
export function describeAction(action: string): string {
  return ACTION_LABELS[action] ?? action;
}

/**
 * What an event was about, in the user's words: the profile, or the file's original name as the event recorded
 * it (`detail.filename`, so a file deleted since is still named). Events recorded before the API kept that name
 * fall back to the live file list, and only then to the storage key.
 */
export function describeSubject(
  event: Pick<AuditEvent, "action" | "objectKey" | "fileId"> & { detail?: AuditEvent["detail"] },
  fileName: (fileId: string) => string | undefined = () => undefined,
): string {
  if (event.action === "profile.update") return "Your profile";
  if (event.action.startsWith("api_key.")) {
    const name = event.detail?.name;
    return typeof name === "string" && name ? `API key “${name}”` : "An API key";
  }
  if (event.action.startsWith("profile.")) return "Your profile picture";
  if (event.action === "thumbnail.urls") return "Your files' thumbnails";
  const recorded = event.detail?.filename;
  if (typeof recorded === "string" && recorded) return recorded;
  return (event.fileId && fileName(event.fileId)) || event.objectKey;
}

/** An event's detail as a short line: sizes in bytes units, lifetimes in words, unknown fields as recorded. */
export function describeDetail(detail: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(detail)) {
    if (value === null || value === undefined || typeof value === "object") continue;
    // The subject line already names the file.
    if (key === "filename") continue;
    if (key === "size" && typeof value === "number") parts.push(formatBytes(value));
    else if (key === "contentType") parts.push(String(value));
    else if (key === "expiresIn" && typeof value === "number")
      parts.push(`link valid ${formatDuration(value)}`);
    else if (key === "disposition")
      parts.push(value === "inline" ? "opens in the browser" : "downloads as a file");
    else if (key === "reason") parts.push(String(value));
    else if (key === "field") parts.push(`changed: ${String(value)}`);
    else parts.push(`${key}: ${String(value)}`);
  }
  return parts.join(" · ");
}
