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

    // Fresh ones are not asked for again; a file without a thumbnail is (it may have one by now).
    await thumbnails.load(["a", "b", "c"]);
    expect(asked.at(-1)).toEqual(["c"]);

    clock += 250_000;
    await thumbnails.load(["a", "b"]);
    expect(asked.at(-1)).toEqual(["a", "b"]);
    expect(thumbnails.urls.value.get("a")).toBe(`https://s3/a?t=${clock}`);
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
