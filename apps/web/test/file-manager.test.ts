/**
 * The Files page's folders, search and usage meter in a real Chromium against the real API (embedded local-s3):
 * create a folder and open it from the keyboard, upload into it, find the file by its folder's name, keep the structure
 * of a folder tree picked or dropped (a real drop, through the DevTools protocol), and audit the page with axe-core
 * (0 violations).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  axeViolations,
  type BrowserSuite,
  bucketOf,
  type RunningApi,
  signUpInSpa,
  startSuite,
} from "./harness.ts";

let suite: BrowserSuite;
let api: RunningApi;
let page: Page;
let fixtures: string;

beforeAll(async () => {
  suite = await startSuite("fm");
  ({ api, page, fixtures } = suite);
  await writeFile(join(fixtures, "itinerary.txt"), "day one: beach\n");
  for (const name of ["one.txt", "two.txt", "three.txt", "four.txt"])
    await writeFile(join(fixtures, name), name);
  await mkdir(join(fixtures, "Album/nested/deeper"), { recursive: true });
  await writeFile(join(fixtures, "Album/top.txt"), "top");
  await writeFile(join(fixtures, "Album/nested/middle.txt"), "middle");
  await writeFile(join(fixtures, "Album/nested/deeper/bottom.txt"), "bottom");
  // The tree dropped through the DevTools protocol: nested folders, an empty one and a file at each level.
  await mkdir(join(fixtures, "Trip/photos/raw"), { recursive: true });
  await mkdir(join(fixtures, "Trip/empty"));
  await writeFile(join(fixtures, "Trip/plan.txt"), "plan");
  await writeFile(join(fixtures, "Trip/photos/day1.txt"), "day1");
  await writeFile(join(fixtures, "Trip/photos/raw/day1-raw.txt"), "raw");
  await signUpInSpa(page, api.url, "Fay Folder", `fay-${process.pid}@example.com`);
}, 120_000);

afterAll(() => suite?.close());

/**
 * What `read` answers once it equals `expected` (compared as JSON), or its last answer after 10 s: the page
 * updates after a server round trip, so the value is read again until it settles.
 */
