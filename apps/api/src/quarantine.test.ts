/**
 * The quarantine verdict end to end with the reference scanner (examples/clamav-scanner) spawned on port 0: real
 * Standard Webhooks signatures, the presigned GET against the real local-s3, and Debian's clamscan with a
 * signature database written here (ClamAV's own cannot be downloaded in tests), matching the EICAR test file.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { event, file, userQuota, webhookDelivery } from "@signet/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverDue } from "./services/webhook-delivery.ts";
import type { Signet } from "./signet.ts";
import {
  type BackgroundInstance,
  createHarness,
  type Harness,
  type TestUser,
  uploadText,
} from "./testing/harness.ts";

const SCANNER = fileURLToPath(new URL("../../../examples/clamav-scanner/server.js", import.meta.url));
// Split so that this source file is not itself taken for the test virus by a scanner on a developer's machine.
const EICAR = ["X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"].join("");
const WEBHOOKS = { allowPrivate: true, logDays: 14, timeoutMs: 10_000 };

let h: Harness;
let instance: BackgroundInstance;
let signet: Signet;
let alice: TestUser;
let dbDir: string;

/** Waits for the attempts started after commits, and those their verdicts started in turn. */
const firstAttempts = () => instance.settled();

beforeAll(async () => {
  h = await createHarness({ webhooks: WEBHOOKS });
  instance = h.withBackground();
  signet = instance.signet;
  alice = await h.signUp();
  // An MD5 signature (.hdb: md5:size:name) of the EICAR test file, the one signature this scanner knows.
  dbDir = await mkdtemp(join(tmpdir(), "signet-clamav-db-"));
  const md5 = createHash("md5").update(EICAR).digest("hex");
  await writeFile(join(dbDir, "eicar.hdb"), `${md5}:${EICAR.length}:Eicar-Test-Signature\n`);
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
  if (dbDir) await rm(dbDir, { recursive: true, force: true });
});

const as = (user: TestUser) => instance.caller(user);

