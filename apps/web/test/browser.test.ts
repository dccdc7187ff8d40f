/**
 * The SPA in a real Chromium against the real API and its embedded S3 endpoint, started on free ports.
 * One user's story, step by step; each step builds on the previous one, so they run in order.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { ARTIFACTS, type BrowserSuite, type RunningApi, startSuite, storySteps } from "./harness.ts";

const MiB = 1024 * 1024;
/** Above the shipped 5 MiB default, so the story also proves the SPA reads the server's limit instead of its own. */
const MAX_AVATAR_BYTES = 10 * MiB;
const USER = {
  name: "Ada Tester",
  email: `ada-${process.pid}@example.com`,
  password: "correct horse battery",
};

let suite: BrowserSuite;
let api: RunningApi;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let fixtures: string;
const files = { notes: "", photo: "", big: "", avatar1: "", avatar2: "", avatarBig: "", fake: "" };
/** Uncaught exceptions and CSP violations seen in the app's page; expected failures are plain console noise. */
const pageProblems: string[] = [];

/** Bytes no one will mistake for another file: a xorshift stream, so a truncated or shifted copy differs. */
function patternedBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
    out[i + 1] = (x >>> 8) & 0xff;
    out[i + 2] = (x >>> 16) & 0xff;
    out[i + 3] = (x >>> 24) & 0xff;
  }
  return out;
}

/** A real PNG or JPEG of the given size and colour, encoded by the browser's own canvas. */
async function canvasImage(on: Page, type: "image/png" | "image/jpeg", color: string, size: number) {
  const dataUrl = await on.evaluate(
    ([mime, fill, side]) => {
      const canvas = document.createElement("canvas");
      canvas.width = side;
      canvas.height = side;
      const g = canvas.getContext("2d")!;
      g.fillStyle = fill;
      g.fillRect(0, 0, side, side);
      g.fillStyle = "#fff";
      g.fillRect(side / 4, side / 4, side / 2, side / 2);
      return canvas.toDataURL(mime, 0.9);
    },
    [type, color, size] as const,
  );
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(",") + 1), "base64");
}

/**
 * A real PNG of noise (xorshift, so the same every run), which PNG cannot compress: 1450² pixels encode to a
 * little over 6 MiB.
 */
async function noisePng(on: Page, side: number, seed: number) {
  const dataUrl = await on.evaluate(
    ([edge, start]) => {
      const canvas = document.createElement("canvas");
      canvas.width = edge;
      canvas.height = edge;
      const g = canvas.getContext("2d")!;
      const pixels = g.createImageData(edge, edge);
      let x = start;
      for (let i = 0; i < pixels.data.length; i += 4) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        pixels.data[i] = x & 0xff;
        pixels.data[i + 1] = (x >>> 8) & 0xff;
        pixels.data[i + 2] = (x >>> 16) & 0xff;
        pixels.data[i + 3] = 255;
      }
      g.putImageData(pixels, 0, 0);
      return canvas.toDataURL("image/png");
    },
    [side, seed] as const,
  );
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(",") + 1), "base64");
}

async function screenshot(name: string, target: Page = page) {
  // Transitions finished, so a bar is captured at the value the page holds rather than mid-animation.
  await target.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, animations: "disabled" });
}

/** Natural width of a loaded <img>, or 0 while it is still loading or broken. */
async function loadedWidth(image: Locator): Promise<number> {
  return image.evaluate((el) => {
    const img = el as HTMLImageElement;
    return img.complete ? img.naturalWidth : 0;
  });
}

async function expectImageWidth(image: Locator, width: number) {
  await expect.poll(() => loadedWidth(image), { timeout: 15_000 }).toBe(width);
}

function fileRow(name: string): Locator {
  return page
    .getByRole("list", { name: "Files" })
    .getByRole("listitem")
    .filter({
      has: page.getByRole("heading", { name, exact: true }),
    });
}

/**
 * Holds the page's next PUT at the network layer until `release()`, so an upload stays in flight for exactly as
 * long as a step needs, however slow the machine is. (A throttled link only gives a few seconds' window, which a
 * loaded machine can miss: the upload then finishes and the Cancel button vanishes under the click.)
 */