async function settled<T>(read: () => Promise<T>, expected: T): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (JSON.stringify(value) === JSON.stringify(expected) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Calls a tRPC query from inside the page, riding on its session cookie like the SPA does. */
async function pageQuery<T>(on: Page, path: string, input: unknown): Promise<T> {
  return on.evaluate(
    async ([p, body]) => {
      const res = await fetch(`/trpc/${p}?input=${encodeURIComponent(JSON.stringify(body))}`);
      const json = (await res.json()) as { result?: { data: unknown }; error?: unknown };
      if (!json.result) throw new Error(`${p} failed: ${JSON.stringify(json.error)}`);
      return json.result.data;
    },
    [path, input] as const,
  ) as Promise<T>;
}

/**
 * The user's folders whose path starts with `path` and the files in them, as sorted entries: a folder is its path
 * and "/", a file its folder's path and its name.
 */
async function treeBelow(on: Page, path: string): Promise<string[]> {
  type Listing = { folders: { id: string; name: string; path: string }[] };
  const entries: string[] = [];
  const walk = async (folderId: string | undefined): Promise<void> => {
    const { folders } = await pageQuery<Listing>(on, "folders.list", folderId ? { folderId } : {});
    for (const f of folders) {
      if (f.path !== path && !f.path.startsWith(`${path}/`)) continue;
      entries.push(`${f.path}/`);
      const { items } = await pageQuery<{ items: { originalFilename: string }[] }>(on, "files.list", {
        folderId: f.id,
      });
      for (const file of items) entries.push(`${f.path}/${file.originalFilename}`);
      await walk(f.id);
    }
  };
  await walk(undefined);
  return entries.sort();
}

describe("Files page: folders, search and usage", () => {
  it("creates a folder, opens it from the keyboard, uploads into it and finds the file by the folder's name", async () => {
    await page.getByLabel("New folder").fill("Holidays 2026");
    await page.getByLabel("New folder").press("Enter");
    const folderButton = page
      .getByRole("list", { name: "Subfolders" })
      .getByRole("button", { name: /Holidays 2026/ });
    await folderButton.focus();
    await page.keyboard.press("Enter");
    await page.getByRole("navigation", { name: "Breadcrumb" }).getByText("Holidays 2026").waitFor();

    await page.getByLabel("Choose files").setInputFiles(join(fixtures, "itinerary.txt"));
    const row = page.getByRole("list", { name: "Files" }).getByRole("heading", { name: "itinerary.txt" });
    await row.waitFor();
    await page.getByText(/of .* used/).waitFor();
    const meter = () => page.locator("#usage-meter").getAttribute("value");
    expect(await settled(meter, "15")).toBe("15");

    await page.getByRole("button", { name: "All folders" }).click();
    // The top level holds no file of its own: the one uploaded is in the folder.
    await page.getByRole("list", { name: "Files" }).waitFor({ state: "detached" });

    await page.getByLabel("Search files").fill("holi");
    await page.getByLabel("Search files").press("Enter");
    await page.getByText("Results for “holi”").waitFor();
    await row.waitFor();
  }, 60_000);

  it("keeps the structure of a folder picked with webkitdirectory", async () => {
    // At the top level "All folders" is the current page, not a button: click it only when there is one to click.
    const allFolders = page.getByRole("button", { name: "All folders" });
    if ((await allFolders.count()) > 0) await allFolders.click();
    await page.getByLabel("Choose folder").setInputFiles(join(fixtures, "Album"));
    const subfolders = page.getByRole("list", { name: "Subfolders" });
    await subfolders.getByRole("button", { name: /Album/ }).click();
    await page.getByRole("list", { name: "Files" }).getByRole("heading", { name: "top.txt" }).waitFor();
    await subfolders.getByRole("button", { name: /nested/ }).click();
    await page.getByRole("list", { name: "Files" }).getByRole("heading", { name: "middle.txt" }).waitFor();
    await subfolders.getByRole("button", { name: /deeper/ }).click();
    await page.getByRole("list", { name: "Files" }).getByRole("heading", { name: "bottom.txt" }).waitFor();
    const crumbs = await page
      .getByRole("navigation", { name: "Breadcrumb" })
      .getByRole("listitem")
      .allTextContents();
    expect(crumbs.map((c) => c.trim())).toEqual(["All folders", "Album", "nested", "deeper"]);
  }, 60_000);

  it("uploads an image pasted on the page (Ctrl/Cmd+V)", async () => {
    await page.getByRole("button", { name: "All folders" }).click();
    await page.evaluate(async () => {
      const canvas = document.createElement("canvas");
      canvas.width = 8;
      canvas.height = 8;
      canvas.getContext("2d")!.fillRect(0, 0, 8, 8);
      const blob = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), "image/png"));
      const data = new DataTransfer();
      data.items.add(new File([blob], "screenshot.png", { type: "image/png" }));
      document.body.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
    });
    await page
      .getByRole("list", { name: "Files" })
      .getByRole("heading", { name: "screenshot.png" })
      .waitFor();
  }, 60_000);

  it("selects files with the mouse (Shift+click range) and the keyboard, moves one and deletes two from the bucket", async () => {
    const bucket = await bucketOf(api);
    const objects = async () => (await bucket.listObjects("u/")).objects.length;

    await page
      .getByLabel("Choose files")
      .setInputFiles(["one.txt", "two.txt", "three.txt", "four.txt"].map((n) => join(fixtures, n)));
    const files = page.getByRole("list", { name: "Files" });
    for (const n of ["one.txt", "two.txt", "three.txt", "four.txt"])
      await files.getByRole("heading", { name: n }).waitFor();
    // A row appears once its upload is verified, so each object is in the bucket now.
    const before = await objects();

    // Rows are listed as their uploads finish; take the four in the order shown: a, b, c, d.
    const shown = (await files.getByRole("heading").allTextContents()).map((t) => t.trim());
    const [a, b, c, d] = shown.filter((n) => ["one.txt", "two.txt", "three.txt", "four.txt"].includes(n));
    // Mouse: a, then Shift+click c selects a..c; keyboard: Space on b leaves a and c.
    await page.getByLabel(`Select ${a}`).click();
    await page.getByLabel(`Select ${c}`).click({ modifiers: ["Shift"] });
    await page.getByText("3 selected").waitFor();
    await page.getByLabel(`Select ${b}`).focus();
    await page.keyboard.press("Space");
    await page.getByText("2 selected").waitFor();

    await page.getByLabel("Move to").selectOption({ label: "Holidays 2026" });
    await page.getByLabel(`Select ${c}`).click();
    await page.getByText("1 selected").waitFor();
    await page.getByRole("button", { name: "Move selected" }).click();
    await files.getByRole("heading", { name: a }).waitFor({ state: "detached" });

    await page.getByLabel(`Select ${b}`).click();
    await page.getByLabel(`Select ${d}`).click();
    await page.getByRole("button", { name: "Delete selected" }).click();
    await page.getByRole("button", { name: "Delete files" }).click();
    await files.getByRole("heading", { name: b }).waitFor({ state: "detached" });
    await files.getByRole("heading", { name: d }).waitFor({ state: "detached" });
    expect(await objects()).toBe(before - 2);
    await files.getByRole("heading", { name: c }).waitFor();
  }, 60_000);

  it("renames a file and gives it a description and tags from the list, then finds it by tag and by name", async () => {
    const files = page.getByRole("list", { name: "Files" });
    const first = (await files.getByRole("heading").first().textContent())!.trim();
    const row = files.getByRole("listitem").filter({ has: page.getByRole("heading", { name: first }) });
    await row.getByText(`Edit details of ${first}`).click();
    await row.getByLabel("Name").fill("renamed notes.txt");
    await row.getByLabel("Description").fill("Kept for the trip");
    await row.getByLabel(/^Tags/).fill("Summer, Packing , summer");
    await row.getByRole("button", { name: "Save details" }).click();
    await files.getByRole("heading", { name: "renamed notes.txt" }).waitFor();
    await files.getByText("Tags: summer, packing").waitFor();

    await page.getByLabel("Search files").fill("packing");
    await page.getByLabel("Search files").press("Enter");
    await page.getByText("Results for “packing”").waitFor();
    const shown = async () => (await files.getByRole("heading").allTextContents()).map((t) => t.trim());
    expect(await settled(shown, ["renamed notes.txt"])).toEqual(["renamed notes.txt"]);

    // And by a prefix of its (new) name.
    await page.getByLabel("Search files").fill("renam");
    await page.getByLabel("Search files").press("Enter");
    await page.getByText("Results for “renam”").waitFor();
    expect(await settled(shown, ["renamed notes.txt"])).toEqual(["renamed notes.txt"]);
  }, 60_000);

  it("sorts and filters the list, renames a folder, and deletes it with its files after confirming", async () => {
    const bucket = await bucketOf(api);
    const objects = async () => (await bucket.listObjects("u/")).objects.length;
    const files = page.getByRole("list", { name: "Files" });
    const names = async () => (await files.getByRole("heading").allTextContents()).map((t) => t.trim());

    // An empty search lists the folder again.
    await page.getByLabel("Search files").fill("");
    await page.getByLabel("Search files").press("Enter");
    await files.getByRole("heading", { name: "screenshot.png" }).waitFor();
    await page.getByLabel("Sort by").selectOption({ label: "Name" });
    const byName = ["renamed notes.txt", "screenshot.png"];
    expect(await settled(names, byName)).toEqual(byName);
    await page.getByLabel("Type").selectOption({ label: "Images" });
    expect(await settled(names, ["screenshot.png"])).toEqual(["screenshot.png"]);
    await page.getByLabel("Type").selectOption({ label: "All types" });
    await page.getByLabel("Sort by").selectOption({ label: "Newest first" });

    const before = await objects();
    await page.getByRole("list", { name: "Subfolders" }).getByRole("button", { name: /Album/ }).click();
    await page.getByLabel("Rename this folder").fill("Album 2");
    await page.getByRole("button", { name: "Rename folder" }).click();
    await page.getByRole("navigation", { name: "Breadcrumb" }).getByText("Album 2").waitFor();
    expect(await objects()).toBe(before);

    await page.getByRole("button", { name: "Delete folder", exact: true }).click();
    await page.getByRole("button", { name: "Delete folder and its files" }).click();
    // top.txt, nested/middle.txt and nested/deeper/bottom.txt are gone from the bucket.
    expect(await settled(objects, before - 3)).toBe(before - 3);
    // Back at the top level, where Album 2 is no longer listed.
    await page.getByRole("dialog").waitFor({ state: "hidden" });
    const subfolders = page.getByRole("list", { name: "Subfolders" });
    await subfolders.getByRole("button", { name: /Holidays/ }).waitFor();
    expect(await subfolders.getByRole("button", { name: /Album 2/ }).count()).toBe(0);
  }, 60_000);

  it("has no axe-core violations on the Files page with folders, search and the usage meter", async () => {
    // With a file selected, so the selection bar (delete, move) is audited too.
    await page.getByRole("list", { name: "Files" }).getByRole("checkbox").first().click();
    await page.getByText("1 selected").waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });

  it("keeps the structure of a folder tree dropped on the page (nested and empty folders)", async () => {
    // At the top level already, where the earlier tests ended (and where a run of this test alone starts).
    // The protocol's coordinates are the viewport's: the zone must be on screen.
    await page.getByTestId("dropzone").scrollIntoViewIfNeeded();
    const zone = await page.getByTestId("dropzone").boundingBox();
    const at = { x: zone!.x + zone!.width / 2, y: zone!.y + zone!.height / 2 };
    // A page-built DataTransfer cannot hold a folder; a drag dispatched through the DevTools protocol carries
    // real paths, which Chromium turns into entries (a directory's through webkitGetAsEntry).
    const cdp = await page.context().newCDPSession(page);
    const data = { items: [], files: [join(fixtures, "Trip")], dragOperationsMask: 1 };
    for (const type of ["dragEnter", "dragOver", "drop"] as const)
      await cdp.send("Input.dispatchDragEvent", { type, ...at, data });
    await cdp.detach();

    const expected = [
      "Trip/",
      "Trip/empty/",
      "Trip/photos/",
      "Trip/photos/day1.txt",
      "Trip/photos/raw/",
      "Trip/photos/raw/day1-raw.txt",
      "Trip/plan.txt",
    ];
    expect(await settled(() => treeBelow(page, "Trip"), expected)).toEqual(expected);
  }, 60_000);
});
