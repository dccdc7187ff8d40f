/**
 * Large files in a real Chromium against the real API and its embedded S3 endpoint (R2's part rules, per-part
 * SHA-256): parts, a reload midway and a resume that sends only the missing parts, the network cut during a
 * part, and a part the storage refuses shown on its row. Few and big on purpose: each step costs real bytes.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type RunningApi, startApi, webDir } from "./harness.ts";

const ARTIFACTS = join(webDir, "test-artifacts");
const MiB = 1024 * 1024;

let api: RunningApi;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let fixtures: string;

/** Bytes that differ everywhere (xorshift), so a part sent in the wrong place cannot pass. */
function patterned(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return out;
}

async function fixture(name: string, size: number, seed: number): Promise<string> {
  const path = join(fixtures, name);
  await writeFile(path, patterned(size, seed));
  return path;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Calls a tRPC procedure from the page, with its session cookie. */
async function trpc<T>(path: string, input: unknown, kind: "query" | "mutation" = "query"): Promise<T> {
  return page.evaluate(
    async ([p, i, k]) => {
      const response =
        k === "query"
          ? await fetch(`/trpc/${p}?input=${encodeURIComponent(JSON.stringify(i))}`)
          : await fetch(`/trpc/${p}`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(i),
            });
      const body = await response.json();
      if (!body.result) throw new Error(JSON.stringify(body.error));
      return body.result.data;
    },
    [path, input, kind] as const,
  ) as Promise<T>;
}

type FileRow = { id: string; originalFilename: string; status: string };

async function fileNamed(name: string): Promise<FileRow | undefined> {
  const list = await trpc<{ items: FileRow[] }>("files.list", {});
  return list.items.find((f) => f.originalFilename === name);
}

async function downloadedSha(fileId: string): Promise<string> {
  const { url } = await trpc<{ url: string }>("files.downloadUrl", { fileId });
  const response = await fetch(url);
  const hash = createHash("sha256");
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest("hex");
}

/** Part numbers of the part PUTs the page sends from now on. */
function countPartPuts(): { sent: number[]; stop(): void } {
  const sent: number[] = [];
  const listener = (request: { method(): string; url(): string }) => {
    if (request.method() !== "PUT") return;
    const part = new URL(request.url()).searchParams.get("partNumber");
    if (part) sent.push(Number(part));
  };
  page.on("request", listener);
  return { sent, stop: () => page.off("request", listener) };
}

const row = (name: string) =>
  page.getByRole("list", { name: "Uploads" }).getByRole("listitem").filter({ hasText: name });

let unfinished: string | null = null;
function step(name: string, run: () => Promise<void>) {
  it(name, async () => {
    if (unfinished) throw new Error(`not run: the step "${unfinished}" failed or did not finish`);
    unfinished = name;
    try {
      await run();
    } catch (error) {
      const slug = name.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
      await page
        .screenshot({ path: join(ARTIFACTS, `multipart-failed-${slug}.png`), fullPage: true })
        .catch(() => {});
      console.error(`API output (last 30 lines):\n${api.output().split("\n").slice(-30).join("\n")}`);
      throw error;
    }
    unfinished = null;
  }, 300_000);
}

describe("large files from the SPA, in parts", () => {
  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    fixtures = await mkdtemp(join(tmpdir(), "signet-web-multipart-"));
    api = await startApi({ env: { MULTIPART_THRESHOLD_BYTES: String(8 * MiB) } });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await api?.stop();
    if (fixtures) await rm(fixtures, { recursive: true, force: true });
  });

  step("signs up", async () => {
    await page.goto(`${api.url}/sign-up`);
    await page.getByLabel("Name").fill("Max Parts");
    await page.getByLabel("Email").fill(`parts-${process.pid}@example.com`);
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Files", level: 1 }).waitFor();
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
    await page.route("**/*", async (route) => {
      const part = new URL(route.request().url()).searchParams.get("partNumber");
      if (route.request().method() === "PUT" && part && Number(part) >= 3) return; // held until the reload
      return route.fallback();
    });
    const partOf = (url: string) => new URL(url).searchParams.get("partNumber");
    const twoParts = Promise.all(
      ["1", "2"].map((n) =>
        page.waitForResponse((r) => r.request().method() === "PUT" && partOf(r.url()) === n && r.ok(), {
          timeout: 120_000,
        }),
      ),
    );
    await page.getByLabel("Choose files").setInputFiles(path);
    await twoParts;
    // The journal is written after each part; give IndexedDB its turn before the page goes.
    await page.waitForFunction(
      () =>
        new Promise<boolean>((resolve) => {
          const open = indexedDB.open("signet-uploads");
          open.onsuccess = () => {
            const tx = open.result.transaction("interrupted", "readonly");
            const all = tx.objectStore("interrupted").getAll();
            all.onsuccess = () =>
              resolve((all.result as { partsDone: number[] }[]).some((r) => r.partsDone.length >= 2));
          };
          open.onerror = () => resolve(false);
        }),
      undefined,
      { timeout: 30_000 },
    );
    await page.unrouteAll({ behavior: "ignoreErrors" });
    await page.reload();
    const interrupted = page.getByRole("list", { name: "Interrupted uploads" }).getByRole("listitem");
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
    let corrupted = false;
    await page.route("**/*", async (route) => {
      const request = route.request();
      const part = new URL(request.url()).searchParams.get("partNumber");
      if (request.method() !== "PUT" || part !== "2" || corrupted) return route.fallback();
      corrupted = true;
      // The same length, other bytes: the signed checksum no longer matches.
      return route.continue({ postData: Buffer.alloc(16 * MiB) });
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
});
