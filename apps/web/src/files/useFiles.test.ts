import { describe, expect, it } from "vitest";
import { ref } from "vue";
import { LIMITS } from "../api/limits.fixture.ts";
import type { FilesApi, FileView } from "../api/types.ts";
import { useFiles, validateShareExpiry } from "./useFiles.ts";

function fileView(id: string, status: FileView["status"] = "ready"): FileView {
  return {
    id,
    originalFilename: `${id}.txt`,
    contentType: "text/plain",
    size: 3,
    status,
    checksumSha256: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    completedAt: null,
    folderId: null,
    description: "",
    tags: [],
  };
}

/** In-memory server honouring the list/delete/share contract. */
function server(ids: string[]) {
  const rows = ids.map((id) => fileView(id));
  const calls: string[] = [];
  const api: FilesApi = {
    async list(input) {
      const { cursor, limit = 50 } = input ?? {};
      const start = cursor ? Number(cursor) : 0;
      const items = rows.slice(start, start + limit);
      return { items, nextCursor: start + limit < rows.length ? String(start + limit) : null };
    },
    async downloadUrl({ fileId, disposition }) {
      calls.push(`download ${fileId} ${disposition}`);
      return { url: `https://s3/${fileId}`, filename: `${fileId}.txt`, expiresIn: 900, expiresAt: "x" };
    },
    async shareUrl({ fileId, expiresIn }) {
      calls.push(`share ${fileId} ${expiresIn}`);
      return { url: `https://s3/${fileId}?share`, filename: `${fileId}.txt`, expiresIn, expiresAt: "x" };
    },
    async delete({ fileId }) {
      const index = rows.findIndex((r) => r.id === fileId);
      if (index < 0) throw Object.assign(new Error("File not found"), { data: { code: "NOT_FOUND" } });
      rows.splice(index, 1);
      calls.push(`delete ${fileId}`);
      return { ok: true };
    },
  };
  return { api, calls, rows };
}

describe("useFiles", () => {
  it("pages through the list and knows when there is more", async () => {
    const { api } = server(["a", "b", "c"]);
    const files = useFiles({ api, pageSize: 2 });
    await files.refresh();
    expect(files.files.value.map((f) => f.id)).toEqual(["a", "b"]);
    expect(files.hasMore.value).toBe(true);
    await files.loadMore();
    expect(files.files.value.map((f) => f.id)).toEqual(["a", "b", "c"]);
    expect(files.hasMore.value).toBe(false);
  });

  it("shows a just-uploaded file first without duplicating it", async () => {
    const { api } = server(["a"]);
    const files = useFiles({ api });
    await files.refresh();
    files.upsert(fileView("n"));
    files.upsert(fileView("n"));
    expect(files.files.value.map((f) => f.id)).toEqual(["n", "a"]);
  });

  it("deletes, and reports a failed delete without dropping the row", async () => {
    const { api, calls } = server(["a", "b"]);
    const files = useFiles({ api });
    await files.refresh();
    expect(await files.remove("a")).toEqual({ ok: true, value: undefined });
    expect(files.files.value.map((f) => f.id)).toEqual(["b"]);
    files.upsert(fileView("ghost"));
    expect(await files.remove("ghost")).toEqual({ ok: false, error: "File not found" });
    expect(files.files.value.map((f) => f.id)).toEqual(["ghost", "b"]);
    expect(calls).toEqual(["delete a"]);
  });

  it("asks for attachment downloads and validates share expiry before calling", async () => {
    const { api, calls } = server(["a"]);
    const files = useFiles({ api, limits: ref(LIMITS) });
    const download = await files.downloadLink("a");
    expect(download.ok && download.value.url).toBe("https://s3/a");
    expect(await files.shareLink("a", 59)).toEqual({
      ok: false,
      error: "Link expiry must be between 1 minute and 7 days.",
    });
    expect(validateShareExpiry(604_801, LIMITS.shareUrlMaxTtl)).not.toBeNull();
    expect(validateShareExpiry(90.5, LIMITS.shareUrlMaxTtl)).not.toBeNull();
    const share = await files.shareLink("a", 604_800);
    expect(share.ok && share.value.expiresIn).toBe(604_800);
    expect(calls).toEqual(["download a attachment", "share a 604800"]);
  });

  it("reports a list failure as a human message", async () => {
    const files = useFiles({
      api: {
        ...server([]).api,
        list: () => Promise.reject(new TypeError("Failed to fetch")),
      },
    });
    await files.refresh();
    expect(files.error.value).toMatch(/Could not reach the Signet server/);
    expect(files.loading.value).toBe(false);
  });
});

describe("share-link lifetimes", () => {
  it("offers and accepts only what the server's configured maximum allows, and says so", async () => {
    const limits = ref({ ...LIMITS, shareUrlMaxTtl: 7200 });
    const files = useFiles({ api: server(["a"]).api, limits });
    expect(files.shareChoices.value.map((c) => c.label)).toEqual([
      "1 minute",
      "15 minutes",
      "1 hour",
      "2 hours",
    ]);
    expect(await files.shareLink("a", 86_400)).toEqual({
      ok: false,
      error: "Link expiry must be between 1 minute and 2 hours.",
    });
    limits.value = { ...LIMITS, shareUrlMaxTtl: 3600 };
    expect(files.shareChoices.value.at(-1)).toEqual({ label: "1 hour", seconds: 3600 });
  });
});
