/**
 * The Uppy example page (/examples/uppy) in a real Chromium: Uppy's own Dashboard and @uppy/aws-s3 from npm,
 * against the real API and its embedded S3 endpoint. Files are picked through the Dashboard's file input; what
 * counts is what Signet says afterwards (files.list, the downloaded bytes) and what Uppy shows of a refusal.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { type BrowserSuite, type RunningApi, signUpInSpa, startSuite, storySteps } from "./harness.ts";
import { pageTools, sha256OfFile, writeFixture } from "./multipart-support.ts";

const MiB = 1024 * 1024;
const LIMIT = 100 * MiB;

let suite: BrowserSuite;
let api: RunningApi;
let browser: Browser;
let page: Page;
let fixtures: string;

const fixture = (name: string, size: number, seed: number) => writeFixture(fixtures, name, size, seed);
const { fileNamed, downloadedSha } = pageTools(() => page);

/** Uppy's own view of the files on the page: name → { complete, error }. */
function uppyFiles(): Promise<Record<string, { complete: boolean; error: string | null }>> {
  return page.evaluate(() => {
    const { uppy } = window as unknown as {
      uppy: {
        getFiles(): { name: string; error?: string | null; progress: { uploadComplete?: boolean } }[];
      };
    };
    return Object.fromEntries(
      uppy
        .getFiles()
        .map((f) => [f.name, { complete: Boolean(f.progress.uploadComplete), error: f.error ?? null }]),
    );
  });
}

/** Waits until every file on the Dashboard has finished, one way or the other. */
async function settled(timeout: number): Promise<void> {
  await page.waitForFunction(
    () => {
      const { uppy } = window as unknown as {
        uppy: { getFiles(): { error?: string | null; progress: { uploadComplete?: boolean } }[] };
      };
      const files = uppy.getFiles();
      return files.length > 0 && files.every((f) => f.progress.uploadComplete || f.error);
    },
    undefined,
    { timeout, polling: 250 },
  );
}

/** Picks files through the Dashboard's own file input (one pick per argument) and presses its upload button. */
async function pickAndUpload(...picks: Parameters<Page["setInputFiles"]>[1][]): Promise<void> {
  for (const [i, files] of picks.entries()) {
    // With files listed, the Dashboard shows its picker again only after "Add more".
    if (i > 0) await page.locator(".uppy-DashboardContent-addMore").click();
    await page.locator("input.uppy-Dashboard-input[type=file]").first().setInputFiles(files);
  }
  await page.locator(".uppy-StatusBar-actionBtn--upload").click();
}

const step = storySteps({ prefix: "uppy", page: () => page, api: () => api, timeoutMs: 300_000 });

/** What this server accepts: the test's own files, not HTML. */
const ALLOWED = "text/plain, application/octet-stream, image/*";
const NOT_ALLOWED = `contentType: text/html files are not accepted here (allowed: ${ALLOWED})`;

