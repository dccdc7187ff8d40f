import { type Ref, ref } from "vue";
import type { ThumbnailApi } from "../api/types.ts";

/** A URL this close to its expiry is asked for again rather than handed to an <img> that may load it later. */
const FRESH_MS = 60_000;

export interface UseThumbnailsReturn {
  /** The thumbnail URL of each file known to have one. */
  urls: Readonly<Ref<ReadonlyMap<string, string>>>;
  /**
   * Asks for the thumbnails of these files, 100 per call, skipping those whose answer (a URL, or none) is still
   * fresh; `force` asks again anyway (a thumbnail was just made).
   */
  load(fileIds: readonly string[], force?: boolean): Promise<void>;
}

/** The grid's thumbnail URLs: short-lived, asked for a page at a time. */
export function useThumbnails(api: ThumbnailApi, now: () => number = Date.now): UseThumbnailsReturn {
  const urls = ref(new Map<string, string>());
  // Until when each answer holds: a URL's expiry, or for a file without a thumbnail, a while from asking.
  const freshUntil = new Map<string, number>();
  async function ask(fileIds: string[]) {
    try {
      const { items } = await api.thumbnailUrls({ fileIds });
      const next = new Map(urls.value);
      for (const id of fileIds) freshUntil.set(id, now() + FRESH_MS * 2);
      for (const item of items) {
        next.set(item.fileId, item.url);
        freshUntil.set(item.fileId, Date.parse(item.expiresAt));
      }
      urls.value = next;
    } catch {
      // No thumbnails is a grid of names: nothing to report.
    }
  }
  return {
    urls,
    async load(fileIds, force = false) {
      const stale = fileIds.filter((id) => force || (freshUntil.get(id) ?? 0) - now() < FRESH_MS);
      for (let at = 0; at < stale.length; at += 100) await ask(stale.slice(at, at + 100));
    },
  };
}
