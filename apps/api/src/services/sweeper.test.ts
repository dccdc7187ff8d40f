/** A backlog of expired pending uploads (after a crash) is settled in one pass, its quota given back. */
import { auditEvent, file, userQuota } from "@signet/db";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../testing/harness.ts";
import { uuidv7 } from "./ids.ts";

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

describe("sweeper", () => {
  it("corrects reserved bytes that no live row accounts for, and audits the correction", async () => {
    const u = await h.signUp();
    // What a crash between a reservation and its row (an older version) or a failed release leaves behind.
    await h.db.insert(userQuota).values({ userId: u.id, reservedBytes: 1024 });
    const result = await h.signet.sweep();
    expect(result.quotaCorrected).toBeGreaterThanOrEqual(1);
    const [quota] = await h.db.select().from(userQuota).where(eq(userQuota.userId, u.id));
    expect(quota?.reservedBytes).toBe(0);
    const events = await h.db.select().from(auditEvent).where(eq(auditEvent.action, "quota.reconcile"));
    expect(events.some((e) => e.objectKey.includes(u.id) || e.actorId === u.id)).toBe(true);
  });

  it("settles all 971 expired pending uploads in one pass and releases their quota", async () => {
    const u = await h.signUp();
    const count = 971;
    const now = h.now();
    const rows = Array.from({ length: count }, (_, i) => {
      const id = uuidv7(now);
      return {
        id,
        ownerId: u.id,
        key: `u/${u.id}/${id}.bin`,
        originalFilename: `left-${i}.bin`,
        contentType: "application/octet-stream",
        size: 10,
        status: "pending" as const,
        createdAt: now,
        uploadExpiresAt: new Date(now.getTime() + 600_000),
      };
    });
    // What a crash leaves: the rows and their reservation, and nobody to complete them.
    for (let i = 0; i < rows.length; i += 200) await h.db.insert(file).values(rows.slice(i, i + 200));
    await h.db.insert(userQuota).values({ userId: u.id, reservedBytes: count * 10 });

    h.advance(600 + 61);
    // One pass, with a budget this busy test machine cannot run out of: the pass itself must not stop early.
    const result = await h.signet.sweep({ budgetMs: 600_000 });
    expect(result).toMatchObject({ ready: 0, rejected: count });
    const pending = await h.db
      .select({ id: file.id })
      .from(file)
      .where(and(eq(file.ownerId, u.id), eq(file.status, "pending")));
    expect(pending).toEqual([]);
    const [quota] = await h.db.select().from(userQuota).where(eq(userQuota.userId, u.id));
    expect(quota?.reservedBytes).toBe(0);
  }, 600_000);

  it("stops a pass when its time budget is spent, and the next pass carries on", {
    timeout: 120_000,
  }, async () => {
    const u = await h.signUp();
    const now = h.now();
    const ids = Array.from({ length: 30 }, () => uuidv7(now));
    await h.db.insert(file).values(
      ids.map((id) => ({
        id,
        ownerId: u.id,
        key: `u/${u.id}/${id}`,
        originalFilename: "x",
        contentType: "text/plain",
        size: 1,
        status: "pending" as const,
        createdAt: now,
        uploadExpiresAt: new Date(now.getTime() + 600_000),
      })),
    );
    h.advance(600 + 61);
    const first = await h.signet.sweep({ budgetMs: 0 });
    expect(first.rejected).toBe(0);
    const second = await h.signet.sweep({ batchSize: 7 });
    expect(second.rejected).toBe(30);
  });
});
