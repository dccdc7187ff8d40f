/**
 * The profile picture in a real Chromium against the real API and its embedded S3 endpoint: a large phone-style
 * JPEG (stored sideways with EXIF Orientation=6 and a GPS position) is cropped in the browser and arrives as an
 * upright picture of at most 512×512 without any metadata; the crop answers the keyboard and the mouse; earlier
 * pictures are listed and one is restored. Steps run in order and build on each other.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import {
  ARTIFACTS,
  type BrowserSuite,
  type RunningApi,
  signUpInSpa,
  startSuite,
  storySteps,
} from "./harness.ts";

const USER = {
  name: "Grace Cropper",
  email: `grace-${process.pid}@example.com`,
};
/** The photo as the camera stored it: landscape, to be shown rotated 90° clockwise (portrait 1600×2400). */
const STORED = { width: 2400, height: 1600 };

type Rgb = [number, number, number];
const RED: Rgb = [230, 20, 20];
const GREEN: Rgb = [20, 200, 40];
const BLUE: Rgb = [20, 40, 230];
const YELLOW: Rgb = [240, 220, 20];

let suite: BrowserSuite;
let api: RunningApi;
let page: Page;
let fixtures: string;
let photo = "";

const step = storySteps({ prefix: "picture", page: () => page, api: () => api });

/** A JPEG encoded by the browser: four coloured quadrants, in the camera's (sideways) orientation. */
async function quadrantJpeg(on: Page): Promise<Buffer> {
  const dataUrl = await on.evaluate(
    ([w, h, colors]) => {
      const canvas = document.createElement("canvas");
      canvas.width = w;
      canvas.height = h;
      const g = canvas.getContext("2d")!;
      const [tl, tr, bl, br] = colors.map(([r, gr, b]) => `rgb(${r} ${gr} ${b})`);
      g.fillStyle = tl!;
      g.fillRect(0, 0, w / 2, h / 2);
      g.fillStyle = tr!;
      g.fillRect(w / 2, 0, w / 2, h / 2);
      g.fillStyle = bl!;
      g.fillRect(0, h / 2, w / 2, h / 2);
      g.fillStyle = br!;
      g.fillRect(w / 2, h / 2, w / 2, h / 2);
      return canvas.toDataURL("image/jpeg", 0.95);
    },
    [STORED.width, STORED.height, [RED, GREEN, BLUE, YELLOW]] as const,
  );
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(",") + 1), "base64");
}

/**
 * An EXIF APP1 segment as a phone writes one: IFD0 with Orientation=6 (rotate 90° clockwise to display) and a
 * pointer to a GPS IFD holding a position (48°51'29.7"N 2°17'40"E). Big-endian TIFF.
 */
function exifSegment(): Buffer {
  const tiff = Buffer.alloc(140);
  tiff.write("MM", 0, "latin1");
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  const entry = (
    at: number,
    tag: number,
    type: number,
    count: number,
    value: (b: Buffer, o: number) => void,
  ) => {
    tiff.writeUInt16BE(tag, at);
    tiff.writeUInt16BE(type, at + 2);
    tiff.writeUInt32BE(count, at + 4);
    value(tiff, at + 8);
  };
  // IFD0 at 8: two entries, then no next IFD.
  tiff.writeUInt16BE(2, 8);
  entry(10, 0x0112, 3, 1, (b, o) => b.writeUInt16BE(6, o));
  entry(22, 0x8825, 4, 1, (b, o) => b.writeUInt32BE(38, o));
  tiff.writeUInt32BE(0, 34);
  // GPS IFD at 38: four entries; the rationals follow at 92 and 116.
  tiff.writeUInt16BE(4, 38);
  entry(40, 0x0001, 2, 2, (b, o) => b.write("N\0", o, "latin1"));
  entry(52, 0x0002, 5, 3, (b, o) => b.writeUInt32BE(92, o));
  entry(64, 0x0003, 2, 2, (b, o) => b.write("E\0", o, "latin1"));
  entry(76, 0x0004, 5, 3, (b, o) => b.writeUInt32BE(116, o));
  tiff.writeUInt32BE(0, 88);
  const rationals = [48, 1, 51, 1, 2970, 100, 2, 1, 17, 1, 4000, 100];
  for (const [i, n] of rationals.entries()) tiff.writeUInt32BE(n, 92 + i * 4);
  const body = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([header, body]);
}

