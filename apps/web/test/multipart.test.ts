/**
 * Large files in a real Chromium against the real API and its embedded S3 endpoint (R2's part rules, per-part
 * SHA-256): parts, a reload midway and a resume that sends only the missing parts, the network cut during a
 * part, a part the storage refuses shown on its row, the Pause / Resume / Discard buttons, and a part URL that
 * expired before its PUT arrived. Few and big on purpose: each step costs real bytes.
 */
import { join } from "node:path";
import type { Signer } from "@signet/signer";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import {
  ARTIFACTS,
  type BrowserSuite,
  bucketOf,
  type RunningApi,
  signUpInSpa,
  startSuite,
  storySteps,
} from "./harness.ts";
import { type FileRow, pageTools, partOf, sha256OfFile, writeFixture } from "./multipart-support.ts";

const MiB = 1024 * 1024;
/**
 * Short-lived part URLs, so one can expire on purpose within a test. Not shorter: a PUT that Playwright's request
 * interception holds up can take seconds to reach the storage on a loaded machine, and it must not expire then.
 */
const UPLOAD_URL_TTL_S = 15;
/** Small enough that "the quota came back" can be checked by announcing exactly what is left. */
const QUOTA_BYTES = 1024 * MiB;

let suite: BrowserSuite;
let api: RunningApi;
let context: BrowserContext;
let page: Page;
let fixtures: string;
/** The embedded S3 endpoint, signed with the dev credentials, to see what the bucket itself holds. */
let storage: Signer;

const {
  trpc,
  fileNamed,
  downloadedSha,
  countPartPuts,
  holdPartsFrom,
  partsAccepted,
  journalHas,
  partsOnServer,
  interruptedEntries,
  row,
} = pageTools(() => page);

const fixture = (name: string, size: number, seed: number) => writeFixture(fixtures, name, size, seed);

const step = storySteps({ prefix: "multipart", page: () => page, api: () => api, timeoutMs: 300_000 });

