import { describe, expect, it } from "vitest";
import type { ThumbnailApi } from "../api/types.ts";
import { useThumbnails } from "./useThumbnails.ts";

/** In-memory server: files `a` and `b` have thumbnails whose URLs live 5 minutes from `now`. */
function server(now: () => number) {
  const asked: string[][] = [];
  const api: ThumbnailApi = {
    createThumbnailUpload: () => Promise.reject(new Error("not used")),
    completeThumbnailUpload: () => Promise.reject(new Error("not used")),
    async thumbnailUrls({ fileIds }) {
      asked.push([...fileIds]);
      const expiresAt = new Date(now() + 300_000).toISOString();
      return {
        items: fileIds
          .filter((id) => id === "a" || id === "b")
          .map((fileId) => ({ fileId, url: `https://s3/${fileId}?t=${now()}`, expiresAt })),
      };
    },
  };
  return { api, asked };
}

describe("useThumbnails", () => {
  it("asks for a page at once, keeps fresh URLs and asks again for those about to expire", async () => {
    let clock = 1_000_000;
    const now = () => clock;
    const { api, asked } = server(now);
    const thumbnails = useThumbnails(api, now);

    await thumbnails.load(["a", "b", "c"]);
    expect(asked).toEqual([["a", "b", "c"]]);
    expect([...thumbnails.urls.value.keys()]).toEqual(["a", "b"]);

    // Fresh answers are not asked for again, that of a file without a thumbnail included, unless forced.
    await thumbnails.load(["a", "b", "c"]);
    expect(asked).toHaveLength(1);
    await thumbnails.load(["c"], true);
    expect(asked.at(-1)).toEqual(["c"]);

    clock += 250_000;
    await thumbnails.load(["a", "b"]);
    expect(asked.at(-1)).toEqual(["a", "b"]);
    expect(thumbnails.urls.value.get("a")).toBe(`https://s3/a?t=${clock}`);
  });

  it("asks for 100 files per call", async () => {
    const { api, asked } = server(() => 0);
    const ids = Array.from({ length: 150 }, (_, i) => `f${i}`);
    await useThumbnails(api, () => 0).load(ids);
    expect(asked.map((call) => call.length)).toEqual([100, 50]);
  });

  it("leaves the URLs as they were when the server cannot answer", async () => {
    const api: ThumbnailApi = {
      createThumbnailUpload: () => Promise.reject(new Error("not used")),
      completeThumbnailUpload: () => Promise.reject(new Error("not used")),
      thumbnailUrls: () => Promise.reject(new Error("offline")),
    };
    const thumbnails = useThumbnails(api, () => 0);
    await thumbnails.load(["a"]);
    expect(thumbnails.urls.value.size).toBe(0);
  });
});