/** The JPEG with the EXIF segment right after its SOI marker, where cameras put it. */
function withExif(jpeg: Buffer): Buffer {
  expect([...jpeg.subarray(0, 2)]).toEqual([0xff, 0xd8]);
  return Buffer.concat([jpeg.subarray(0, 2), exifSegment(), jpeg.subarray(2)]);
}

const avatar = () => page.getByRole("img", { name: `Profile picture of ${USER.name}` });

/** The current avatar's stored bytes, its size and the colours at the given points, read by the page itself. */
async function storedPicture(image: Locator, points: [number, number][]) {
  const src = await image.getAttribute("src");
  expect(src).toBeTruthy();
  return page.evaluate(
    async ([url, at]) => {
      const response = await fetch(url);
      const bytes = new Uint8Array(await response.arrayBuffer());
      const bitmap = await createImageBitmap(new Blob([bytes]));
      const canvas = document.createElement("canvas");
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      const g = canvas.getContext("2d")!;
      g.drawImage(bitmap, 0, 0);
      const colors = at.map(([x, y]) => [...g.getImageData(x, y, 1, 1).data.slice(0, 3)]);
      return {
        type: response.headers.get("content-type"),
        width: bitmap.width,
        height: bitmap.height,
        bytes: [...bytes],
        colors,
      };
    },
    [src!, points] as const,
  );
}

function expectColor(actual: number[] | undefined, expected: Rgb, where: string) {
  const distance = Math.max(...expected.map((c, i) => Math.abs(c - (actual?.[i] ?? -999))));
  expect(distance, `${where}: got ${actual}, expected about ${expected}`).toBeLessThan(40);
}

async function waitForSrcChange(image: Locator, previous: string | null) {
  await expect
    .poll(
      async () =>
        image.evaluate((el) => {
          const img = el as HTMLImageElement;
          return img.complete && img.naturalWidth > 0 ? img.src : null;
        }),
      { timeout: 20_000 },
    )
    .not.toBe(previous);
  await expect
    .poll(async () => image.evaluate((el) => (el as HTMLImageElement).naturalWidth), { timeout: 20_000 })
    .toBeGreaterThan(0);
}

async function chooseAndUpload(adjust?: () => Promise<void>) {
  const before = (await avatar().count()) > 0 ? await avatar().getAttribute("src") : null;
  await page.getByLabel("Choose image").setInputFiles(photo);
  const preview = page.getByRole("img", { name: "Preview of the new profile picture" });
  await preview.waitFor();
  await adjust?.();
  await page.getByRole("button", { name: "Upload picture" }).click();
  await page.getByText("Profile picture updated.").waitFor({ timeout: 60_000 });
  await waitForSrcChange(avatar(), before);
}