async function holdNextPut() {
  let holding = true;
  let letGo = () => {};
  const released = new Promise<void>((resolveRelease) => {
    letGo = resolveRelease;
  });
  const sent = page.waitForRequest((request) => request.method() === "PUT");
  sent.catch(() => {}); // a step that fails earlier must not leave an unhandled rejection behind
  await page.route("**/*", async (route) => {
    if (!holding || route.request().method() !== "PUT") return route.fallback();
    holding = false;
    await released;
    // The page has aborted the request by now; there is nothing left to answer.
    await route.abort().catch(() => {});
  });
  return {
    sent,
    async release() {
      letGo();
      await page.unroute("**/*");
    },
  };
}

const step = storySteps({ prefix: "browser", page: () => page, api: () => api });

describe("Signet SPA in Chromium", () => {
  beforeAll(async () => {
    suite = await startSuite("web-fixtures", {
      api: { env: { MAX_AVATAR_BYTES: String(MAX_AVATAR_BYTES) } },
      page: { acceptDownloads: true },
    });
    ({ api, browser, context, page, fixtures } = suite);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: api.url });
    page.on("pageerror", (error) => pageProblems.push(`uncaught: ${error.message}`));
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) pageProblems.push(`csp: ${message.text()}`);
    });

    await page.goto("about:blank");
    const write = async (name: string, bytes: Uint8Array) => {
      const path = join(fixtures, name);
      await writeFile(path, bytes);
      return path;
    };
    files.avatar1 = await write("avatar-red.png", await canvasImage(page, "image/png", "#d92d20", 64));
    files.avatar2 = await write("avatar-blue.jpg", await canvasImage(page, "image/jpeg", "#1570ef", 80));
    files.photo = await write("photo.jpg", await canvasImage(page, "image/jpeg", "#12b76a", 200));
    files.notes = await write("notes.txt", new TextEncoder().encode("Signet end-to-end notes\nline two\n"));
    files.big = await write("big.bin", patternedBytes(20 * MiB, 42));
    files.avatarBig = await write("avatar-6mib.png", await noisePng(page, 1450, 42));
    files.fake = await write(
      "fake.png",
      new TextEncoder().encode("this is plain text wearing a .png name\n"),
    );
  });

  afterAll(async () => {
    await suite?.close();
    // A graceful shutdown is part of the contract the SPA's `pnpm start` relies on.
    expect(await api?.stop()).toBe(0);
  });

  step("signs up, with field-level validation first", async () => {
    await page.goto(`${api.url}/files`);
    // Signed-out visitors are sent to sign in.
    // waitForURL rather than expect.poll, whose 1 s default a loaded machine can exceed before the guard redirects.
    await page.waitForURL((url) => url.pathname === "/sign-in");
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByRole("heading", { name: "Create your account" }).waitFor();

    await page.getByLabel("Email").fill("not-an-email");
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByText("Name is required.").waitFor();
    await page.getByText("Enter an email address like name@example.com.").waitFor();
    await page.getByText("Password must be at least 8 characters.").waitFor();
    expect(await page.getByLabel("Email").getAttribute("aria-invalid")).toBe("true");
    await screenshot("01-sign-up-validation");

    await page.getByLabel("Name").fill(USER.name);
    await page.getByLabel("Email").fill(USER.email);
    await page.getByLabel("Password").fill(USER.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Files", level: 1 }).waitFor();
    await page.getByText("No files yet.").waitFor();
    await screenshot("02-files-empty");
  });

  step("uploads an avatar that shows without a reload, then replaces it", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile" }).click();
    await page.getByRole("heading", { name: "Profile", level: 1 }).waitFor();
    await page.getByRole("img", { name: `Initials of ${USER.name}` }).waitFor();

    await page.getByLabel("Choose image").setInputFiles(files.avatar1);
    await expectImageWidth(page.getByRole("img", { name: "Preview of the new profile picture" }), 64);
    await page.getByRole("button", { name: "Upload picture" }).click();
    await page.getByText("Profile picture updated.").waitFor();
    const avatar = page.getByRole("img", { name: `Profile picture of ${USER.name}` });
    await expectImageWidth(avatar, 64);
    const firstSrc = await avatar.getAttribute("src");
    expect(new URL(firstSrc!).origin).not.toBe(api.url);

    await page.getByLabel("Choose image").setInputFiles(files.avatar2);
    await page.getByRole("button", { name: "Upload picture" }).click();
    await page.getByText("Profile picture updated.").waitFor();
    await expectImageWidth(avatar, 80);
    expect(await avatar.getAttribute("src")).not.toBe(firstSrc);
    await screenshot("03-profile-avatar");
  });

  step("uploads three files at once, including 20 MiB, with the progress bar moving", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Files" }).click();
    await page.getByRole("heading", { name: "Files", level: 1 }).waitFor();
    // Record every value the progress bars take, from inside the page, so no intermediate state is missed.
    await page.evaluate(() => {
      const seen: Record<string, number[]> = {};
      (window as unknown as { __progress: typeof seen }).__progress = seen;
      const record = () => {
        for (const bar of document.querySelectorAll("progress")) {
          const key = bar.getAttribute("aria-label") ?? bar.getAttribute("aria-labelledby") ?? "?";
          if (!seen[key]) seen[key] = [];
          const values = seen[key];
          if (values.at(-1) !== bar.value) values.push(bar.value);
        }
      };
      new MutationObserver(record).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        characterData: true,
      });
    });
    // Slow the link down so a local 20 MiB upload takes long enough to watch.
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 10 * MiB,
    });

    await page.getByLabel("Choose files").setInputFiles([files.notes, files.photo, files.big]);
    const bigBar = page.getByRole("progressbar", { name: "Upload progress for big.bin" });
    await bigBar.waitFor();
    // While it runs, the row shows percent, bytes, speed and the time left.
    await page
      .getByRole("list", { name: "Uploads" })
      .getByRole("listitem")
      .filter({ hasText: "big.bin" })
      .getByText(
        /^\d+% · [\d.]+ (B|KB|MB) of 20 MB · [\d.]+ (KB|MB)\/s · (\d+ s|\d+ min|\d+ h \d+ min) left$/,
      )
      .waitFor();
    await screenshot("04a-files-uploading");
    for (const name of ["notes.txt", "photo.jpg", "big.bin"]) {
      await page
        .getByRole("list", { name: "Uploads" })
        .getByRole("listitem")
        .filter({ hasText: name })
        .getByText("Uploaded", { exact: true })
        .waitFor({ timeout: 90_000 });
    }
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await cdp.detach();
    await page.getByText("3 files uploaded", { exact: true }).waitFor();
    const seen = await page.evaluate(
      () => (window as unknown as { __progress: Record<string, number[]> }).__progress,
    );
    const big = seen["Upload progress for big.bin"] ?? [];
    const total = seen["total-progress-label"] ?? [];
    const intermediate = big.filter((v) => v > 0 && v < 100);
    expect(intermediate.length, `big.bin progress values: ${big.join(",")}`).toBeGreaterThanOrEqual(3);
    expect(big.at(-1)).toBe(100);
    for (let i = 1; i < total.length; i++) expect(total[i]!).toBeGreaterThanOrEqual(total[i - 1]!);
    expect(total.at(-1)).toBe(100);

    for (const [name, size, type] of [
      ["big.bin", "20 MB", "application/octet-stream"],
      ["notes.txt", "", "text/plain"],
      ["photo.jpg", "", "image/jpeg"],
    ] as const) {
      const row = fileRow(name);
      await row.getByText("ready", { exact: true }).waitFor();
      await row.getByText(type, { exact: true }).waitFor();
      if (size) await row.getByText(size, { exact: true }).waitFor();
    }
    await screenshot("04-files-uploaded");
  });

  step("accepts files dropped on the drop zone, and can cancel and retry an upload", async () => {
    // A real drop: a DataTransfer holding a File, dispatched on the zone the way the browser does.
    const transfer = await page.evaluateHandle(() => {
      const data = new DataTransfer();
      data.items.add(new File(["dropped by drag and drop\n"], "dropped.txt", { type: "text/plain" }));
      return data;
    });
    const zone = page.getByTestId("dropzone");
    await zone.dispatchEvent("dragenter", { dataTransfer: transfer });
    await zone.dispatchEvent("drop", { dataTransfer: transfer });
    await fileRow("dropped.txt").getByText("ready", { exact: true }).waitFor();

    const held = await holdNextPut();
    try {
      await page.getByLabel("Choose files").setInputFiles({
        name: "slow.bin",
        mimeType: "application/octet-stream",
        buffer: Buffer.from(patternedBytes(256 * 1024, 7)),
      });
      const item = page
        .getByRole("list", { name: "Uploads" })
        .getByRole("listitem")
        .filter({ hasText: "slow.bin" });
      const put = await held.sent;
      await item.getByText("Uploading", { exact: true }).waitFor();

      const putCancelled = page.waitForEvent("requestfailed", (request) => request === put);
      const reservationReleased = page.waitForResponse((response) =>
        response.url().includes("files.abortUpload"),
      );
      await item.getByRole("button", { name: "Cancel upload of slow.bin" }).click();
      await item.getByText("Cancelled", { exact: true }).waitFor();
      // The browser really dropped the PUT, and the server released what it reserved for it (the delete step
      // below relies on that: the cancelled attempt must not linger as a pending file).
      await putCancelled;
      expect((await reservationReleased).ok()).toBe(true);
      await held.release();

      await item.getByRole("button", { name: "Retry upload of slow.bin" }).click();
      await item.getByText("Uploaded", { exact: true }).waitFor();
      await fileRow("slow.bin").getByText("ready", { exact: true }).waitFor();
    } finally {
      await held.release();
    }
  });

  step("a body corrupted in transit is refused by the storage, explained, and retried", async () => {
    // Fault injection on the wire only: one PUT's body has a byte flipped on its way to the real local-s3,
    // which must then refuse it because the signed x-amz-checksum-sha256 no longer matches.
    let corrupted = 0;
    await page.route("**/*", async (route) => {
      const request = route.request();
      if (request.method() !== "PUT" || corrupted > 0) return route.fallback();
      const body = request.postDataBuffer();
      if (!body || body.length === 0) return route.fallback();
      corrupted++;
      const tampered = Buffer.from(body);
      tampered[0] = tampered[0]! ^ 0xff;
      await route.continue({ postData: tampered });
    });
    try {
      await page.getByLabel("Choose files").setInputFiles({
        name: "tampered.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("bytes that will be damaged on the way\n"),
      });
      const item = page
        .getByRole("list", { name: "Uploads" })
        .getByRole("listitem")
        .filter({ hasText: "tampered.txt" });
      const alert = item.getByRole("alert");
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/do not match the file's checksum.*\[BadDigest\]/);
      await page.getByText("1 upload failed — use Retry on the row below", { exact: true }).waitFor();
      await screenshot("04b-upload-refused-by-storage");
      expect(corrupted).toBe(1);
      await item.getByRole("button", { name: "Retry upload of tampered.txt" }).click();
      await item.getByText("Uploaded", { exact: true }).waitFor();
      await fileRow("tampered.txt").getByText("ready", { exact: true }).waitFor();
    } finally {
      await page.unroute("**/*");
    }
  });

  step("downloads a file with exactly the bytes that were uploaded", async () => {
    const downloading = page.waitForEvent("download");
    await fileRow("big.bin").getByRole("button", { name: "Download big.bin" }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe("big.bin");
    const saved = await readFile((await download.path())!);
    const original = await readFile(files.big);
    expect(saved.length).toBe(original.length);
    expect(saved.equals(original)).toBe(true);
  });

  step(
    "copies a share link with the chosen expiry that works in a fresh context without cookies",
    async () => {
      const row = fileRow("notes.txt");
      await row.getByLabel("Share link expiry for notes.txt").selectOption({ label: "Valid for 1 hour" });
      await row.getByRole("button", { name: "Copy share link for notes.txt" }).click();
      await row.getByText(/Anyone with it can download this file until/).waitFor();
      const link = await row.getByRole("textbox", { name: "Share link for notes.txt" }).inputValue();
      expect(new URL(link).searchParams.get("X-Amz-Expires")).toBe("3600");
      const clipboard = await page.evaluate(() => navigator.clipboard.readText()).catch(() => null);
      if (clipboard !== null) expect(clipboard).toBe(link);

      const stranger = await browser.newContext({ acceptDownloads: true });
      try {
        expect(await stranger.cookies()).toEqual([]);
        const strangerPage = await stranger.newPage();
        const downloading = strangerPage.waitForEvent("download");
        // An attachment response aborts the navigation itself; the download event is what matters.
        await strangerPage.goto(link).catch(() => {});
        const download = await downloading;
        expect(download.suggestedFilename()).toBe("notes.txt");
        expect(await readFile((await download.path())!)).toEqual(await readFile(files.notes));
      } finally {
        await stranger.close();
      }
    },
  );

  step("deletes a file after confirmation", async () => {
    await fileRow("photo.jpg").getByRole("button", { name: "Delete photo.jpg" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete photo.jpg?" });
    await dialog.waitFor();
    await screenshot("05-delete-confirm");
    await dialog.getByRole("button", { name: "Delete file" }).click();
    await fileRow("photo.jpg").waitFor({ state: "detached" });
    // Still gone after a reload: the server deleted it, not just the page.
    await page.reload();
    await fileRow("notes.txt").waitFor();
    expect(await fileRow("photo.jpg").count()).toBe(0);
    expect(await fileRow("big.bin").count()).toBe(1);
    // The cancelled attempt was aborted on the server too, so only the retried upload is listed.
    expect(await fileRow("slow.bin").count()).toBe(1);
  });

  step("refuses a fake PNG avatar with a message and keeps the current one", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile" }).click();
    const avatar = page.getByRole("img", { name: `Profile picture of ${USER.name}` });
    await expectImageWidth(avatar, 80);
    await page.getByLabel("Choose image").setInputFiles(files.fake);
    const alert = page.getByRole("alert");
    await alert.waitFor();
    // The browser cannot decode it, so it is refused before anything is signed (the server would refuse its
    // magic bytes too: apps/api/src/profile.test.ts).
    expect(await alert.textContent()).toMatch(/PNG/);
    expect(await page.getByRole("button", { name: "Upload picture" }).count()).toBe(0);
    await expectImageWidth(avatar, 80);
    await screenshot("06-profile-fake-png-refused");
  });

  step("renames the user without losing the avatar", async () => {
    const renamed = "Ada Renamed";
    await page.getByLabel("Name").fill(renamed);
    await page.getByRole("button", { name: "Save name" }).click();
    await page.getByText("Name saved.").waitFor();
    await expectImageWidth(page.getByRole("img", { name: `Profile picture of ${renamed}` }), 80);
    // The header follows without a reload.
    await page.getByRole("banner").getByText(renamed).waitFor();
    await page.reload();
    await expectImageWidth(page.getByRole("img", { name: `Profile picture of ${renamed}` }), 80);
    expect(await page.getByLabel("Name").inputValue()).toBe(renamed);
  });

  step("removes the avatar and falls back to initials", async () => {
    await page.getByRole("button", { name: "Remove picture" }).click();
    await page.getByText("Profile picture removed.").waitFor();
    await page.getByRole("img", { name: "Initials of Ada Renamed" }).waitFor();
    expect(await page.getByRole("img", { name: "Initials of Ada Renamed" }).textContent()).toContain("AR");
    await page.reload();
    await page.getByRole("img", { name: "Initials of Ada Renamed" }).waitFor();
  });

  step(
    "takes a 6 MiB picture, uploads it cropped to 512×512, and names the server's 10 MB limit",
    async () => {
      const size = (await readFile(files.avatarBig)).length;
      expect(size).toBeGreaterThan(6 * MiB);
      expect(size).toBeLessThan(MAX_AVATAR_BYTES);
      // The hint names the server's configured limit, not a number baked into the SPA.
      await page.getByText("PNG, JPEG, WebP, GIF or AVIF, up to 10 MB.", { exact: true }).waitFor();
      await page.getByLabel("Choose image").setInputFiles(files.avatarBig);
      await page.getByRole("button", { name: "Upload picture" }).click();
      await page.getByText("Profile picture updated.").waitFor({ timeout: 60_000 });
      // Resized in the browser: only the 512×512 crop travelled.
      await expectImageWidth(page.getByRole("img", { name: "Profile picture of Ada Renamed" }), 512);
      await screenshot("06b-profile-6mib-avatar");
      // Back to initials, which the later steps expect.
      await page.getByRole("button", { name: "Remove picture" }).click();
      await page.getByRole("img", { name: "Initials of Ada Renamed" }).waitFor();
    },
  );

  step("lists the user's activity, newest first", async () => {
    // An unknown address says so, and a signed-in user keeps the navigation to get back.
    await page.goto(`${api.url}/no-such-page`);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
    const list = page.getByRole("list", { name: "Activity" });
    await list.waitFor();
    await list.getByText("Share link created").waitFor();
    await list.getByText("File deleted").first().waitFor();
    const times = await list
      .locator("time")
      .evaluateAll((els) => els.map((el) => el.getAttribute("datetime")!));
    const sorted = [...times].sort().reverse();
    expect(times).toEqual(sorted);
    await screenshot("07-activity");
  });

  step("works at 360 px wide", async () => {
    await page.setViewportSize({ width: 360, height: 780 });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Files" }).click();
    await fileRow("notes.txt").waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot("08-files-360px");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile" }).click();
    await page.getByRole("img", { name: "Initials of Ada Renamed" }).waitFor();
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    await screenshot("08b-profile-360px");
    // The same pages in the dark scheme, for contrast review.
    await page.emulateMedia({ colorScheme: "dark" });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Files" }).click();
    await fileRow("notes.txt").waitFor();
    await fileRow("notes.txt").getByRole("button", { name: "Delete notes.txt" }).click();
    await page.getByRole("dialog", { name: "Delete notes.txt?" }).waitFor();
    await screenshot("08c-files-dark");
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("dialog").waitFor({ state: "hidden" });
    await page.emulateMedia({ colorScheme: null });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  step("creates an API key shown once, which a script then uses, and revokes it", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile" }).click();
    const section = page.getByRole("region", { name: "API keys" });
    await section.waitFor();
    await section.getByLabel("Key label").fill("nightly backup");
    await section.getByLabel("Scope").selectOption("read");
    await section.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByTestId("new-api-key");
    const key = ((await shown.locator("code").textContent()) ?? "").trim();
    expect(key).toMatch(/^sgk_/);
    await screenshot("09-api-key-created");
    // What a script holding the key sees: it reads over REST, and its scope does not let it upload.
    const auth = { authorization: `Bearer ${key}` };
    expect((await fetch(`${api.url}/api/files`, { headers: auth })).status).toBe(200);
    const upload = await fetch(`${api.url}/api/files`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ filename: "x.txt", contentType: "text/plain", size: 1 }),
    });
    expect(upload.status).toBe(403);
    await shown.getByRole("button", { name: "Done" }).click();
    await shown.waitFor({ state: "hidden" });
    // Shown once: after a reload the list names the key by its prefix only.
    await page.reload();
    await section.getByRole("cell", { name: "nightly backup", exact: true }).waitFor();
    expect(await page.content()).not.toContain(key);
    await section.getByRole("button", { name: "Revoke nightly backup" }).click();
    await page
      .getByRole("dialog", { name: "Revoke this API key?" })
      .getByRole("button", { name: "Revoke key" })
      .click();
    await section.getByText("Revoked “nightly backup”", { exact: false }).waitFor();
    expect((await fetch(`${api.url}/api/files`, { headers: auth })).status).toBe(401);
  });

  step("sends the user to sign in when the session ends, and back after signing in", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
    await page.getByRole("list", { name: "Activity" }).waitFor();
    // The session disappears behind the page's back (as on expiry); the next API call notices.
    await context.clearCookies();
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.getByRole("heading", { name: "Sign in to Signet" }).waitFor();
    expect(new URL(page.url()).searchParams.get("redirect")).toBe("/activity");

    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Email is required.").waitFor();
    await page.getByLabel("Email").fill(USER.email);
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("That email and password do not match an account.").waitFor();
    await page.getByLabel("Password").fill(USER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Activity", level: 1 }).waitFor();
  });

  step("signs out, releasing an upload still in flight while the session lasts", async () => {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Files" }).click();
    const held = await holdNextPut();
    try {
      await page.getByLabel("Choose files").setInputFiles({
        name: "unfinished.bin",
        mimeType: "application/octet-stream",
        buffer: Buffer.from(patternedBytes(64 * 1024, 9)),
      });
      await held.sent;
      await page
        .getByRole("list", { name: "Uploads" })
        .getByRole("listitem")
        .filter({ hasText: "unfinished.bin" })
        .getByText("Uploading", { exact: true })
        .waitFor();
      const reservationReleased = page.waitForResponse((response) =>
        response.url().includes("files.abortUpload"),
      );
      await page.getByRole("button", { name: "Sign out" }).click();
      // Answered with the session still valid: released, not refused as UNAUTHORIZED.
      expect((await reservationReleased).status()).toBe(200);
    } finally {
      await held.release();
    }
    await page.getByRole("heading", { name: "Sign in to Signet" }).waitFor();
    // Keyboard focus on the submit button, so the artifact shows the focus ring.
    await page.getByLabel("Password").focus();
    await page.keyboard.press("Tab");
    expect(
      await page.getByRole("button", { name: "Sign in" }).evaluate((el) => el.matches(":focus-visible")),
    ).toBe(true);
    await screenshot("09-signed-out");
    await page.goto(`${api.url}/profile`);
    await page.getByRole("heading", { name: "Sign in to Signet" }).waitFor();
    // The whole story ran under the API's Content-Security-Policy without a violation or a crash.
    expect(pageProblems).toEqual([]);
  });

  // Last, and on its own, because it needs the API to record each file event's filename (detail.filename).
  step(
    "names a deleted file on the activity page by its original filename, never its storage key",
    async () => {
      await page.getByLabel("Email").fill(USER.email);
      await page.getByLabel("Password").fill(USER.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Profile", level: 1 }).waitFor();
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
      const list = page.getByRole("list", { name: "Activity" });
      const deleted = list.getByRole("listitem").filter({ hasText: "File deleted" });
      await deleted.first().waitFor();
      expect(await deleted.count()).toBe(1);
      // photo.jpg is gone from the file list, so only the event itself can still name it.
      expect((await deleted.locator(".activity-item__subject").textContent())?.trim()).toBe("photo.jpg");
      const subjects = await list.locator(".activity-item__subject").allTextContents();
      expect(subjects.filter((subject) => /^u\//.test(subject.trim()))).toEqual([]);
    },
  );

  step("renders the API reference at /api/docs with nothing loaded from outside the server", async () => {
    const docs = await context.newPage();
    const problems: string[] = [];
    const origins = new Set<string>();
    docs.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
    docs.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) problems.push(`csp: ${message.text()}`);
    });
    docs.on("request", (request) => {
      if (/^https?:/.test(request.url())) origins.add(new URL(request.url()).origin);
    });
    try {
      await docs.goto(`${api.url}/api/docs`);
      // Scalar's reference, rendered from /api/openapi.json: a procedure's summary shows.
      await docs.getByText("The limits a client must respect").first().waitFor({ timeout: 30_000 });
      expect([...origins]).toEqual([new URL(api.url).origin]);
      expect(problems).toEqual([]);
    } finally {
      await docs.close();
    }
  });
});
