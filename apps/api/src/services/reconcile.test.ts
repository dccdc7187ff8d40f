import { auditEvent, file, profileImage, user, userQuota } from "@signet/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  browserPut,
  createHarness,
  type Harness,
  ok,
  sha256Base64,
  type TestUser,
} from "../testing/harness.ts";
import { reconcile, reconcileClean, reconcileQuota } from "./reconcile.ts";

const encoder = new TextEncoder();

/** A verified (ready) file of `text`, uploaded as the SPA does. */
async function readyFile(h: Harness, user: TestUser, filename: string, text: string) {
  const body = encoder.encode(text);
  const upload = ok<{ fileId: string; key: string; url: string; headers: Record<string, string> }>(
    await h.trpc(
      "files.createUpload",
      {
        filename,
        contentType: "text/plain",
        size: body.byteLength,
        checksumSha256: await sha256Base64(body),
      },
      { token: user.token },
    ),
  );
  expect((await browserPut(upload.url, upload.headers, body)).status).toBe(200);
  ok(await h.trpc("files.completeUpload", { fileId: upload.fileId }, { token: user.token }));
  return upload;
}

async function reserved(h: Harness, userId: string): Promise<number | undefined> {
  const [row] = await h.db.select().from(userQuota).where(eq(userQuota.userId, userId));
  return row?.reservedBytes;
}

async function audits(h: Harness, action: string) {
  return (await h.db.select().from(auditEvent)).filter((e) => e.action === action);
}

describe("reconcileQuota", () => {
  it("finds reserved bytes that no live row explains, and with fix recomputes them from the rows, audited", async () => {
    await using h = await createHarness();
    const alice = await h.signUp();
    const bob = await h.signUp();
    await readyFile(h, alice, "a.txt", "four");
    await readyFile(h, bob, "b.txt", "bob's");
    // A crash between reserving and inserting the row leaked 1024 bytes for alice.
    await h.db.update(userQuota).set({ reservedBytes: 1028 }).where(eq(userQuota.userId, alice.id));

    const found = await reconcileQuota(h.deps, { fix: false });
    expect(found).toEqual([{ userId: alice.id, reservedBytes: 1028, liveBytes: 4, fixed: false }]);
    expect(await reserved(h, alice.id)).toBe(1028);

    const fixed = await reconcileQuota(h.deps, { fix: true });
    expect(fixed).toEqual([{ userId: alice.id, reservedBytes: 1028, liveBytes: 4, fixed: true }]);
    expect(await reserved(h, alice.id)).toBe(4);
    expect(await reserved(h, bob.id)).toBe(5);
    const [event] = await audits(h, "quota.reconcile");
    expect(event).toMatchObject({
      actorId: alice.id,
      objectKey: `user/${alice.id}`,
      detail: { before: 1028, after: 4 },
    });
    expect(await reconcileQuota(h.deps, { fix: true })).toEqual([]);
  });

  it("counts pending uploads as reserved, and a quota row that is missing as zero", async () => {
    await using h = await createHarness();
    const alice = await h.signUp();
    ok(
      await h.trpc(
        "files.createUpload",
        { filename: "p.txt", contentType: "text/plain", size: 7 },
        { token: alice.token },
      ),
    );
    expect(await reconcileQuota(h.deps, { fix: false })).toEqual([]);
    await h.db.delete(userQuota).where(eq(userQuota.userId, alice.id));
    expect(await reconcileQuota(h.deps, { fix: true })).toEqual([
      { userId: alice.id, reservedBytes: 0, liveBytes: 7, fixed: true },
    ]);
    expect(await reserved(h, alice.id)).toBe(7);
  });
});

