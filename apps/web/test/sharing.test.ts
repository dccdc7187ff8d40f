/**
 * Sharing in a real Chromium against the real API and its embedded S3 endpoint: a share link's landing page and
 * its password page (server-rendered, no JavaScript needed), and an upload request's guest page (the SPA, with the
 * same upload engine), including an upload in parts resumed after a reload. axe-core audits each page.
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import {
  ARTIFACTS,
  axeViolations,
  type BrowserSuite,
  type RunningApi,
  startSuite,
  storySteps,
  TEST_PASSWORD,
} from "./harness.ts";
import { pageTools, writeFixture } from "./multipart-support.ts";

const MiB = 1024 * 1024;
let suite: BrowserSuite;
let api: RunningApi;
let page: Page;
let fixtures: string;
let token: string;

const { holdPartsFrom, partsAccepted, journalHas, interruptedEntries, row } = pageTools(() => page);
const step = storySteps({ prefix: "sharing", page: () => page, api: () => api, timeoutMs: 180_000 });

/** A REST call as the owner's script would make it. */
async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function uploadAsOwner(name: string, text: string): Promise<string> {
  const body = new TextEncoder().encode(text);
  const ticket = await rest<{ fileId: string; url: string; headers: Record<string, string> }>(
    "POST",
    "/api/files",
    {
      filename: name,
      contentType: "text/plain",
      size: body.length,
    },
  );
  const sent: Record<string, string> = {};
  for (const [k, v] of Object.entries(ticket.headers)) if (k !== "content-length") sent[k] = v;
  const put = await fetch(ticket.url, { method: "PUT", headers: sent, body });
  if (!put.ok) throw new Error(`PUT ${put.status}`);
  await rest("POST", `/api/files/${ticket.fileId}/complete`);
  return ticket.fileId;
}

describe("sharing in Chromium", () => {
  beforeAll(async () => {
    suite = await startSuite("web-sharing", { api: { env: { MULTIPART_THRESHOLD_BYTES: String(8 * MiB) } } });
    ({ api, page, fixtures } = suite);
    const signUp = await fetch(`${api.url}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: api.url },
      body: JSON.stringify({
        email: `owner-${process.pid}@example.com`,
        password: TEST_PASSWORD,
        name: "Owner",
      }),
    });
    token = signUp.headers.get("set-auth-token") ?? "";
    if (!token) throw new Error(`sign-up failed: ${signUp.status} ${await signUp.text()}`);
  }, 120_000);

  afterAll(() => suite?.close());

  step("the landing page names the file and its Download link downloads it", async () => {
    const fileId = await uploadAsOwner("minutes.txt", "the minutes of the meeting\n");
    const link = await rest<{ url: string; id: string }>("POST", "/api/shares", { fileId, maxDownloads: 3 });
    await page.goto(link.url.replace(/^https?:\/\/[^/]+/, api.url));
    await page.getByRole("heading", { name: "Download a file", level: 1 }).waitFor();
    await page.getByText("minutes.txt").waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "sharing-landing.png"), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("minutes.txt");
    const { items } = await rest<{ items: { id: string; downloads: number }[] }>(
      "GET",
      `/api/shares?fileId=${fileId}`,
    );
    expect(items.find((l) => l.id === link.id)?.downloads).toBe(1);
  });

  step("the password page refuses a wrong password and downloads with the right one", async () => {
    const fileId = await uploadAsOwner("secret.txt", "for your eyes only\n");
    const link = await rest<{ url: string }>("POST", "/api/shares", { fileId, password: "swordfish" });
    await page.goto(link.url.replace(/^https?:\/\/[^/]+/, api.url));
    await page.getByRole("heading", { name: "Password needed", level: 1 }).waitFor();
    expect(await page.getByText("secret.txt").count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel("Password").fill("tuna");
    await page.getByRole("button", { name: "Download" }).click();
    await page.getByRole("alert").filter({ hasText: "That password is not right" }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "sharing-wrong-password.png"), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel("Password").fill("swordfish");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("secret.txt");
  });

  step(
    "the Links page: a file's Share… makes a link shown once, listed with its downloads, revoked at once",
    async () => {
      await page.goto(`${api.url}/sign-in`);
      await page.getByLabel("Email").fill(`owner-${process.pid}@example.com`);
      await page.getByLabel("Password").fill(TEST_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Files", level: 1 }).waitFor();
      await page.getByRole("link", { name: "Share minutes.txt with a managed link" }).click();
      await page.getByRole("heading", { name: "Share minutes.txt" }).waitFor();
      await page.getByLabel("Most downloads (empty: no limit)").fill("2");
      await page.getByRole("button", { name: "Create share link" }).click();
      const url = await page.getByLabel("Share link (shown once: copy it now)").inputValue();
      expect(url).toMatch(/\/s\/[A-Za-z0-9_-]{43}$/);
      const listed = page.getByRole("list", { name: "Share links" }).getByRole("listitem");
      await listed.filter({ hasText: "0 of 2" }).waitFor();
      await page.screenshot({ path: join(ARTIFACTS, "sharing-links.png"), fullPage: true });
      expect(await axeViolations(page)).toEqual([]);
      const link = listed.filter({ hasText: "0 of 2" });
      await link.getByRole("button", { name: "Revoke share link for minutes.txt" }).click();
      await link.getByText("revoked").waitFor();
      const gone = await fetch(url.replace(/^https?:\/\/[^/]+/, api.url));
      expect(gone.status).toBe(410);
      await page.context().clearCookies();
    },
  );

  step("the guest page uploads by file picker, and resumes an upload in parts after a reload", async () => {
    const request = await rest<{ url: string; id: string }>("POST", "/api/upload-requests", {
      title: "Send me the drafts",
      maxFiles: 5,
    });
    const guestUrl = request.url.replace(/^https?:\/\/[^/]+/, api.url);
    await page.goto(guestUrl);
    await page.getByRole("heading", { name: "Send me the drafts", level: 1 }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "sharing-guest.png"), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    const small = await writeFixture(fixtures, "draft-1.txt", 2000, 1);
    await page.getByLabel("Choose files").setInputFiles(small);
    await row("draft-1.txt").getByText("Uploaded").waitFor({ timeout: 60_000 });
    expect(await axeViolations(page)).toEqual([]);

    const big = await writeFixture(fixtures, "draft-big.bin", 40 * MiB, 2);
    await holdPartsFrom(2);
    const first = partsAccepted([1]);
    await page.getByLabel("Choose files").setInputFiles(big);
    await first;
    await journalHas(1, "signet-guest-uploads");
    await page.reload();
    await page.unrouteAll({ behavior: "ignoreErrors" });
    await interruptedEntries().filter({ hasText: "draft-big.bin" }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel("Resume upload of draft-big.bin: pick the same file").setInputFiles(big);
    await row("draft-big.bin").getByText("Uploaded").waitFor({ timeout: 120_000 });

    const { items } = await rest<{ items: { originalFilename: string; status: string }[] }>(
      "GET",
      "/api/files",
    );
    expect(
      items.filter((f) => f.originalFilename.startsWith("draft")).map((f) => [f.originalFilename, f.status]),
    ).toEqual(
      expect.arrayContaining([
        ["draft-1.txt", "ready"],
        ["draft-big.bin", "ready"],
      ]),
    );
  });
});
