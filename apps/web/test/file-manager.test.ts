/**
 * The Files page's folders, search and usage meter in a real Chromium against the real API (embedded local-s3):
 * create a folder and open it from the keyboard, upload into it, find the file by its folder's name, and audit the
 * page with axe-core (0 violations).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenPage, openPage, type RunningApi, signUpInSpa, startApi } from "./harness.ts";

const axeSource = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

let api: RunningApi;
let browser: OpenPage;
let page: Page;
let fixtures: string;

beforeAll(async () => {
  fixtures = await mkdtemp(join(tmpdir(), "signet-fm-"));
  await writeFile(join(fixtures, "itinerary.txt"), "day one: beach\n");
  api = await startApi();
  browser = await openPage();
  page = browser.page;
  await signUpInSpa(page, api.url, "Fay Folder", `fay-${process.pid}@example.com`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
  if (fixtures) await rm(fixtures, { recursive: true, force: true });
});

/** axe-core's violations on the page as it stands (rule id and the first offending node). */
async function axeViolations(on: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the app's CSP (script-src 'self') rightly refuses an injected tag.
  await on.evaluate(await readFile(axeSource, "utf8"));
  return on.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(): Promise<{ violations: { id: string; nodes: { html: string }[] }[] }> };
      }
    ).axe;
    const result = await axe.run();
    return result.violations.map((v) => `${v.id}: ${v.nodes[0]?.html ?? ""}`);
  });
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
    expect(await page.locator("#usage-meter").getAttribute("value")).toBe("15");

    await page.getByRole("button", { name: "All folders" }).click();
    await page.getByRole("list", { name: "Subfolders" }).waitFor();
    expect(await page.getByRole("list", { name: "Files" }).count()).toBe(0);

    await page.getByLabel("Search files").fill("holi");
    await page.getByLabel("Search files").press("Enter");
    await page.getByText("Results for “holi”").waitFor();
    await row.waitFor();
  }, 60_000);

  it("has no axe-core violations on the Files page with folders, search and the usage meter", async () => {
    expect(await axeViolations(page)).toEqual([]);
  });
});