describe("large files from the SPA, in parts", () => {
  beforeAll(async () => {
    suite = await startSuite("web-multipart", {
      api: {
        env: {
          MULTIPART_THRESHOLD_BYTES: String(8 * MiB),
          UPLOAD_URL_TTL: String(UPLOAD_URL_TTL_S),
          USER_QUOTA_BYTES: String(QUOTA_BYTES),
        },
      },
    });
    ({ api, context, page, fixtures } = suite);
    storage = await bucketOf(api);
  }, 120_000);

  afterAll(() => suite?.close());

  step("signs up", async () => {
    await signUpInSpa(page, api.url, "Max Parts", `parts-${process.pid}@example.com`);
  });

  step("a 256 MiB file uploads in parts and downloads byte-identical", async () => {
    const path = await fixture("film-256.bin", 256 * MiB, 1);
    const puts = countPartPuts();
    await page.getByLabel("Choose files").setInputFiles(path);
    await row("film-256.bin").getByText("Uploaded").waitFor({ timeout: 240_000 });
    puts.stop();
    expect(puts.sent.toSorted((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    const file = await fileNamed("film-256.bin");
    expect(file?.status).toBe("ready");
    expect(await downloadedSha(file!.id)).toBe(await sha256OfFile(path));
  });

  step("a reload midway, the same file picked again: only the missing parts are sent", async () => {
    const path = await fixture("reload-96.bin", 96 * MiB, 2);
    // Parts 3 and later never get an answer before the reload; 1 and 2 go through.
    await holdPartsFrom(3);
    const twoParts = partsAccepted([1, 2]);
    await page.getByLabel("Choose files").setInputFiles(path);
    await twoParts;
    // The journal is written after each part; give IndexedDB its turn before the page goes.
    await journalHas(2);
    // Reloaded before the route goes: unrouting would let the held PUTs through, to arrive at any time.
    await page.reload();
    await page.unrouteAll({ behavior: "ignoreErrors" });
    const interrupted = interruptedEntries();
    await interrupted.filter({ hasText: "reload-96.bin" }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "multipart-interrupted.png"), fullPage: true });

    const pending = await fileNamed("reload-96.bin");
    expect(pending?.status).toBe("pending");
    const listed = await trpc<{ partCount: number; parts: { partNumber: number }[] }>("files.listParts", {
      fileId: pending!.id,
    });
    expect(listed.partCount).toBe(6);
    const arrived = listed.parts.map((p) => p.partNumber);
    expect(arrived).toEqual(expect.arrayContaining([1, 2]));

    const puts = countPartPuts();
    await page.getByLabel("Resume upload of reload-96.bin: pick the same file").setInputFiles(path);
    await row("reload-96.bin").getByText("Uploaded").waitFor({ timeout: 120_000 });
    puts.stop();
    const missing = [1, 2, 3, 4, 5, 6].filter((n) => !arrived.includes(n));
    expect(puts.sent.toSorted((a, b) => a - b)).toEqual(missing);
    expect(await downloadedSha(pending!.id)).toBe(await sha256OfFile(path));
    await expect.poll(() => interrupted.count()).toBe(0);
  });

  step("the network cut during a part: the upload finishes once it is back", async () => {
    const path = await fixture("offline-48.bin", 48 * MiB, 3);
    const firstPut = page.waitForRequest((r) => r.method() === "PUT" && r.url().includes("partNumber="));
    await page.getByLabel("Choose files").setInputFiles(path);
    await firstPut;
    await context.setOffline(true);
    await row("offline-48.bin").getByText("Uploading").waitFor();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await context.setOffline(false);
    await row("offline-48.bin").getByText("Uploaded").waitFor({ timeout: 120_000 });
    const file = await fileNamed("offline-48.bin");
    expect(await downloadedSha(file!.id)).toBe(await sha256OfFile(path));
  });

  step("a part with wrong bytes is refused by storage, shown on the row, and Retry finishes it", async () => {
    const path = await fixture("corrupt-48.bin", 48 * MiB, 4);
    let refused = false;
    await page.route("**/*", async (route) => {
      const request = route.request();
      const part = new URL(request.url()).searchParams.get("partNumber");
      if (request.method() !== "PUT" || part !== "2" || refused) return route.fallback();
      // The same length, other bytes: the signed checksum no longer matches. Until the storage has said so:
      // on a loaded machine the interception can hold a PUT past its URL's short lifetime, and the engine then
      // rightly signs it again instead (403 expired).
      const response = await route.fetch({ postData: Buffer.alloc(16 * MiB) });
      if (response.status() === 400) refused = true;
      return route.fulfill({ response });
    });
    await page.getByLabel("Choose files").setInputFiles(path);
    const failed = row("corrupt-48.bin");
    await failed
      .getByRole("alert")
      .filter({ hasText: /Part 2: The bytes that arrived do not match/ })
      .waitFor({
        timeout: 120_000,
      });
    await page.screenshot({ path: join(ARTIFACTS, "multipart-part-refused.png"), fullPage: true });
    await page.unrouteAll({ behavior: "ignoreErrors" });
    const puts = countPartPuts();
    await failed.getByRole("button", { name: "Retry upload of corrupt-48.bin" }).click();
    await failed.getByText("Uploaded").waitFor({ timeout: 120_000 });
    puts.stop();
    expect(puts.sent).toContain(2);
    expect(puts.sent).not.toContain(1);
    const file = await fileNamed("corrupt-48.bin");
    expect(await downloadedSha(file!.id)).toBe(await sha256OfFile(path));
  });

  step("Pause sends nothing until Resume, which sends only the missing parts", async () => {
    const name = "pause-96.bin";
    const path = await fixture(name, 96 * MiB, 5);
    await holdPartsFrom(3);
    const twoParts = partsAccepted([1, 2]);
    await page.getByLabel("Choose files").setInputFiles(path);
    await twoParts;
    const item = row(name);
    await item.getByRole("button", { name: `Pause upload of ${name}` }).click();
    await item.getByText("Paused").waitFor();
    // Pausing aborted the held PUTs; from here on the page is free to send, and must not.
    await page.unrouteAll({ behavior: "ignoreErrors" });
    const whilePaused = countPartPuts({ ignoreAbortedByPage: true });
    const file = await fileNamed(name);
    expect(file?.status).toBe("pending");
    const arrived = await partsOnServer(file!.id);
    expect(arrived).toEqual(expect.arrayContaining([1, 2]));
    // Long enough for several part PUTs at loopback speed, had pausing failed to stop the lanes.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    whilePaused.stop();
    expect(whilePaused.sent).toEqual([]);
    expect(await partsOnServer(file!.id)).toEqual(arrived);

    const afterResume = countPartPuts();
    await item.getByRole("button", { name: `Resume upload of ${name}` }).click();
    await item.getByText("Uploaded").waitFor({ timeout: 120_000 });
    afterResume.stop();
    const missing = [1, 2, 3, 4, 5, 6].filter((n) => !arrived.includes(n));
    expect(afterResume.sent.toSorted((a, b) => a - b)).toEqual(missing);
    expect((await fileNamed(name))?.status).toBe("ready");
    expect(await downloadedSha(file!.id)).toBe(await sha256OfFile(path));
  });

  step(
    "Discard after a reload aborts the upload in the bucket, removes its row and returns its quota",
    async () => {
      const name = "discard-48.bin";
      const path = await fixture(name, 48 * MiB, 6);
      await holdPartsFrom(2);
      const firstPart = partsAccepted([1]);
      await page.getByLabel("Choose files").setInputFiles(path);
      await firstPart;
      await journalHas(1);
      // Reloaded before the route goes: unrouting would let the held PUTs through, to arrive at any time.
      await page.reload();
      await page.unrouteAll({ behavior: "ignoreErrors" });
      const entry = interruptedEntries().filter({ hasText: name });
      await entry.waitFor();
      const pending = await fileNamed(name);
      expect(pending?.status).toBe("pending");
      expect((await storage.listMultipartUploads("")).uploads).toHaveLength(1);

      await entry.getByRole("button", { name: `Discard upload of ${name}` }).click();
      await expect.poll(() => entry.count()).toBe(0);
      await expect.poll(async () => (await storage.listMultipartUploads("")).uploads.length).toBe(0);
      await expect.poll(() => fileNamed(name)).toBeUndefined();
      // The quota came back: exactly what is left beside the files that arrived can be announced (with the
      // discarded 48 MiB still reserved this would be PAYLOAD_TOO_LARGE).
      const list = await trpc<{ items: FileRow[] }>("files.list", { limit: 100 });
      const used = list.items.filter((f) => f.status === "ready").reduce((sum, f) => sum + f.size, 0);
      const probe = await trpc<{ fileId: string }>(
        "files.createUpload",
        { filename: "quota-probe.bin", contentType: "application/octet-stream", size: QUOTA_BYTES - used },
        "mutation",
      );
      await trpc("files.abortUpload", { fileId: probe.fileId }, "mutation");
      expect((await storage.listMultipartUploads("")).uploads).toEqual([]);
      // Forgotten by the browser too: another reload offers nothing to resume.
      await page.reload();
      await page.getByRole("heading", { name: "Files", level: 1 }).waitFor();
      expect(await interruptedEntries().count()).toBe(0);
    },
  );

  step("a part URL that expired before its PUT arrived is signed again and the upload finishes", async () => {
    const name = "expired-48.bin";
    const path = await fixture(name, 48 * MiB, 7);
    const partTwo: { status: number; signedAt: string | null }[] = [];
    const onResponse = (response: { url(): string; status(): number; request(): { method(): string } }) => {
      if (response.request().method() !== "PUT" || partOf(response.url()) !== "2") return;
      partTwo.push({
        status: response.status(),
        signedAt: new URL(response.url()).searchParams.get("X-Amz-Date"),
      });
    };
    page.on("response", onResponse);
    let held = false;
    await page.route("**/*", async (route) => {
      const request = route.request();
      if (request.method() !== "PUT" || partOf(request.url()) !== "2" || held) return route.fallback();
      held = true;
      // Past the URL's lifetime before the storage sees it: the storage must answer "Request has expired".
      await new Promise((resolve) => setTimeout(resolve, (UPLOAD_URL_TTL_S + 2) * 1000));
      return route.fallback();
    });
    await page.getByLabel("Choose files").setInputFiles(path);
    const item = row(name);
    await item.getByText("Uploaded").waitFor({ timeout: 120_000 });
    page.off("response", onResponse);
    await page.unrouteAll({ behavior: "ignoreErrors" });
    expect(partTwo.map((r) => r.status)).toEqual([403, 200]);
    expect(partTwo[1]!.signedAt).not.toBe(partTwo[0]!.signedAt);
    expect(await item.getByRole("alert").count()).toBe(0);
    const file = await fileNamed(name);
    expect(await downloadedSha(file!.id)).toBe(await sha256OfFile(path));
  });
});
