import { type Ref, ref } from "vue";
import type { ThumbnailApi } from "../api/types.ts";

/** A URL this close to its expiry is asked for again rather than handed to an <img> that may load it later. */
const FRESH_MS = 60_000;

export interface UseThumbnailsReturn {
  /** The thumbnail URL of each file known to have one. */
  urls: Readonly<Ref<ReadonlyMap<string, string>>>;
  /** Asks for the thumbnails of these files (at most 100), skipping those whose URL is still fresh. */
  load(fileIds: readonly string[]): Promise<void>;
}

/** The grid's thumbnail URLs: short-lived, asked for a page at a time. */
export function useThumbnails(api: ThumbnailApi, now: () => number = Date.now): UseThumbnailsReturn {
  const urls = ref(new Map<string, string>());
  const expiries = new Map<string, number>();
  return {
    urls,
    async load(fileIds) {
      const stale = fileIds.filter((id) => (expiries.get(id) ?? 0) - now() < FRESH_MS).slice(0, 100);
      if (stale.length === 0) return;
      try {
        const { items } = await api.thumbnailUrls({ fileIds: stale });
        const next = new Map(urls.value);
        for (const item of items) {
          next.set(item.fileId, item.url);
          expiries.set(item.fileId, Date.parse(item.expiresAt));
        }
        urls.value = next;
      } catch {
        // No thumbnails is a grid of names: nothing to report.
      }
    },
  };
}
