/**
 * Thumbnails in a real Chromium against the real API (embedded local-s3): a JPEG carrying EXIF GPS is uploaded,
 * the browser renders a WebP thumbnail without any metadata, the grid view shows it lazily (reached and used from
 * the keyboard), and axe-core finds no violation on the grid.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeViolations, type BrowserSuite, type RunningApi, signUpInSpa, startSuite } from "./harness.ts";

let suite: BrowserSuite;
let api: RunningApi;
let page: Page;
let fixtures: string;

/**
 * An APP1 segment holding a TIFF whose IFD0 points at a GPS IFD with GPSLatitudeRef "N": the smallest EXIF a
 * camera's location leaks through.
 */
function exifGpsSegment(): Buffer {
  const tiff = Buffer.alloc(44);
  tiff.write("MM\0*", 0, "latin1");
  tiff.writeUInt32BE(8, 4); // IFD0 at 8
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x8825, 10); // GPSInfo IFD pointer
  tiff.writeUInt16BE(4, 12); // LONG
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt32BE(26, 18); // GPS IFD at 26
  tiff.writeUInt32BE(0, 22); // no next IFD
  tiff.writeUInt16BE(1, 26); // one GPS entry
  tiff.writeUInt16BE(0x0001, 28); // GPSLatitudeRef
  tiff.writeUInt16BE(2, 30); // ASCII
  tiff.writeUInt32BE(2, 32);
  tiff.write("N\0", 36, "latin1");
  tiff.writeUInt32BE(0, 40);
  const body = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([header, body]);
}

beforeAll(async () => {
  suite = await startSuite("thumbs");
  ({ api, page, fixtures } = suite);
  await signUpInSpa(page, api.url, "Tom Thumb", `tom-${process.pid}@example.com`);
}, 120_000);

afterAll(() => suite?.close());

describe("thumbnails", () => {
  it("makes a WebP thumbnail without EXIF from a JPEG with GPS, shown in the grid from the keyboard", async () => {
    // A real 600×400 JPEG from Chromium's own encoder, with the EXIF GPS segment spliced in after SOI.
    const encoded = await page.evaluate(async () => {
      const canvas = document.createElement("canvas");
      canvas.width = 600;
      canvas.height = 400;
      const g = canvas.getContext("2d")!;
      g.fillStyle = "#3a7";
      g.fillRect(0, 0, 600, 400);
      g.fillStyle = "#a37";
      g.fillRect(100, 100, 200, 150);
      const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), "image/jpeg", 0.9));
      return Array.from(new Uint8Array(await blob.arrayBuffer()));
    });
    const jpeg = Buffer.from(encoded);
    const withGps = Buffer.concat([jpeg.subarray(0, 2), exifGpsSegment(), jpeg.subarray(2)]);
    expect(withGps.includes("Exif\0\0")).toBe(true);
    await writeFile(join(fixtures, "beach.jpg"), withGps);

    await page.getByLabel("Choose files").setInputFiles(join(fixtures, "beach.jpg"));
    await page.getByRole("list", { name: "Files" }).getByRole("heading", { name: "beach.jpg" }).waitFor();

    // The grid, opened from the keyboard.
    await page.getByRole("button", { name: "Grid" }).focus();
    await page.keyboard.press("Enter");
    const grid = page.getByRole("list", { name: "Files as thumbnails" });
    await grid.waitFor();
    const thumb = grid.getByRole("img", { name: "Thumbnail of beach.jpg" });
    await thumb.waitFor({ timeout: 15_000 });
    expect(await thumb.getAttribute("loading")).toBe("lazy");
    // Decoded by the browser from the bucket, within 256 px.
    await page.waitForFunction(
      () => (document.querySelector("img.file-grid__thumb") as HTMLImageElement | null)?.naturalWidth === 256,
    );

    const src = await thumb.getAttribute("src");
    const bytes = Buffer.from(await (await fetch(src!)).arrayBuffer());
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("RIFF");
    expect(bytes.subarray(8, 12).toString("latin1")).toBe("WEBP");
    expect(bytes.length).toBeLessThanOrEqual(64 * 1024);
    // No EXIF chunk, and nothing of the GPS segment's bytes.
    expect(bytes.includes("EXIF")).toBe(false);
    expect(bytes.includes("Exif")).toBe(false);
    expect(bytes.includes("MM\0*")).toBe(false);

    // The grid's one control per file is next in the tab order, and works from the keyboard.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe(
      "Download beach.jpg",
    );
  }, 90_000);

  it("makes a thumbnail of a video's first frame", async () => {
    // A WebM recorded from a canvas by Chromium's own encoder, a few animation frames long.
    const recorded = await page.evaluate(async () => {
      const canvas = document.createElement("canvas");
      canvas.width = 320;
      canvas.height = 240;
      const g = canvas.getContext("2d")!;
      const recorder = new MediaRecorder(canvas.captureStream(30), { mimeType: "video/webm" });
      const chunks: Blob[] = [];
      recorder.ondataavailable = (event) => chunks.push(event.data);
      const stopped = new Promise((resolve) => {
        recorder.onstop = resolve;
      });
      recorder.start();
      for (let frame = 0; frame < 10; frame++) {
        g.fillStyle = `hsl(${frame * 30}, 60%, 50%)`;
        g.fillRect(0, 0, 320, 240);
        await new Promise((resolve) => requestAnimationFrame(resolve));
      }
      recorder.stop();
      await stopped;
      return Array.from(new Uint8Array(await new Blob(chunks).arrayBuffer()));
    });
    await writeFile(join(fixtures, "clip.webm"), Buffer.from(recorded));
    await page.getByRole("button", { name: "List" }).click();
    await page.getByLabel("Choose files").setInputFiles(join(fixtures, "clip.webm"));
    await page.getByRole("list", { name: "Files" }).getByRole("heading", { name: "clip.webm" }).waitFor();
    await page.getByRole("button", { name: "Grid" }).click();
    const thumb = page
      .getByRole("list", { name: "Files as thumbnails" })
      .getByRole("img", { name: "Thumbnail of clip.webm" });
    // Decoding a video and encoding its frame share the machine with the rest of the suite: give it time.
    await thumb.waitFor({ timeout: 60_000 });
    const bytes = Buffer.from(await (await fetch((await thumb.getAttribute("src"))!)).arrayBuffer());
    expect(bytes.subarray(8, 12).toString("latin1")).toBe("WEBP");
  }, 90_000);

  it("has no axe-core violations on the grid view", async () => {
    await page.getByRole("list", { name: "Files as thumbnails" }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });
});
