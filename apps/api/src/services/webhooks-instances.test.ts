/**
 * Two Signet processes delivering from one libSQL file at once (two `signet sweep`s, as two instances' timers
 * would run them): the lease in the database means no delivery is attempted by both at the same moment. The
 * receiver answers slowly, so overlapping attempts of one event id would show as overlapping intervals.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDb, createDb, webhookDelivery } from "@signet/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli } from "../cli/testing.ts";
import { draftEvent, eventStatements } from "./events.ts";

const ENV = { WEBHOOKS_ALLOW_PRIVATE: "true", WEBHOOK_TIMEOUT_MS: "5000", NO_COLOR: "1" };
const EVENTS = 24;

let dataDir: string;
const attempts = new Map<string, { start: number; end: number }[]>();
const receiver = createServer((req, res) => {
  const id = String(req.headers["webhook-id"]);
  const attempt = { start: performance.now(), end: Number.POSITIVE_INFINITY };
  attempts.set(id, [...(attempts.get(id) ?? []), attempt]);
  req.resume();
  req.on("end", () =>
    setTimeout(() => {
      attempt.end = performance.now();
      res.writeHead(204).end();
    }, 150),
  );
});

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "signet-webhook-instances-"));
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

describe("webhook delivery from two processes on one database", { timeout: 180_000 }, () => {
  it("never attempts one delivery in both at the same moment, and delivers every event once", async () => {
    const env = { DATA_DIR: dataDir, ...ENV };
    const migrate = await spawnCli(["migrate"], env);
    expect(migrate.code, migrate.stderr).toBe(0);
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const add = await spawnCli(["webhooks", "add", url], env);
    expect(add.code, add.stderr).toBe(0);

    // Events as the settle batches write them: each with its fan-out to the operator-wide endpoint.
    const db = await createDb({ url: `file:${join(dataDir, "signet.db")}` });
    try {
      const now = new Date();
      for (let i = 0; i < EVENTS; i++) {
        const draft = draftEvent("webhook.test", now, { ownerId: null, message: `event ${i}` });
        await db.batch([...eventStatements(db, draft)]);
      }
      expect(await db.select().from(webhookDelivery)).toHaveLength(EVENTS);

      // Two processes at once, then more passes until everything is delivered (a slow machine may need them).
      for (let pass = 0; pass < 6; pass++) {
        const runs = await Promise.all([spawnCli(["sweep"], env), spawnCli(["sweep"], env)]);
        for (const run of runs) expect(run.code, run.stderr).toBe(0);
        const rows = await db.select().from(webhookDelivery);
        if (rows.every((row) => row.status === "delivered")) break;
      }
      const rows = await db.select().from(webhookDelivery);
      expect(rows.map((row) => row.status)).toEqual(Array(EVENTS).fill("delivered"));
    } finally {
      closeDb(db);
    }

    expect(attempts.size).toBe(EVENTS);
    for (const [id, tries] of attempts) {
      const sorted = [...tries].sort((a, b) => a.start - b.start);
      for (let i = 1; i < sorted.length; i++) {
        expect(
          sorted[i]!.start,
          `${id} attempted while an earlier attempt was in flight`,
        ).toBeGreaterThanOrEqual(sorted[i - 1]!.end);
      }
      expect(tries, id).toHaveLength(1);
    }
  });
});