describe("reconcile", () => {
  it("reports objects without rows and rows without objects; fix deletes, marks and audits with the filename", async () => {
    await using h = await createHarness();
    const alice = await h.signUp();
    const kept = await readyFile(h, alice, "kept.txt", "kept");
    const lost = await readyFile(h, alice, "lost report.txt", "lost!");
    const deleted = await readyFile(h, alice, "deleted.txt", "gone");
    // The object of a ready file vanished; a deleted file's object stayed; a stray object has no row at all;
    // an object outside Signet's layouts belongs to someone else.
    await h.signer.deleteObject(lost.key);
    ok(await h.trpc("files.delete", { fileId: deleted.fileId }, { token: alice.token }));
    const ghost = await h.signer.presignPut(deleted.key, {
      expiresIn: 60,
      contentType: "text/plain",
      contentLength: 4,
    });
    expect((await browserPut(ghost.url, ghost.headers, encoder.encode("back"))).status).toBe(200);
    const stray = `u/${alice.id}/stray.txt`;
    const straySigned = await h.signer.presignPut(stray, {
      expiresIn: 60,
      contentType: "text/plain",
      contentLength: 5,
      metadata: { "original-filename": "stray ü.txt" },
    });
    expect((await browserPut(straySigned.url, straySigned.headers, encoder.encode("stray"))).status).toBe(
      200,
    );
    // Past the deleted file's URL lifetime: its purge is due, so the object counts as an orphan now.
    h.advance(3600);
    const other = await h.signer.presignPut("backups/db.sql", {
      expiresIn: 60,
      contentType: "text/plain",
      contentLength: 2,
    });
    expect((await browserPut(other.url, other.headers, encoder.encode("db"))).status).toBe(200);

    const report = await reconcile({ ...h.deps, signer: h.signer }, { fix: false });
    expect(report.objectsScanned).toBe(4);
    expect(report.quota).toEqual([]);
    expect(report.storage.map(({ kind, key, filename, fixed }) => ({ kind, key, filename, fixed }))).toEqual(
      expect.arrayContaining([
        { kind: "orphan-object", key: deleted.key, filename: "deleted.txt", fixed: false },
        { kind: "orphan-object", key: stray, filename: "stray ü.txt", fixed: false },
        { kind: "unknown-object", key: "backups/db.sql", filename: undefined, fixed: false },
        { kind: "missing-file-object", key: lost.key, filename: "lost report.txt", fixed: false },
      ]),
    );
    expect(report.storage).toHaveLength(4);
    expect(reconcileClean(report)).toBe(false);

    const fixed = await reconcile({ ...h.deps, signer: h.signer }, { fix: true });
    expect(reconcileClean(fixed)).toBe(true);
    expect(await h.signer.headObject(deleted.key)).toBeNull();
    expect(await h.signer.headObject(stray)).toBeNull();
    expect(await h.signer.headObject("backups/db.sql")).not.toBeNull();
    expect(await h.signer.headObject(kept.key)).not.toBeNull();
    const [lostRow] = await h.db.select().from(file).where(eq(file.id, lost.fileId));
    expect(lostRow?.status).toBe("deleted");
    expect(await reserved(h, alice.id)).toBe(4);
    const orphanAudits = await audits(h, "file.reconcile_orphan");
    expect(orphanAudits.map((e) => e.detail.filename).sort()).toEqual(["deleted.txt", "stray ü.txt"]);
    const [missing] = await audits(h, "file.reconcile_missing");
    expect(missing).toMatchObject({
      actorId: alice.id,
      fileId: lost.fileId,
      detail: { filename: "lost report.txt" },
    });

    const again = await reconcile({ ...h.deps, signer: h.signer }, { fix: false });
    expect(again.storage.map((f) => f.kind)).toEqual(["unknown-object"]);
    expect(reconcileClean(again)).toBe(true);
  });

  it("never calls the object of a pending upload, or of a deletion whose URL still works, an orphan", async () => {
    await using h = await createHarness();
    const alice = await h.signUp();
    const body = encoder.encode("wait");
    const pending = ok<{ fileId: string; url: string; headers: Record<string, string> }>(
      await h.trpc(
        "files.createUpload",
        { filename: "w.txt", contentType: "text/plain", size: 4 },
        { token: alice.token },
      ),
    );
    expect((await browserPut(pending.url, pending.headers, body)).status).toBe(200);
    const gone = await readyFile(h, alice, "gone.txt", "gone");
    ok(await h.trpc("files.delete", { fileId: gone.fileId }, { token: alice.token }));
    const replay = await h.signer.presignPut(gone.key, {
      expiresIn: 60,
      contentType: "text/plain",
      contentLength: 4,
    });
    expect((await browserPut(replay.url, replay.headers, encoder.encode("gone"))).status).toBe(200);
    const report = await reconcile({ ...h.deps, signer: h.signer }, { fix: true });
    expect(report.storage).toEqual([]);
    expect(report.quota).toEqual([]);
  });

  it("drops a current profile image whose object is gone, audited; an assigned key with no image yet is fine", async () => {
    await using h = await createHarness();
    const alice = await h.signUp();
    const bob = await h.signUp();
    const key = crypto.randomUUID();
    await h.db.update(user).set({ image: key }).where(eq(user.id, alice.id));
    await h.db
      .insert(profileImage)
      .values({ userId: alice.id, contentType: "image/png", size: 10, version: 1, updatedAt: h.now() });
    // Bob was given a key when he asked for an upload URL, and never completed: no image, nothing missing.
    await h.db.update(user).set({ image: crypto.randomUUID() }).where(eq(user.id, bob.id));

    const report = await reconcile({ ...h.deps, signer: h.signer }, { fix: true });
    expect(report.storage).toEqual([{ kind: "missing-profile-image", key, userId: alice.id, fixed: true }]);
    expect(await h.db.select().from(profileImage)).toEqual([]);
    const [event] = await audits(h, "profile.reconcile_missing");
    expect(event).toMatchObject({ actorId: alice.id, objectKey: key });
  });
});
