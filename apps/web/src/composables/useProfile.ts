import { type ComputedRef, computed, type Ref, reactive, ref } from "vue";
import type { Profile, ProfileApi } from "../lib/api-types.ts";
import { describeApiError, describeStorageFailure } from "../lib/errors.ts";
import { initialsOf } from "../lib/format.ts";
import { attempt, type Result } from "../lib/result.ts";
import { type Hasher, isAbortError, type PutTransport } from "../lib/transport.ts";

/** Types the server's magic-byte check accepts. */
export const AVATAR_TYPES: readonly string[] = [
  "image/png",
  "image/jpeg",
  "image/webp",
  "image/gif",
  "image/avif",
];
export const DEFAULT_MAX_AVATAR_BYTES = 5 * 1024 * 1024;
export const MAX_NAME_LENGTH = 100;

export type ImageUploadPhase = "idle" | "hashing" | "signing" | "uploading" | "verifying" | "done" | "error";

export interface ImageUploadState {
  phase: ImageUploadPhase;
  loaded: number;
  total: number;
  percent: number;
  error: string | null;
}

export interface UseProfileOptions {
  api: ProfileApi;
  put: PutTransport;
  hash: Hasher;
  maxImageBytes?: number;
}

export interface UseProfileReturn {
  profile: Ref<Profile | null>;
  loading: Ref<boolean>;
  /** Why the profile could not be loaded. */
  error: Ref<string | null>;
  /** Signed URL of the current avatar, or null to show initials. */
  avatarUrl: ComputedRef<string | null>;
  initials: ComputedRef<string>;
  imageUpload: ImageUploadState;
  load(): Promise<void>;
  /** Saves the display name; the avatar is untouched. */
  saveName(name: string): Promise<Result<void>>;
  /** Uploads a new avatar; the previous one stays until the server has verified the new one. */
  uploadImage(file: File): Promise<boolean>;
  cancelImageUpload(): void;
  removeImage(): Promise<Result<void>>;
}

/** Field-level check of a display name; null when valid. */
export function validateName(name: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return "Name is required.";
  if (trimmed.length > MAX_NAME_LENGTH) return `Name must be at most ${MAX_NAME_LENGTH} characters.`;
  return null;
}

/** Quick client-side check of an avatar file; the server still verifies the actual bytes. */
export function validateImage(file: File, maxBytes = DEFAULT_MAX_AVATAR_BYTES): string | null {
  if (!AVATAR_TYPES.includes(file.type)) {
    return "Choose a PNG, JPEG, WebP, GIF or AVIF image.";
  }
  if (file.size === 0) return "This image file is empty.";
  if (file.size > maxBytes) {
    return `Profile images can be at most ${Math.floor(maxBytes / 1024 / 1024)} MB.`;
  }
  return null;
}

/** The signed-in user's profile: name and avatar, with the avatar upload's progress. */
export function useProfile(options: UseProfileOptions): UseProfileReturn {
  const { api, put, hash } = options;
  const maxBytes = options.maxImageBytes ?? DEFAULT_MAX_AVATAR_BYTES;
  const profile = ref<Profile | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const imageUpload = reactive<ImageUploadState>({
    phase: "idle",
    loaded: 0,
    total: 0,
    percent: 0,
    error: null,
  });
  let controller: AbortController | null = null;

  function fail(message: string) {
    imageUpload.phase = "error";
    imageUpload.error = message;
    return false;
  }

  return {
    profile,
    loading,
    error,
    avatarUrl: computed(() => {
      const image = profile.value?.image;
      return image?.hasImage && image.downloadUrl ? image.downloadUrl : null;
    }),
    initials: computed(() => initialsOf(profile.value?.name ?? "", profile.value?.email ?? "")),
    imageUpload,
    async load() {
      loading.value = true;
      error.value = null;
      try {
        profile.value = await api.get();
      } catch (err) {
        error.value = describeApiError(err);
      } finally {
        loading.value = false;
      }
    },
    async saveName(name) {
      const invalid = validateName(name);
      if (invalid) return { ok: false, error: invalid };
      const trimmed = name.trim();
      const result = await attempt(() => api.update({ name: trimmed }), describeApiError);
      if (!result.ok) return result;
      if (profile.value) profile.value = { ...profile.value, name: trimmed };
      return { ok: true, value: undefined };
    },
    async uploadImage(file) {
      controller?.abort();
      const mine = new AbortController();
      controller = mine;
      Object.assign(imageUpload, { phase: "hashing", loaded: 0, total: file.size, percent: 0, error: null });
      const invalid = validateImage(file, maxBytes);
      if (invalid) return fail(invalid);
      try {
        const checksumSha256 = await hash(file, () => {}, mine.signal);
        imageUpload.phase = "signing";
        const ticket = await api.createImageUpload({
          contentType: file.type,
          fileSize: file.size,
          originalFilename: file.name,
          checksumSha256,
        });
        if (mine.signal.aborted) return false;
        imageUpload.phase = "uploading";
        const response = await put({
          url: ticket.presignedUrl,
          method: ticket.method,
          headers: ticket.headers,
          body: file,
          signal: mine.signal,
          onProgress: (loaded) => {
            if (controller !== mine) return;
            imageUpload.loaded = Math.max(imageUpload.loaded, Math.min(loaded, file.size));
            imageUpload.percent = Math.floor((imageUpload.loaded / file.size) * 100);
          },
        });
        if (response.status < 200 || response.status >= 300) {
          return fail(describeStorageFailure(response.status, response.body));
        }
        Object.assign(imageUpload, { loaded: file.size, percent: 100, phase: "verifying" });
        const image = await api.completeImageUpload();
        if (profile.value) profile.value = { ...profile.value, image };
        imageUpload.phase = "done";
        return true;
      } catch (err) {
        if (isAbortError(err) || mine.signal.aborted) return false;
        return fail(describeApiError(err));
      } finally {
        if (controller === mine) controller = null;
      }
    },
    cancelImageUpload() {
      // Once the bytes are in, the server decides; cancelling then would leave the UI out of step with it.
      if (!controller || imageUpload.phase === "verifying") return;
      controller.abort();
      controller = null;
      Object.assign(imageUpload, { phase: "idle", loaded: 0, percent: 0, error: null });
    },
    async removeImage() {
      const result = await attempt(() => api.removeImage(), describeApiError);
      if (!result.ok) return result;
      if (profile.value) profile.value = { ...profile.value, image: { hasImage: false } };
      return { ok: true, value: undefined };
    },
  };
}