describe("profile picture: crop, history, restore", () => {
  beforeAll(async () => {
    suite = await startSuite("picture", { page: { viewport: { width: 1100, height: 1000 } } });
    ({ api, page, fixtures } = suite);
    await page.goto("about:blank");
    photo = join(fixtures, "IMG_0001.jpg");
    await writeFile(photo, withExif(await quadrantJpeg(page)));
  });

  afterAll(() => suite?.close());

  step("signs up and opens the profile", async () => {
    await signUpInSpa(page, api.url, USER.name, USER.email);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile" }).click();
    await page.getByRole("img", { name: `Initials of ${USER.name}` }).waitFor();
    await page.getByText("No earlier pictures yet.").waitFor();
  });

  step("crops a large sideways JPEG into an upright 512×512 picture without EXIF or GPS", async () => {
    const fixture = await readFile(photo);
    // The fixture really carries what must not travel.
    expect(fixture.includes(Buffer.from("Exif\0\0", "latin1"))).toBe(true);
    await chooseAndUpload(async () => {
      // The preview is upright: portrait, as the EXIF orientation says.
      const preview = page.getByRole("img", { name: "Preview of the new profile picture" });
      await expect
        .poll(() =>
          preview.evaluate((el) => [
            (el as HTMLImageElement).naturalWidth,
            (el as HTMLImageElement).naturalHeight,
          ]),
        )
        .toEqual([STORED.height, STORED.width]);
      await page.screenshot({ path: join(ARTIFACTS, "p1-crop.png"), fullPage: true });
    });
    const stored = await storedPicture(avatar(), [
      [128, 128],
      [384, 128],
      [128, 384],
      [384, 384],
    ]);
    expect(stored).toMatchObject({ width: 512, height: 512, type: "image/webp" });
    // Rotated 90° clockwise: the camera's bottom-left (blue) is now top-left, and so on round.
    expectColor(stored.colors[0], BLUE, "top-left");
    expectColor(stored.colors[1], RED, "top-right");
    expectColor(stored.colors[2], YELLOW, "bottom-left");
    expectColor(stored.colors[3], GREEN, "bottom-right");
    const bytes = Buffer.from(stored.bytes);
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("RIFF");
    expect(bytes.subarray(8, 12).toString("latin1")).toBe("WEBP");
    for (const marker of ["Exif", "EXIF", "XMP ", "GPS", "MM\0*"]) {
      expect(bytes.includes(Buffer.from(marker, "latin1")), marker).toBe(false);
    }
    expect(stored.bytes.length).toBeLessThan(fixture.length);
  });

  step("zooms and moves the crop with the keyboard alone", async () => {
    await chooseAndUpload(async () => {
      const frame = page.getByRole("group", { name: "Crop area" });
      await frame.focus();
      // Zoom all the way in (a 200 px square of the 1600 px wide picture), then move the picture down and to the
      // right, which brings its top-left (blue) quadrant under the frame.
      for (let i = 0; i < 12; i++) await page.keyboard.press("+");
      for (let i = 0; i < 5; i++) {
        await page.keyboard.press("Shift+ArrowDown");
        await page.keyboard.press("Shift+ArrowRight");
      }
      await page.screenshot({ path: join(ARTIFACTS, "p2-crop-keyboard.png"), fullPage: true });
    });
    const stored = await storedPicture(avatar(), [
      [5, 5],
      [100, 100],
      [194, 194],
    ]);
    // A 200 px crop is uploaded at 200 px: never upscaled.
    expect(stored).toMatchObject({ width: 200, height: 200 });
    for (const color of stored.colors) expectColor(color, BLUE, "keyboard crop");
  });

  step("moves the crop by dragging, and lists the two earlier pictures", async () => {
    await chooseAndUpload(async () => {
      const box = (await page.getByRole("group", { name: "Crop area" }).boundingBox())!;
      // Drag the picture up as far as it goes: the frame then shows the bottom of the portrait.
      await page.mouse.move(box.x + box.width / 2, box.y + box.height - 10);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2, box.y + 10, { steps: 5 });
      await page.mouse.move(box.x + box.width / 2, box.y - 200, { steps: 5 });
      await page.mouse.up();
    });
    const stored = await storedPicture(avatar(), [
      [128, 50],
      [128, 200],
      [384, 400],
    ]);
    expect(stored).toMatchObject({ width: 512, height: 512 });
    // The crop covers the portrait's lower two thirds: blue only in the top quarter, then yellow and green.
    expectColor(stored.colors[0], BLUE, "top strip");
    expectColor(stored.colors[1], YELLOW, "left, below the top quarter");
    expectColor(stored.colors[2], GREEN, "bottom-right");

    const earlier = page.getByRole("list", { name: "Earlier pictures" }).getByRole("listitem");
    await expect.poll(() => earlier.count()).toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, "p3-history.png"), fullPage: true });
  });

  step("restores the oldest picture as the avatar, under a new URL", async () => {
    const before = await avatar().getAttribute("src");
    const earlier = page.getByRole("list", { name: "Earlier pictures" }).getByRole("listitem");
    await earlier
      .last()
      .getByRole("button", { name: /^Use the picture from .* again$/ })
      .click();
    await page.getByText("Earlier picture restored.").waitFor();
    await waitForSrcChange(avatar(), before);
    expect(await avatar().getAttribute("src")).not.toBe(before);
    const stored = await storedPicture(avatar(), [
      [128, 200],
      [384, 128],
    ]);
    expect(stored).toMatchObject({ width: 512, height: 512 });
    expectColor(stored.colors[0], BLUE, "restored top-left");
    expectColor(stored.colors[1], RED, "restored top-right");
    // The picture it replaced is an earlier one now; the restored one is not listed twice.
    await expect.poll(() => earlier.count()).toBe(2);
    await page.reload();
    await expect
      .poll(() => page.getByRole("list", { name: "Earlier pictures" }).getByRole("listitem").count())
      .toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, "p4-restored.png"), fullPage: true });
  });
});
