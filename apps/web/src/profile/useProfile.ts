import {
  createUploader,
  type Hasher,
  isAbortError,
  type PutTransport,
  profileImageEndpoint,
} from "@signet/client";
import { type ComputedRef, computed, type Ref, reactive, ref } from "vue";
import { describeApiError } from "../api/errors.ts";
import { attempt, type Result } from "../api/result.ts";
import type { ImageVersion, Limits, Profile, ProfileApi } from "../api/types.ts";
import { formatBytes, initialsOf } from "../ui/format.ts";

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
  /** The server's limits (avatar types and size); until they load, the server alone decides. */
  limits?: Readonly<Ref<Limits | null>>;
}

/** What the picker offers and says, from the server's limits. */
export interface ImageRules {
  /** For the file input's `accept`. */
  accept: string;
  /** "PNG, JPEG, WebP, GIF or AVIF, up to 5 MB." */
  hint: string;
}

export interface UseProfileReturn {
  profile: Ref<Profile | null>;
  loading: Ref<boolean>;
  /** Why the profile could not be loaded. */
  error: Ref<string | null>;
  /** Signed URL of the current avatar, or null to show initials. */
  avatarUrl: ComputedRef<string | null>;
  initials: ComputedRef<string>;
  /** Null until the server's limits have loaded. */
  imageRules: ComputedRef<ImageRules | null>;
  imageUpload: ImageUploadState;
  load(): Promise<void>;
  /** Saves the display name; the avatar is untouched. */
  saveName(name: string): Promise<Result<void>>;
  /** Uploads a new avatar; the previous one stays until the server has verified the new one. */
  uploadImage(file: File): Promise<boolean>;
  cancelImageUpload(): void;
  /** Removes the avatar; earlier pictures stay restorable when `keepHistory`, else they are deleted too. */
  removeImage(options?: { keepHistory?: boolean }): Promise<Result<void>>;
  /** Earlier pictures, newest first (empty until `loadHistory` or when the server keeps none). */
  history: Ref<ImageVersion[]>;
  /** Why the earlier pictures could not be listed. */
  historyError: Ref<string | null>;
  loadHistory(): Promise<void>;
  /** Makes an earlier picture the avatar again; the current one becomes an earlier picture. */
  restoreImage(version: number): Promise<Result<void>>;
}

/** Field-level check of a display name; null when valid. */
export function validateName(name: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return "Name is required.";
  if (trimmed.length > MAX_NAME_LENGTH) return `Name must be at most ${MAX_NAME_LENGTH} characters.`;
  return null;
}

const TYPE_NAMES: Record<string, string> = { jpeg: "JPEG", webp: "WebP", svg: "SVG" };

/** Image types in words: ["image/png", "image/jpeg", "image/webp"] → "PNG, JPEG or WebP". */
export function describeImageTypes(types: readonly string[]): string {
  const names = types.map((type) => {
    const subtype = type.split("/")[1] ?? type;
    return TYPE_NAMES[subtype] ?? subtype.toUpperCase();
  });
  return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

/**
 * Quick client-side check of an avatar file against the server's limits; the server still verifies the actual
 * bytes. Without limits (not loaded yet) only an empty file is refused here.
 */
export function validateImage(file: File, limits?: Limits | null): string | null {
  if (limits && !(limits.avatarContentTypes as readonly string[]).includes(file.type)) {
    return `Choose a ${describeImageTypes(limits.avatarContentTypes)} image.`;
  }
  if (file.size === 0) return "This image file is empty.";
  if (limits && file.size > limits.maxAvatarBytes) {
    return `Profile images can be at most ${formatBytes(limits.maxAvatarBytes)}.`;
  }
  return null;
}

/**
 * Check of a picture chosen for cropping: its type against the server's limits, and not empty. Its size is not
 * checked: it is resized in the browser, and only the result travels (and must fit `maxAvatarBytes`).
 */
export function validateSource(file: File, limits?: Limits | null): string | null {
  if (limits && !(limits.avatarContentTypes as readonly string[]).includes(file.type)) {
    return `Choose a ${describeImageTypes(limits.avatarContentTypes)} image.`;
  }
  if (file.size === 0) return "This image file is empty.";
  return null;
}

/** The signed-in user's profile: name and avatar, with the avatar upload's progress. */
export function useProfile(options: UseProfileOptions): UseProfileReturn {
  const { api } = options;
  const limits = () => options.limits?.value ?? null;
  // The same engine as the file queue; the avatar's server side verifies a staging object and promotes it.
  const uploader = createUploader({
    endpoint: profileImageEndpoint(api),
    put: options.put,
    hash: options.hash,
  });
  const profile = ref<Profile | null>(null);
  const history = ref<ImageVersion[]>([]);
  const historyError = ref<string | null>(null);
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

  async function loadHistory() {
    try {
      history.value = (await api.imageHistory()).versions;
      historyError.value = null;
    } catch (err) {
      historyError.value = describeApiError(err);
    }
  }

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
    imageRules: computed(() => {
      const known = limits();
      if (!known) return null;
      return {
        accept: known.avatarContentTypes.join(","),
        hint: `${describeImageTypes(known.avatarContentTypes)}, up to ${formatBytes(known.maxAvatarBytes)}.`,
      };
    }),
    imageUpload,
    async load() {
      loading.value = true;
      error.value = null;
      try {
        profile.value = await api.get();
        await loadHistory();
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
      const invalid = validateImage(file, limits());
      if (invalid) return fail(invalid);
      try {
        const image = await uploader.upload(file, {
          signal: mine.signal,
          onProgress: (progress) => {
            if (controller !== mine) return;
            imageUpload.phase = progress.phase;
            imageUpload.loaded = progress.loaded;
            imageUpload.percent = Math.floor((progress.loaded / file.size) * 100);
          },
        });
        if (profile.value) profile.value = { ...profile.value, image };
        imageUpload.phase = "done";
        await loadHistory();
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
    async removeImage(options = {}) {
      const result = await attempt(
        () => api.removeImage({ keepHistory: options.keepHistory ?? false }),
        describeApiError,
      );
      if (!result.ok) return result;
      if (profile.value) profile.value = { ...profile.value, image: { hasImage: false } };
      await loadHistory();
      return { ok: true, value: undefined };
    },
    history,
    historyError,
    loadHistory,
    async restoreImage(version) {
      const result = await attempt(() => api.restoreImage({ version }), describeApiError);
      if (!result.ok) return result;
      if (profile.value) profile.value = { ...profile.value, image: result.value };
      await loadHistory();
      return { ok: true, value: undefined };
    },
  };
}
