/**
 * The outbox: an event exists exactly when the change it describes committed. The crash cases make one
 * statement of the settle batch fail inside the real database (a trigger raising), which is what a crash or a
 * constraint failure mid-batch amounts to: either both the state change and its event are there, or neither.
 */
import { event, file } from "@signet/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserPut, createHarness, type Harness, sha256Base64, type TestUser } from "../testing/harness.ts";
import { png } from "../testing/images.ts";

let h: Harness;
let alice: TestUser;

beforeAll(async () => {
  h = await createHarness();
  alice = await h.signUp();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

async function upload(name: string, body: string, put = true) {
  const bytes = new TextEncoder().encode(body);
  const up = await h.caller(alice).files.createUpload({
    filename: name,
    contentType: "text/plain",
    size: bytes.length,
    checksumSha256: await sha256Base64(bytes),
  });
  if (!("url" in up)) throw new Error("expected a single PUT");
  if (put) expect((await browserPut(up.url, up.headers, bytes)).status).toBe(200);
  return up.fileId;
}

const eventsOf = (fileId: string) => h.db.select().from(event).where(eq(event.fileId, fileId));
const statusOf = async (fileId: string) =>
  (await h.db.select({ status: file.status }).from(file).where(eq(file.id, fileId)))[0]?.status;

describe("events from the settle batch", () => {
  it("file.ready once, with the verified file's payload and no URL, however often completion runs", async () => {
    const fileId = await upload("report.txt", "quarterly numbers\n");
    await h.caller(alice).files.completeUpload({ fileId });
    await h.caller(alice).files.completeUpload({ fileId });
    const events = await eventsOf(fileId);
    expect(events.map((e) => e.type)).toEqual(["file.ready"]);
    const [ready] = events;
    expect(ready?.payload).toMatchObject({
      id: ready?.id,
      type: "file.ready",
      data: {
        ownerId: alice.id,
        fileId,
        filename: "report.txt",
        size: 18,
        contentType: "text/plain",
        checksumSha256: await sha256Base64(new TextEncoder().encode("quarterly numbers\n")),
        plan: "single",
      },
    });
    expect(JSON.stringify(ready?.payload)).not.toMatch(/https?:|X-Amz-Signature/i);

    await h.caller(alice).files.delete({ fileId });
    expect((await eventsOf(fileId)).map((e) => e.type).sort()).toEqual(["file.deleted", "file.ready"]);
  });

  it("file.rejected for bytes that do not verify, and never file.ready", async () => {
    const fileId = await upload("missing.txt", "never sent", false);
    await expect(h.caller(alice).files.completeUpload({ fileId })).rejects.toThrow(/rejected/);
    expect((await eventsOf(fileId)).map((e) => e.type)).toEqual(["file.rejected"]);
    expect(await statusOf(fileId)).toBe("rejected");
  });

  it("upload.expired when the sweeper settles an upload nobody completed", async () => {
    const fileId = await upload("forgotten.txt", "nobody completes me", false);
    h.advance(600 + 61);
    await h.signet.sweep();
    expect((await eventsOf(fileId)).map((e) => e.type)).toEqual(["upload.expired"]);
  });

  it("a batch failing at its event leaves the file pending (no change without its event)", async () => {
    const fileId = await upload("crash-1.txt", "crash at the event");
    await h.db.run(
      "create trigger crash_event before insert on event begin select raise(abort, 'crash'); end",
    );
    try {
      await expect(h.caller(alice).files.completeUpload({ fileId })).rejects.toThrow();
    } finally {
      await h.db.run("drop trigger crash_event");
    }
    expect(await statusOf(fileId)).toBe("pending");
    expect(await eventsOf(fileId)).toEqual([]);
    // Completing again after the "restart" settles it, with its one event.
    await h.caller(alice).files.completeUpload({ fileId });
    expect((await eventsOf(fileId)).map((e) => e.type)).toEqual(["file.ready"]);
  });

  it("a batch failing at the state change writes no event (no event without its change)", async () => {
    const fileId = await upload("crash-2.txt", "crash at the update");
    await h.db.run(
      "create trigger crash_settle before update of status on file when new.status = 'ready' begin select raise(abort, 'crash'); end",
    );
    try {
      await expect(h.caller(alice).files.completeUpload({ fileId })).rejects.toThrow();
    } finally {
      await h.db.run("drop trigger crash_settle");
    }
    expect(await statusOf(fileId)).toBe("pending");
    expect(await eventsOf(fileId)).toEqual([]);
  });

  it("profile.image.changed with the new picture, and account.deleted that outlives its user", async () => {
    const bob = await h.signUp();
    const bytes = png();
    const signed = (await h.caller(bob).profile.createImageUpload({
      contentType: "image/png",
      fileSize: bytes.length,
    })) as { presignedUrl: string; headers: Record<string, string> };
    expect((await browserPut(signed.presignedUrl, signed.headers, bytes)).status).toBe(200);
    await h.caller(bob).profile.completeImageUpload();
    const changed = await h.db.select().from(event).where(eq(event.ownerId, bob.id));
    expect(changed.map((e) => e.type)).toEqual(["profile.image.changed"]);
    expect(changed[0]?.payload).toMatchObject({
      data: { ownerId: bob.id, contentType: "image/png", size: bytes.length },
    });

    await h.caller(bob).account.delete({ password: "correct horse battery" });
    const after = await h.db.select().from(event).where(eq(event.ownerId, bob.id));
    expect(after.map((e) => e.type).sort()).toEqual(["account.deleted", "profile.image.changed"]);
  });
});
