import { join } from "node:path";
import { closeDb, createDb } from "@signet/db";
import { afterEach, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../testing/harness.ts";

interface LockingClient {
  transaction(mode: "write"): Promise<{ execute(sql: string): Promise<unknown>; rollback(): Promise<void> }>;
}

const observability = { metricsEnabled: true, doctorIntervalSeconds: 0 };

/** From loopback, so /readyz shows the dependencies' errors (as to whoever may read /metrics). */
async function timed(h: Harness, path: string) {
  const started = performance.now();
  const response = await h.app.request(path, {}, { address: "127.0.0.1" });
  return { status: response.status, body: await response.json(), ms: performance.now() - started };
}

describe("/livez and /readyz", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.[Symbol.asyncDispose]();
    h = undefined;
  });

  it("are 200 when the database and the bucket answer, and health says the same", async () => {
    h = await createHarness({ observability });
    expect(await timed(h, "/livez")).toMatchObject({ status: 200, body: { ok: true } });
    expect(await timed(h, "/readyz")).toMatchObject({
      status: 200,
      body: { ok: true, checks: { database: { ok: true }, bucket: { ok: true } } },
    });
    expect(await h.caller(null).health()).toMatchObject({
      ok: true,
      checks: { database: { ok: true }, bucket: { ok: true } },
    });
  });

  it("answers 503 naming the bucket within 2 s when local-s3 is stopped, while /livez stays 200", async () => {
    h = await createHarness({ observability });
    await h.s3.close();
    // Stopped for good: the harness's own close at the end has nothing left to stop.
    Object.assign(h.s3, { close: async () => {} });
    const ready = await timed(h, "/readyz");
    expect(ready.ms).toBeLessThan(2000);
    expect(ready).toMatchObject({
      status: 503,
      body: { ok: false, failing: ["bucket"], checks: { database: { ok: true }, bucket: { ok: false } } },
    });
    expect(ready.body.checks.bucket.error).toMatch(/ECONNREFUSED|connect|fetch failed/i);
    expect((await timed(h, "/livez")).status).toBe(200);
    const health = await h.caller(null).health();
    expect(health).toMatchObject({ ok: false, checks: { bucket: { ok: false } } });
    // Public answers leave the dependency's own words (hosts, ports) out; the log has them, once.
    expect(health.checks?.bucket).toEqual({ ok: false });
    const remote = await h.app.request("/readyz", {}, { address: "203.0.113.9" });
    expect(await remote.json()).toEqual({
      ok: false,
      checks: { database: { ok: true }, bucket: { ok: false } },
      failing: ["bucket"],
    });
    const logged = h.logs.filter((entry) => entry.msg === "readiness: bucket not ready");
    expect(logged).toHaveLength(1);
    expect(String(logged[0]?.error)).toMatch(/ECONNREFUSED|connect|fetch failed/i);
  });

  it("answers 503 naming the database within 2 s while another connection holds it locked", async () => {
    h = await createHarness({ observability });
    const holder = await createDb({ url: `file:${join(h.dir, "signet.db")}` });
    // libSQL's client runs a bare BEGIN and ends it at once; its transaction object keeps the connection. In
    // WAL mode an EXCLUSIVE transaction is the same lock as this IMMEDIATE one: the one writer's.
    const client = (holder as unknown as { $client: LockingClient }).$client;
    const locked = await client.transaction("write");
    try {
      await locked.execute("delete from rate_limit where key = 'held by the test'");
      const ready = await timed(h, "/readyz");
      expect(ready.ms).toBeLessThan(2000);
      expect(ready).toMatchObject({
        status: 503,
        body: { ok: false, failing: ["database"], checks: { database: { ok: false }, bucket: { ok: true } } },
      });
      expect(ready.body.checks.database.error).toMatch(/locked|busy/i);
      expect((await timed(h, "/livez")).status).toBe(200);
    } finally {
      await locked.rollback();
      closeDb(holder);
    }
  });
});