/** The example scanner as its README runs it, on port 0; resolves with its URL once it listens. */
async function startScanner(secret: string) {
  const child: ChildProcess = spawn(process.execPath, [SCANNER], {
    env: { ...process.env, SIGNET_WEBHOOK_SECRET: secret, PORT: "0", CLAMAV_DATABASE: dbDir },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the scanner exited with ${code}`)));
    lines.on("line", (line) => {
      const found = line.match(/listening on (http:\/\/\S+)/);
      if (found) resolve(`${found[1]}/verdict`);
    });
  });
  return {
    url,
    async [Symbol.asyncDispose]() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A receiver that answers every request with `status` and `body`, keeping what it was sent. */
async function answering(status: number, body: string) {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(Buffer.concat(chunks).toString());
      res.writeHead(status, { "content-type": "application/json" }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/verdict`,
    bodies,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Uploads and completes a text file; returns the completed file as completeUpload answers it. */
async function upload(user: TestUser, text: string) {
  return uploadText(as(user), text, "doc.txt");
}

async function row(fileId: string) {
  const [found] = await h.db.select().from(file).where(eq(file.id, fileId));
  return found!;
}

async function reserved(user: TestUser) {
  const [quota] = await h.db.select().from(userQuota).where(eq(userQuota.userId, user.id));
  return quota?.reservedBytes ?? 0;
}

describe("quarantine with the ClamAV reference scanner", () => {
  it("holds a clean file until the scanner allows it, and rejects and deletes the EICAR file", async () => {
    // Created before the scanner exists (its secret starts it): the first verdict request finds nobody.
    const endpoint = await as(alice).webhooks.create({ url: "http://127.0.0.1:9/verdict", blocking: true });
    expect(endpoint.blocking).toBe(true);
    await using scanner = await startScanner(endpoint.secret);

    const clean = await upload(alice, "a perfectly harmless note");
    expect(clean.status).toBe("quarantined");
    await firstAttempts();
    expect((await row(clean.id)).status).toBe("quarantined");
    // While it waits, nobody gets its bytes.
    await expect(as(alice).files.downloadUrl({ fileId: clean.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "fileId: the file is waiting for its scan; try again later",
    });
    await expect(as(alice).files.shareUrl({ fileId: clean.id, expiresIn: 600 })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(as(alice).shares.create({ fileId: clean.id })).rejects.toMatchObject({ code: "CONFLICT" });

    // The scanner is up now; the failed verdict request is retried after its delay, like any delivery.
    await as(alice).webhooks.update({ id: endpoint.id, url: scanner.url });
    h.advance(10);
    const deliveries = { ...signet.deps, config: { webhooks: WEBHOOKS } };
    await deliverDue(deliveries, { budgetMs: 20_000 });
    await firstAttempts();
    expect((await row(clean.id)).status).toBe("ready");
    const link = await as(alice).files.downloadUrl({ fileId: clean.id });
    expect(await (await fetch(link.url)).text()).toBe("a perfectly harmless note");

    const before = await reserved(alice);
    const infected = await upload(alice, EICAR);
    expect(infected.status).toBe("quarantined");
    await firstAttempts();
    const rejected = await row(infected.id);
    expect(rejected.status).toBe("rejected");
    expect(await h.signer.headObject(rejected.key)).toBeNull();
    // Back to the clean file alone: the EICAR bytes were reserved at announce and given back at the deny.
    expect(await reserved(alice)).toBe(before);
    await expect(as(alice).files.downloadUrl({ fileId: infected.id })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });

    // Receivers heard each outcome, the reason naming the signature; no presigned URL was stored or logged.
    const events = await h.db.select().from(event).where(eq(event.ownerId, alice.id));
    const of = (fileId: string) =>
      events
        .filter((e) => e.fileId === fileId)
        .map((e) => [e.type, (e.payload as { data: { reason?: string } }).data.reason]);
    expect(of(clean.id)).toEqual([
      ["file.quarantined", undefined],
      ["file.ready", undefined],
    ]);
    expect(of(infected.id)).toEqual([
      ["file.quarantined", undefined],
      ["file.rejected", "the scanner denied it: Eicar-Test-Signature.UNOFFICIAL"],
    ]);
    const verdicts = await h.db
      .select()
      .from(webhookDelivery)
      .where(eq(webhookDelivery.endpointId, endpoint.id));
    expect(verdicts.filter((d) => d.status === "delivered")).toHaveLength(verdicts.length);
    expect(JSON.stringify([events, verdicts, h.logs])).not.toMatch(/X-Amz-Signature/i);
  });

  it("keeps the file quarantined while a receiver answers 2xx without a verdict, and logs why", async () => {
    const carol = await h.signUp();
    await using receiver = await answering(200, "{}");
    const endpoint = await as(carol).webhooks.create({ url: receiver.url, blocking: true });
    const waiting = await upload(carol, "judged by nobody");
    await firstAttempts();
    expect((await row(waiting.id)).status).toBe("quarantined");
    const log = await as(carol).webhooks.deliveries({ id: endpoint.id });
    expect(JSON.stringify(log)).toContain("answered 200 without a verdict");
    // The request did carry the GET, and the GET serves the bytes.
    const sent = JSON.parse(receiver.bodies[0]!) as { data: { download: { url: string } } };
    expect(await (await fetch(sent.data.download.url)).text()).toBe("judged by nobody");
  });

  it("takes the blocking flag over REST, and refuses anything but a boolean naming blocking", async () => {
    const dave = await h.signUp();
    const post = (body: unknown) =>
      h.app.request("/api/webhooks", {
        method: "POST",
        headers: { authorization: `Bearer ${dave.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const refused = await post({ url: "http://127.0.0.1:9/verdict", blocking: "yes" });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { field?: string }).field).toBe("blocking");
    const created = await post({ url: "http://127.0.0.1:9/verdict", blocking: true });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ blocking: true });
  });

  it("settles straight to ready when no blocking endpoint is enabled", async () => {
    const bob = await h.signUp();
    const hook = await as(bob).webhooks.create({ url: "http://127.0.0.1:9/verdict", blocking: true });
    await as(bob).webhooks.update({ id: hook.id, enabled: false });
    expect((await upload(bob, "no scanner on duty")).status).toBe("ready");
  });
});
