import { type Ref, ref } from "vue";
import { describeApiError } from "../api/errors.ts";
import { attempt, type Result } from "../api/result.ts";
import type { ApiKey, ApiKeyScope, ApiKeysApi, CreatedApiKey } from "../api/types.ts";

/** What each scope lets a script do, in the words the profile page shows. */
export const SCOPE_CHOICES: { value: ApiKeyScope; label: string; hint: string }[] = [
  { value: "read", label: "Read", hint: "List files, download, make share links, read the activity." },
  { value: "upload", label: "Upload", hint: "Read, plus upload new files." },
  { value: "full", label: "Full", hint: "Everything, including deleting files and changing the profile." },
];

export interface NewApiKey {
  name: string;
  scope: ApiKeyScope;
  /** Days until it stops working; null for no expiry. */
  expiresInDays: number | null;
}

export interface UseApiKeysReturn {
  /** The user's keys, newest first, revoked ones included; never the keys themselves. */
  keys: Ref<ApiKey[]>;
  loading: Ref<boolean>;
  error: Ref<string | null>;
  /** The key just created: the only time its secret is on screen. Cleared by `dismissCreated`. */
  created: Ref<CreatedApiKey | null>;
  load(): Promise<void>;
  create(input: NewApiKey): Promise<Result<CreatedApiKey>>;
  revoke(id: string): Promise<Result<void>>;
  dismissCreated(): void;
}

/** Personal API keys for scripts: create (shown once), list, revoke. */
export function useApiKeys(options: { api: ApiKeysApi }): UseApiKeysReturn {
  const keys = ref<ApiKey[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const created = ref<CreatedApiKey | null>(null);

  async function load() {
    loading.value = true;
    const result = await attempt(() => options.api.list(), describeApiError);
    loading.value = false;
    error.value = result.ok ? null : result.error;
    if (result.ok) keys.value = result.value.items;
  }

  async function create(input: NewApiKey): Promise<Result<CreatedApiKey>> {
    const name = input.name.trim();
    if (!name) return { ok: false, error: "Give the key a name, such as the script that will use it." };
    const result = await attempt(
      () =>
        options.api.create({
          name,
          scope: input.scope,
          ...(input.expiresInDays ? { expiresInDays: input.expiresInDays } : {}),
        }),
      describeApiError,
    );
    if (result.ok) {
      created.value = result.value;
      const { key: _secret, ...view } = result.value;
      keys.value = [view, ...keys.value];
    }
    return result;
  }

  async function revoke(id: string): Promise<Result<void>> {
    const result = await attempt(() => options.api.revoke({ id }), describeApiError);
    if (!result.ok) return result;
    keys.value = keys.value.map((k) => (k.id === id ? result.value : k));
    if (created.value?.id === id) created.value = null;
    return { ok: true, value: undefined };
  }

  return {
    keys,
    loading,
    error,
    created,
    load,
    create,
    revoke,
    dismissCreated: () => (created.value = null),
  };
}

/** "Active", "Revoked" or "Expired" at `now`. */
export function keyState(key: ApiKey, now: Date = new Date()): "Active" | "Revoked" | "Expired" {
  if (key.revokedAt) return "Revoked";
  if (key.expiresAt && new Date(key.expiresAt).getTime() <= now.getTime()) return "Expired";
  return "Active";
}
