/**
 * The sign-in backoff and the account-route windows as SQL, on each database Signet runs on: a libSQL file and
 * workerd's D1 (miniflare), so the upsert with its conditional update holds on both.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDb, createDb, type Database, rateLimit } from "@signet/db";
import { migrate } from "@signet/db/migrate";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  claimSignInAttempt,
  clearSignInFailures,
  consumeWindow,
  pruneRateLimits,
  SIGN_IN_BACKOFF,
} from "./limits.ts";

let dir: string;
let mf: Miniflare;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-limits-"));
  mf = new Miniflare({
    modules: true,
    script: "export default { fetch: () => new Response(null) }",
    compatibilityDate: "2026-04-20",
    d1Databases: { DB: "limits-test" },
  });
  await mf.ready;
}, 60_000);
afterAll(async () => {
  await mf?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const backends: { name: string; open: () => Promise<Database> }[] = [
  { name: "libSQL file", open: () => createDb({ url: `file:${join(dir, "limits.db")}` }) },
  { name: "D1", open: async () => createDb({ d1: await mf.getD1Database("DB") }) },
];

describe.each(backends)("on $name", ({ open }) => {
  let db: Database;
  let now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const clock = () => new Date(now);
  beforeAll(async () => {
    db = await open();
    await migrate(db);
  });
  afterAll(() => closeDb(db));

  it("backs off: free failures, then waits that double up to the cap; a success clears it", async () => {
    const { freeFailures, firstWaitSeconds, maxWaitSeconds } = SIGN_IN_BACKOFF;
    const account = "backoff@example.com";
    for (let i = 1; i <= freeFailures; i++)
      expect(await claimSignInAttempt(db, clock, account)).toBeUndefined();
    const waits: number[] = [];
    for (let step = 0; step < 8; step++) {
      const wait = await claimSignInAttempt(db, clock, account);
      expect(wait).toBeDefined();
      waits.push(wait!);
      // Refusals do not lengthen the wait.
      expect(await claimSignInAttempt(db, clock, account)).toBe(wait);
      now += wait! * 1000;
      expect(await claimSignInAttempt(db, clock, account)).toBeUndefined();
    }
    expect(waits).toEqual([30, 60, 120, 240, 480, 900, 900, 900].map((s) => Math.min(s, maxWaitSeconds)));
    expect(waits[0]).toBe(firstWaitSeconds);
    await clearSignInFailures(db, account);
    expect(await claimSignInAttempt(db, clock, account)).toBeUndefined();
  });

  it("forgets failures after a quiet hour", async () => {
    const account = "quiet@example.com";
    for (let i = 0; i < SIGN_IN_BACKOFF.freeFailures; i++) await claimSignInAttempt(db, clock, account);
    now += (SIGN_IN_BACKOFF.firstWaitSeconds + SIGN_IN_BACKOFF.forgetAfterSeconds + 1) * 1000;
    // Counted from one again: free.
    for (let i = 1; i < SIGN_IN_BACKOFF.freeFailures; i++) {
      expect(await claimSignInAttempt(db, clock, account)).toBeUndefined();
    }
  });

  it("counts a window and answers the seconds to its end past the limit", async () => {
    now = Date.UTC(2026, 0, 2, 12, 0, 15);
    const rule = { max: 2, windowSeconds: 60 };
    expect(await consumeWindow(db, clock, "test:ip:192.0.2.1", rule)).toBeUndefined();
    expect(await consumeWindow(db, clock, "test:ip:192.0.2.1", rule)).toBeUndefined();
    expect(await consumeWindow(db, clock, "test:ip:192.0.2.1", rule)).toBe(45);
    expect(await consumeWindow(db, clock, "test:ip:192.0.2.2", rule)).toBeUndefined();
    now += 45_000;
    expect(await consumeWindow(db, clock, "test:ip:192.0.2.1", rule)).toBeUndefined();
  });

  it("prunes what no longer counts and keeps a wait in force", async () => {
    const waiting = "waiting@example.com";
    for (let i = 0; i < SIGN_IN_BACKOFF.freeFailures; i++) await claimSignInAttempt(db, clock, waiting);
    now += 2 * 3600 * 1000;
    for (let i = 0; i < SIGN_IN_BACKOFF.freeFailures; i++) await claimSignInAttempt(db, clock, waiting);
    await pruneRateLimits(db, clock);
    const keys = (await db.select({ key: rateLimit.key }).from(rateLimit)).map((row) => row.key);
    expect(keys).toEqual(["auth:sign-in-failures:waiting@example.com"]);
    expect(await claimSignInAttempt(db, clock, waiting)).toBe(SIGN_IN_BACKOFF.firstWaitSeconds);
  });
});
