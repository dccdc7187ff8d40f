import { type Ref, ref, shallowRef } from "vue";
import { describeApiError } from "./errors.ts";
import type { Limits, LimitsApi } from "./types.ts";

export interface LimitsStore {
  /** The server's limits once loaded; null before (callers then leave the checks to the server). */
  limits: Readonly<Ref<Limits | null>>;
  /** Why they could not be loaded. */
  error: Readonly<Ref<string | null>>;
  /** Loads them once; a failed load is tried again on the next call. */
  load(): Promise<Limits | null>;
}

/** The server's configured limits, read from the public `limits` procedure once per page load. */
export function createLimitsStore(api: LimitsApi): LimitsStore {
  // Shallow: the limits are replaced whole, never edited, and callers get the object the server sent.
  const limits = shallowRef<Limits | null>(null);
  const error = ref<string | null>(null);
  let loading: Promise<Limits | null> | null = null;
  return {
    limits,
    error,
    load() {
      if (limits.value) return Promise.resolve(limits.value);
      loading ??= api.get().then(
        (value) => {
          limits.value = value;
          error.value = null;
          return value;
        },
        (failure: unknown) => {
          error.value = describeApiError(failure);
          loading = null;
          return null;
        },
      );
      return loading;
    },
  };
}
