/**
 * The announce step is one atomic batch: a statement that fails part-way (a full disk, a broken table) leaves
 * no quota reserved, no issuance counted, no row and no audit event, even when the database would also refuse
 * the compensating writes an older, step-by-step version needed.
 */
import { auditEvent, file, rateLimit, userQuota } from "@signet/db";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, ok, type TestUser } from "../testing/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await createHarness({ rateLimitPerMinute: 5, userQuotaBytes: 1000 });
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

const announce = (who: TestUser, size = 100) =>
  h.trpc(
    "files.createUpload",
    { filename: "report.pdf", contentType: "application/pdf", size },
    { token: who.token },
  );

async function stateOf(userId: string) {
  const [quota] = await h.db.select().from(userQuota).where(eq(userQuota.userId, userId));
  const [rate] = await h.db
    .select()
    .from(rateLimit)
    .where(eq(rateLimit.key, `issue:${userId}`));
  const rows = await h.db.select().from(file).where(eq(file.ownerId, userId));
  const events = await h.db.select().from(auditEvent).where(eq(auditEvent.actorId, userId));
  return {
    reserved: quota?.reservedBytes ?? 0,
    issued: rate?.count ?? 0,
    rows: rows.length,
    uploadEvents: events.filter((e) => e.action === "file.upload_url").length,
  };
}

/** Makes the database refuse `statement` for one user's rows, as a full disk would, until `undo`. */
async function refuse(name: string, on: string, when: string): Promise<() => Promise<void>> {
  await h.db.run(
    sql.raw(`CREATE TRIGGER ${name} BEFORE ${on} WHEN ${when} BEGIN SELECT RAISE(ABORT, 'disk full'); END`),
  );
  return async () => {
    await h.db.run(sql.raw(`DROP TRIGGER ${name}`));
  };
}

describe("announce is atomic", () => {
  it("leaves no reservation when the row insert fails, even if giving bytes back would fail too", async () => {
    const u = await h.signUp();
    const undoInsert = await refuse("file_down", "INSERT ON file", `NEW.owner_id = '${u.id}'`);
    // A step-by-step announce would reserve, fail the insert, then fail this release: the bytes leak for good.
    const undoRelease = await refuse(
      "release_down",
      "UPDATE ON user_quota",
      `NEW.user_id = '${u.id}' AND NEW.reserved_bytes < OLD.reserved_bytes`,
    );
    try {
      expect(await announce(u)).toMatchObject({ ok: false, code: "INTERNAL_SERVER_ERROR" });
    } finally {
      await undoInsert();
      await undoRelease();
    }
    expect(await stateOf(u.id)).toEqual({ reserved: 0, issued: 0, rows: 0, uploadEvents: 0 });
    // Nothing is stuck: the next announcement goes through and holds exactly its own bytes.
    ok(await announce(u));
    expect(await stateOf(u.id)).toEqual({ reserved: 100, issued: 1, rows: 1, uploadEvents: 1 });
  });

  it("leaves nothing behind when the last statement (the audit event) fails", async () => {
    const u = await h.signUp();
    const undo = await refuse("audit_down_2", "INSERT ON audit_event", `NEW.actor_id = '${u.id}'`);
    try {
      expect(await announce(u)).toMatchObject({ ok: false, code: "INTERNAL_SERVER_ERROR" });
    } finally {
      await undo();
    }
    expect(await stateOf(u.id)).toEqual({ reserved: 0, issued: 0, rows: 0, uploadEvents: 0 });
  });

  it("refuses over the quota and over the rate limit with nothing written, naming the numbers", async () => {
    h.advance(60 - ((h.now().getTime() / 1000) % 60));
    const u = await h.signUp();
    const big = await announce(u, 1001);
    expect(big).toMatchObject({ ok: false, code: "PAYLOAD_TOO_LARGE" });
    ok(await announce(u, 900));
    const over = await announce(u, 101);
    expect(over).toMatchObject({
      ok: false,
      code: "PAYLOAD_TOO_LARGE",
      message: "Storage quota exceeded: 900 of 1000 bytes in use, this file needs 101",
    });
    expect(await stateOf(u.id)).toEqual({ reserved: 900, issued: 1, rows: 1, uploadEvents: 1 });
    for (let i = 0; i < 4; i++) ok(await announce(u, 1));
    const limited = await announce(u, 1);
    expect(limited).toMatchObject({ ok: false, code: "TOO_MANY_REQUESTS", status: 429 });
    expect(await stateOf(u.id)).toEqual({ reserved: 904, issued: 5, rows: 5, uploadEvents: 5 });
  });

  it("never overshoots the quota under concurrent announcements", async () => {
    h.advance(60);
    const u = await h.signUp();
    const results = await Promise.all(Array.from({ length: 5 }, () => announce(u, 300)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(await stateOf(u.id)).toMatchObject({ reserved: 900, rows: 3, uploadEvents: 3 });
  });
});