describe("Uppy's Dashboard on Signet", () => {
  beforeAll(async () => {
    suite = await startSuite("web-uppy", {
      api: { env: { MAX_FILE_BYTES: String(LIMIT), ALLOWED_CONTENT_TYPES: ALLOWED } },
    });
    ({ api, browser, page, fixtures } = suite);
  }, 120_000);

  afterAll(() => suite?.close());

  step("the example page asks to sign in first, then names the user", async () => {
    await page.goto(`${api.url}/examples/uppy`);
    await page.getByText("Not signed in").waitFor();
    await page.getByRole("link", { name: "sign in to Signet" }).waitFor();

    await signUpInSpa(page, api.url, "Ada Uppy", `uppy-${process.pid}@example.com`);

    await page.goto(`${api.url}/examples/uppy`);
    await page.getByText("Signed in as Ada Uppy").waitFor();
  });

  step("a small file and a 100 MiB file (7 parts) end ready and download byte-identical", async () => {
    const small = await fixture("notes.txt", 3000, 1);
    const big = await fixture("film-100.bin", LIMIT, 2);
    const parts: string[] = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      const part = url.searchParams.get("partNumber");
      if (request.method() === "PUT" && part)
        parts.push(`${url.pathname.endsWith(".txt") ? "txt" : "bin"}:${part}`);
    });
    await pickAndUpload([small, big]);
    await settled(240_000);
    expect(await uppyFiles()).toEqual({
      "notes.txt": { complete: true, error: null },
      "film-100.bin": { complete: true, error: null },
    });
    // Every Uppy upload goes in Signet's parts: one for the small file, 16 MiB ones for the large.
    expect(parts.filter((p) => p.startsWith("txt:"))).toEqual(["txt:1"]);
    expect(parts.filter((p) => p.startsWith("bin:")).length).toBe(7);
    await page.getByText("Complete", { exact: true }).first().waitFor();
    const said = page.getByRole("list", { name: "What Signet said" });
    await said.getByText("notes.txt: uploaded and verified, ready in your Signet files").waitFor();
    await said.getByText("film-100.bin: uploaded and verified, ready in your Signet files").waitFor();

    for (const [name, path, size] of [
      ["notes.txt", small, 3000],
      ["film-100.bin", big, LIMIT],
    ] as const) {
      const file = await fileNamed(name);
      expect(file, name).toMatchObject({ status: "ready", size });
      expect(await downloadedSha(file!.id), name).toBe(await sha256OfFile(path));
    }
  });

  step("a file over the size limit and a type Signet refuses: Uppy shows Signet's message", async () => {
    await page.reload();
    await page.getByText("Signed in as Ada Uppy").waitFor();
    const huge = await fixture("huge.bin", LIMIT + 1, 3);
    await pickAndUpload(
      huge,
      {
        name: "odd.dat",
        mimeType: "not a type",
        buffer: Buffer.from("a file with a made-up type"),
      },
      { name: "page.html", mimeType: "text/html", buffer: Buffer.from("<h1>not here</h1>") },
    );
    await settled(60_000);
    const files = await uppyFiles();
    expect(files["huge.bin"]?.error).toMatch(
      new RegExp(`^Companion request failed: size: at most ${LIMIT} bytes per file \\(got ${LIMIT + 1}\\)`),
    );
    expect(files["odd.dat"]?.error).toMatch(/^Companion request failed: body\.type: must be a MIME type/);
    expect(files["page.html"]?.error).toBe(`Companion request failed: ${NOT_ALLOWED}`);
    // On the Dashboard itself: each file's error button carries the message, and the informer names the file.
    const errorOf = (name: string) =>
      page
        .locator(".uppy-Dashboard-Item")
        .filter({ hasText: name })
        .locator(".uppy-Dashboard-Item-errorDetails")
        .getAttribute("aria-label");
    expect(await errorOf("huge.bin")).toContain(`size: at most ${LIMIT} bytes per file`);
    expect(await errorOf("odd.dat")).toContain("body.type: must be a MIME type");
    expect(await errorOf("page.html")).toContain(NOT_ALLOWED);
    // And the page lists them in plain sight.
    const said = page.getByRole("list", { name: "What Signet said" });
    await said.getByText(`huge.bin: refused: size: at most ${LIMIT} bytes per file`).waitFor();
    await said.getByText("odd.dat: refused: body.type: must be a MIME type").waitFor();
    await said.getByText(`page.html: refused: ${NOT_ALLOWED}`).waitFor();
    // Nothing was announced for either.
    expect(await fileNamed("huge.bin")).toBeUndefined();
    expect(await fileNamed("odd.dat")).toBeUndefined();
    expect(await fileNamed("page.html")).toBeUndefined();
  });

  step("another user's upload can be neither listed nor completed through the Uppy routes", async () => {
    // Ada starts an upload the way Uppy does and leaves it open.
    const started = await page.evaluate(async () => {
      const response = await fetch("/api/uppy/s3/multipart", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          filename: "open.txt",
          type: "text/plain",
          metadata: { size: 5, partSize: 16 * 1024 * 1024 },
        }),
      });
      return (await response.json()) as { uploadId: string };
    });
    // Bob, in another browser context, signs up and tries Ada's upload id.
    const other = await browser.newContext();
    try {
      const bob = await other.newPage();
      await signUpInSpa(bob, api.url, "Bob Other", `uppy-bob-${process.pid}@example.com`);
      const answers = await bob.evaluate(async (id) => {
        const list = await fetch(`/api/uppy/s3/multipart/${id}?key=${id}`);
        const complete = await fetch(`/api/uppy/s3/multipart/${id}/complete?key=${id}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ parts: [] }),
        });
        return [
          { status: list.status, text: list.statusText },
          { status: complete.status, text: complete.statusText },
        ];
      }, started.uploadId);
      expect(answers).toEqual([
        { status: 404, text: `fileId: no file ${started.uploadId}` },
        { status: 404, text: `fileId: no file ${started.uploadId}` },
      ]);
    } finally {
      await other.close();
    }
    expect(await fileNamed("open.txt")).toMatchObject({ status: "pending" });
  });
});
