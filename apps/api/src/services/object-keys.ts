/**
 * The bucket's layout, in one place: every key Signet writes is built here, and every key the bucket holds is
 * classified here (reconciliation decides by it what it may delete, the sweeper and account deletion which
 * prefixes are a person's).
 *
 *   u/<user id>/<file id>[.<ext>]   a file
 *   <file key>.thumb.webp           that file's thumbnail (deleted with it)
 *   staging/<user id>/<upload id>   a profile image upload, until it is verified and copied
 *   <uuid>                          a person's profile image (its stable key, assigned once)
 *   <uuid>/v/<version>              an earlier profile image kept as history
 *   signet-doctor/<run>/…           the storage doctor's probes
 */
import { extensionOf } from "./validation.ts";

/** Files' keys start with this; scans of the bucket for files look nowhere else. */
export const FILE_PREFIX = "u/";
const STAGING_PREFIX = "staging/";
/** The storage doctor's probes live below this, one folder per run. */
export const DOCTOR_PREFIX = "signet-doctor/";
const PROFILE_IMAGE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A file's key: the owner's prefix, the file's id, the extension of the name it was uploaded under. */
export function fileKey(userId: string, fileId: string, filename: string): string {
  const ext = extensionOf(filename);
  return `${FILE_PREFIX}${userId}/${fileId}${ext ? `.${ext}` : ""}`;
}

const THUMBNAIL_SUFFIX = ".thumb.webp";

/** A file's thumbnail, beside it (a file's own key never ends so: its extension has no dot). */
export function thumbnailKey(fileKey: string): string {
  return `${fileKey}${THUMBNAIL_SUFFIX}`;
}

/** Where one profile image upload lands before it is verified. */
export function stagingKey(userId: string, uploadId: string): string {
  return `${STAGING_PREFIX}${userId}/${uploadId}`;
}

/** A fresh stable key for a person's profile image: a UUID, so it says nothing about whose it is. */
export function newProfileImageKey(): string {
  return crypto.randomUUID();
}

/** Whether `key` has the shape of a profile image's stable key. */
export function isProfileImageKey(key: string): boolean {
  return PROFILE_IMAGE.test(key);
}

/** Where version `version` of the image at `stableKey` is kept. */
export function profileVersionKey(stableKey: string, version: number): string {
  return `${stableKey}/v/${version}`;
}

/** The prefixes holding a person's objects: files, staged image uploads, the image and the history beside it. */
export function userPrefixes(userId: string, imageKey: string | null): string[] {
  return [`${FILE_PREFIX}${userId}/`, `${STAGING_PREFIX}${userId}/`, ...(imageKey ? [imageKey] : [])];
}

/** One doctor run's folder. */
export function doctorRunPrefix(run: string): string {
  return `${DOCTOR_PREFIX}${run}/`;
}

export type KeyKind =
  | "file"
  | "thumbnail"
  | "staging"
  | "doctor"
  | "profile-image"
  | "profile-version"
  | "unknown";

/** What a key in the bucket is, by its layout alone; `userId` where the key names its owner. */
export function classifyKey(key: string): { kind: KeyKind; userId?: string } {
  if (key.startsWith(FILE_PREFIX) && key.endsWith(THUMBNAIL_SUFFIX)) {
    return { kind: "thumbnail", userId: key.split("/")[1] };
  }
  if (key.startsWith(FILE_PREFIX)) return { kind: "file", userId: key.split("/")[1] };
  if (key.startsWith(STAGING_PREFIX)) return { kind: "staging", userId: key.split("/")[1] };
  if (key.startsWith(DOCTOR_PREFIX)) return { kind: "doctor" };
  if (isProfileImageKey(key)) return { kind: "profile-image" };
  const [stable, v, version] = key.split("/");
  if (stable && isProfileImageKey(stable) && v === "v" && version && /^\d+$/.test(version)) {
    return { kind: "profile-version" };
  }
  return { kind: "unknown" };
}
