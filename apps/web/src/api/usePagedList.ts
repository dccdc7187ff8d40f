import { type ComputedRef, computed, type Ref, ref } from "vue";
import { describeApiError } from "./errors.ts";

/** One page of a cursor-paged procedure (`files.list`, `audit.list`). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface UsePagedListOptions<T> {
  /** The list procedure: the first page without a cursor, the next ones with the previous page's. */
  list(input: { cursor?: string; limit: number }): Promise<Page<T>>;
  pageSize?: number | undefined;
  /** Which items to show (e.g. not deleted files); every item by default. */
  keep?(item: T): boolean;
}

export interface UsePagedListReturn<T> {
  items: Ref<T[]>;
  loading: Ref<boolean>;
  /** Why a page could not be loaded, if it could not. */
  error: Ref<string | null>;
  hasMore: ComputedRef<boolean>;
  /** Reloads the first page. */
  refresh(): Promise<void>;
  /** Appends the next page. */
  loadMore(): Promise<void>;
}

/**
 * A list paged by the server's cursor: newest first, more on demand, items already shown not shown twice. Only
 * the latest load counts, so a slow first page cannot land over a newer refresh.
 */
export function usePagedList<T extends { id: string }>(
  options: UsePagedListOptions<T>,
): UsePagedListReturn<T> {
  const limit = options.pageSize ?? 50;
  const keep = options.keep ?? (() => true);
  const items: Ref<T[]> = ref([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const nextCursor = ref<string | null>(null);
  let generation = 0;

  async function fetchPage(cursor: string | null) {
    const mine = ++generation;
    loading.value = true;
    error.value = null;
    try {
      const page = await options.list(cursor ? { cursor, limit } : { limit });
      if (mine !== generation) return;
      const seen = new Set(cursor ? items.value.map((item) => item.id) : []);
      const fresh = page.items.filter((item) => !seen.has(item.id) && keep(item));
      items.value = cursor ? [...items.value, ...fresh] : fresh;
      nextCursor.value = page.nextCursor;
    } catch (err) {
      if (mine === generation) error.value = describeApiError(err);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  return {
    items,
    loading,
    error,
    hasMore: computed(() => nextCursor.value !== null),
    refresh: () => fetchPage(null),
    loadMore: async () => {
      if (nextCursor.value) await fetchPage(nextCursor.value);
    },
  };
}
