import { describe, expect, it } from "vitest";
import type { FilesApi, FileView } from "../lib/api-types.ts";
import { useActivity } from "./useActivity.ts";
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
    const files = useFiles({ api });
    const download = await files.downloadLink("a");
    expect(download.ok && download.value.url).toBe("https://s3/a");
    expect(await files.shareLink("a", 59)).toEqual({
      ok: false,
      error: "Link expiry must be between 1 minute and 7 days.",
    });
    expect(validateShareExpiry(604_801)).not.toBeNull();
    expect(validateShareExpiry(90.5)).not.toBeNull();
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

describe("useActivity", () => {
  it("loads events newest first and appends further pages", async () => {
    const events = Array.from({ length: 3 }, (_, i) => ({
      id: `e${i}`,
      at: `2026-01-0${3 - i}T00:00:00.000Z`,
      action: "file.share",
      objectKey: "u/1/x.txt",
      fileId: "x",
      detail: {},
    }));
    const activity = useActivity({
      pageSize: 2,
      api: {
        async list(input) {
          const { cursor, limit = 50 } = input ?? {};
          const start = cursor ? Number(cursor) : 0;
          const end = start + limit;
          return { items: events.slice(start, end), nextCursor: end < events.length ? String(end) : null };
        },
      },
    });
    await activity.refresh();
    await activity.loadMore();
    expect(activity.events.value.map((e) => e.id)).toEqual(["e0", "e1", "e2"]);
    expect(activity.hasMore.value).toBe(false);
  });
});

describe("activity wording", () => {
  it("names the subject by file name or profile, falling back to the key", async () => {
    const { describeSubject } = await import("./useActivity.ts");
    const names = new Map([["f1", "notes.txt"]]);
    const lookup = (id: string) => names.get(id);
    expect(describeSubject({ action: "file.share", objectKey: "u/1/a.txt", fileId: "f1" }, lookup)).toBe(
      "notes.txt",
    );
    expect(describeSubject({ action: "file.delete", objectKey: "u/1/b.txt", fileId: "gone" }, lookup)).toBe(
      "u/1/b.txt",
    );
    expect(describeSubject({ action: "profile.image_complete", objectKey: "uuid", fileId: null })).toBe(
      "Your profile picture",
    );
    expect(describeSubject({ action: "profile.update", objectKey: "user/1", fileId: null })).toBe(
      "Your profile",
    );
  });

  it("writes details in units people read", async () => {
    const { describeDetail } = await import("./useActivity.ts");
    expect(describeDetail({ size: 20 * 1024 * 1024, contentType: "application/pdf", expiresIn: 600 })).toBe(
      "20 MB · application/pdf · link valid 10 minutes",
    );
    expect(describeDetail({ expiresIn: 900, disposition: "attachment" })).toBe(
      "link valid 15 minutes · downloads as a file",
    );
    expect(describeDetail({ field: "name", nested: { x: 1 }, extra: 3 })).toBe("changed: name · extra: 3");
  });
});

describe("describeAction", () => {
  it("labels the API's audit actions and passes unknown ones through", async () => {
    const { describeAction } = await import("./useActivity.ts");
    expect(describeAction("file.share")).toBe("Share link created");
    expect(describeAction("profile.image_reject")).toBe("Profile picture refused");
    expect(describeAction("something.new")).toBe("something.new");
  });
});
