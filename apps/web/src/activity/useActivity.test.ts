import { describe, expect, it } from "vitest";
import { useActivity } from "./useActivity.ts";

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
    expect(describeSubject({ action: "thumbnail.urls", objectKey: "user/u1", fileId: null })).toBe(
      "Your files' thumbnails",
    );
    expect(describeSubject({ action: "profile.image_complete", objectKey: "uuid", fileId: null })).toBe(
      "Your profile picture",
    );
    expect(describeSubject({ action: "profile.update", objectKey: "user/1", fileId: null })).toBe(
      "Your profile",
    );
  });

  it("names a file by the filename its event recorded, even once the file is gone", async () => {
    const { describeSubject, describeDetail } = await import("./useActivity.ts");
    const deleted = {
      action: "file.delete",
      objectKey: "u/1/0190-uuid.jpg",
      fileId: "gone",
      detail: { filename: "photo.jpg", size: 2048 },
    };
    expect(describeSubject(deleted, () => undefined)).toBe("photo.jpg");
    expect(describeDetail(deleted.detail)).toBe("2 KB");
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
    expect(describeAction("file.thumbnail_reject")).toBe("Thumbnail refused");
    expect(describeAction("something.new")).toBe("something.new");
  });
});
