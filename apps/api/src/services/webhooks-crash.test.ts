/**
 * kill -9 of the API in the middle of a delivery, then a restart on the same data: the verified file's event is
 * still delivered, with the same event id. The receiver holds the first attempt open so the kill lands mid-flight.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { closeDb, createDb, webhookDelivery } from "@signet/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli } from "../cli/testing.ts";
import { browserPut, sha256Base64 } from "../testing/harness.ts";

const apiDir = fileURLToPath(new URL("../..", import.meta.url));
const ENV = { WEBHOOKS_ALLOW_PRIVATE: "true", WEBHOOK_TIMEOUT_MS: "2000" };

let dataDir: string;
const received: string[] = [];
let arrived!: () => void;
const firstArrived = new Promise<void>((resolve) => {
  arrived = resolve;
});
const receiver = createServer((req, res) => {
  received.push(String(req.headers["webhook-id"]));
  req.resume();
  if (received.length === 1) {
    arrived(); // …and never answered: the API is killed while it waits.
    return;
  }
  req.on("end", () => res.writeHead(204).end());
});

async function startApi(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/entry/node.ts"], {
    cwd: apiDir,
    env: { ...process.env, PORT: "0", LOCAL_S3_PORT: "0", DATA_DIR: dataDir, NO_COLOR: "1", ...ENV },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((done, fail) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /signet listening on (\S+)/.exec(output);
      if (match) done(match[1]!);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => fail(new Error(`API exited (${code}) before listening:\n${output}`)));
  });
  return { child, url };
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

let running: ChildProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "signet-webhook-crash-"));
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  if (running && running.exitCode === null) await kill9(running);
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

describe("webhook delivery across a kill -9", { timeout: 120_000 }, () => {
  it("delivers the event after a restart, with the id of the attempt that was cut off", async () => {
    let api = await startApi();
    running = api.child;
    const origin = { origin: api.url, "content-type": "application/json" };
    const signUp = await fetch(`${api.url}/api/auth/sign-up/email`, {
      method: "POST",
      headers: origin,
      body: JSON.stringify({ email: "crash@example.com", password: "correct horse battery", name: "Crash" }),
    });
    const token = signUp.headers.get("set-auth-token");
    expect(token).toBeTruthy();
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const hook = await fetch(`${api.url}/api/webhooks`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` }),
    });
    expect(hook.status).toBe(201);

    const bytes = new TextEncoder().encode("survives a crash");
    const trpc = async (path: string, input: unknown) => {
      const response = await fetch(`${api.url}/trpc/${path}`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify(input),
      });
      return ((await response.json()) as { result: { data: Record<string, unknown> } }).result.data;
    };
    const up = (await trpc("files.createUpload", {
      filename: "crash.txt",
      contentType: "text/plain",
      size: bytes.length,
      checksumSha256: await sha256Base64(bytes),
    })) as { fileId: string; url: string; headers: Record<string, string> };
    expect((await browserPut(up.url, up.headers, bytes)).status).toBe(200);
    expect(await trpc("files.completeUpload", { fileId: up.fileId })).toMatchObject({ status: "ready" });

    await firstArrived;
    await kill9(api.child);

    api = await startApi();
    running = api.child;
    // The dead instance's lease lapses (timeout + 5 s); then a sweep, as the timer or cron would run it, delivers.
    for (let pass = 0; pass < 15 && received.length < 2; pass++) {
      const sweep = await spawnCli(["sweep"], { DATA_DIR: dataDir, ...ENV });
      expect(sweep.code, sweep.stderr).toBe(0);
    }
    expect(received).toHaveLength(2);
    expect(received[1]).toBe(received[0]);

    const db = await createDb({ url: `file:${join(dataDir, "signet.db")}` });
    try {
      const deliveries = await db.select().from(webhookDelivery);
      expect(deliveries).toEqual([expect.objectContaining({ eventId: received[0], status: "delivered" })]);
    } finally {
      closeDb(db);
    }
  });
});
