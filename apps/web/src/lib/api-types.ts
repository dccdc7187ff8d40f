/**
 * The shapes the SPA relies on, written down from the cross-package contract. The composables depend on these
 * small interfaces instead of the tRPC client so that tests can hand them a fake transport; `api.ts` adapts the
 * real typed client to them, and the compiler checks that adaptation against `AppRouter`.
 */

export type FileStatus = "pending" | "ready" | "rejected" | "deleted";

export interface FileView {
  id: string;
  originalFilename: string;
  contentType: string;
  size: number;
  status: FileStatus;
  checksumSha256: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface UploadTicket {
  fileId: string;
  key: string;
  url: string;
  method: "PUT";
  headers: Record<string, string>;
  expiresIn: number;
  expiresAt: string;
}

export interface SignedDownload {
  url: string;
  filename: string;
  expiresIn: number;
  expiresAt: string;
}

export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  objectKey: string;
  fileId: string | null;
  detail: Record<string, unknown>;
}

export interface ProfileImage {
  hasImage: boolean;
  downloadUrl?: string;
  expiresIn?: number;
}

export interface Profile {
  id: string;
  name: string;
  email: string;
  image: ProfileImage;
}

export interface ImageUploadTicket {
  presignedUrl: string;
  method: "PUT";
  headers: Record<string, string>;
  key: string;
  contentType: string;
  fileSize: number;
  expiresIn: number;
}

/** What `useUpload` needs from the server. */
export interface UploadApi {
  createUpload(input: {
    filename: string;
    contentType: string;
    size: number;
    checksumSha256?: string;
  }): Promise<UploadTicket>;
  completeUpload(input: { fileId: string }): Promise<FileView>;
  abortUpload(input: { fileId: string }): Promise<unknown>;
}

/** What `useFiles` needs from the server. */
export interface FilesApi {
  list(input: { cursor?: string; limit?: number }): Promise<Page<FileView>>;
  downloadUrl(input: { fileId: string; disposition?: "inline" | "attachment" }): Promise<SignedDownload>;
  shareUrl(input: { fileId: string; expiresIn: number }): Promise<SignedDownload>;
  delete(input: { fileId: string }): Promise<unknown>;
}

/** What `useProfile` needs from the server. */
export interface ProfileApi {
  get(): Promise<Profile>;
  update(input: { name: string }): Promise<unknown>;
  createImageUpload(input: {
    contentType: string;
    fileSize: number;
    originalFilename?: string;
    checksumSha256?: string;
  }): Promise<ImageUploadTicket>;
  completeImageUpload(): Promise<ProfileImage>;
  removeImage(): Promise<unknown>;
}

/** What `useActivity` needs from the server. */
export interface AuditApi {
  list(input: { cursor?: string; limit?: number }): Promise<Page<AuditEvent>>;
}
