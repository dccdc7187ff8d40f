/**
 * Accounts in a real Chromium against the real API on its embedded defaults (development mailbox, local-s3):
 * forgot password through the mailbox, sessions ended from another browser, deleting an account with everything
 * it owns, and a deletion killed midway that a second attempt finishes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditEvent, closeDb, createDb, user as userTable } from "@signet/db";
import type { Signer } from "@signet/signer";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ARTIFACTS,
  bucketOf,
  launchChromium,
  type RunningApi,
  signUpInSpa,
  startApi,
  TEST_PASSWORD,
} from "./harness.ts";

const PASSWORD = TEST_PASSWORD;
const FIREFOX_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";

let api: RunningApi;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pageProblems: string[] = [];

async function newPage(options: { userAgent?: string } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, ...options });
  contexts.push(context);
  const page = await context.newPage();
  page.on("pageerror", (error) => pageProblems.push(`uncaught: ${error.message}`));
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) pageProblems.push(`csp: ${message.text()}`);
  });
  return page;
}

async function signIn(page: Page, base: string, email: string, password: string) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signedOut(page: Page, base: string) {
  await page.goto(`${base}/files`);
  await page.waitForURL((url) => url.pathname === "/sign-in");
}

async function openProfile(page: Page, base: string) {
  await page.goto(`${base}/profile`);
  await page.getByRole("heading", { name: "Profile", level: 1 }).waitFor();
}

/** The storage and database behind a running API, read with the credentials it generated. */
async function backend(running: RunningApi) {
  const signer = await bucketOf(running);
  const db = await createDb({ url: `file:${join(running.dataDir, "signet.db")}` });
  return { signer, db };
}

async function keysUnder(signer: Signer, prefixes: string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of prefixes) keys.push(...(await signer.listObjects(prefix)).objects.map((o) => o.key));
  return keys;
}

/** Calls a tRPC mutation from inside the page, riding on its session cookie like the SPA does. */
async function pageMutation<T>(page: Page, path: string, input: unknown): Promise<T> {
  return page.evaluate(
    async ([p, body]) => {
      const res = await fetch(`/trpc/${p}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { result?: { data: unknown }; error?: unknown };
      if (!json.result) throw new Error(`${p} failed: ${JSON.stringify(json.error)}`);
      return json.result.data;
    },
    [path, input] as const,
  ) as Promise<T>;
}

/** Gives the signed-in page a file, an avatar and an unfinished upload whose bytes arrived; returns the prefixes. */
async function populate(page: Page, base: string, email: string) {
  await page.goto(`${base}/files`);
  await page.getByRole("heading", { name: "Files", level: 1 }).waitFor();
  await page
    .locator('input[type="file"]')
    .first()
    .setInputFiles({
      name: "private-diary.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("dear diary"),
    });
  await page.getByRole("heading", { name: "private-diary.txt", exact: true }).waitFor();
  await page.getByRole("list", { name: "Files" }).getByText("Ready").first().waitFor({ timeout: 30_000 });

  await openProfile(page, base);
  const png = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
    "base64",
  );
  await page.getByLabel("Choose image").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: png });
  await page.getByRole("button", { name: "Upload picture" }).click();
  await page.getByText("Profile picture updated.").waitFor();
  const src = await page.getByRole("img", { name: /^Profile picture of/ }).getAttribute("src");
  const avatarKey = decodeURIComponent(new URL(src!).pathname.split("/")[2]!);

  const unfinished = await pageMutation<{ url: string; headers: Record<string, string> }>(
    page,
    "files.createUpload",
    { filename: "unfinished.bin", contentType: "application/octet-stream", size: 5 },
  );
  const put = await page.evaluate(
    async ([url, headers]) => {
      const { "content-length": _, ...sent } = headers;
      return (await fetch(url, { method: "PUT", headers: sent, body: "12345" })).status;
    },
    [unfinished.url, unfinished.headers] as const,
  );
  expect(put).toBe(200);
  const session = (await page.evaluate(async () => (await fetch("/api/auth/get-session")).json())) as {
    user: { id: string; email: string };
  };
  expect(session.user.email).toBe(email);
  const id = session.user.id;
  return { id, prefixes: [`u/${id}/`, `staging/${id}/`, avatarKey] };
}

async function deleteFromProfile(page: Page, base: string) {
  await openProfile(page, base);
  await page.getByRole("button", { name: "Delete my account…" }).click();
  await page.getByLabel("Your password").fill(PASSWORD);
  const go = page.getByRole("button", { name: "Delete everything" });
  expect(await go.isDisabled()).toBe(true);
  await page.getByLabel(/^Type .delete my account. to confirm$/).fill("delete my account");
  await go.click();
}

describe("accounts in Chromium", () => {
  beforeAll(async () => {
    api = await startApi();
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    const code = await api?.stop();
    expect(code).toBe(0);
    expect(pageProblems).toEqual([]);
  });

  it("forgot password: the mail arrives in the dev mailbox, its link sets a new password, the old session ends", async () => {
    expect(api.output()).toContain(`mail: development mailbox at ${api.url}/dev/mail`);
    const email = `forgetful-${process.pid}@example.com`;
    const old = await newPage();
    await signUpInSpa(old, api.url, "Forgetful Fay", email);

    const page = await newPage();
    await page.goto(`${api.url}/sign-in`);
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    // The sign-in page has an Email field too: wait for the new page before filling it.
    await page.getByRole("heading", { name: "Reset your password" }).waitFor();
    await page.getByLabel("Email").fill(email);
    await page.getByRole("button", { name: "Send reset link" }).click();
    await page.getByText(`If ${email} has a Signet account`).waitFor();

    await page.goto(`${api.url}/dev/mail`);
    await page
      .getByRole("row", { name: new RegExp(email) })
      .getByRole("link", { name: "Reset your Signet password" })
      .click();
    await page.getByRole("link", { name: "Set a new password" }).click();
    await page.waitForURL((url) => url.pathname === "/reset-password" && url.searchParams.has("token"));
    await page.getByLabel("New password", { exact: true }).fill("a new and better password");
    await page.getByLabel("Repeat the new password").fill("a new and better password");
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.getByText("Your password is changed and every session was signed out.").waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "accounts-01-reset-done.png"), fullPage: true });

    // The browser that was signed in all along is signed out, and only the new password works.
    await signedOut(old, api.url);
    await signIn(old, api.url, email, PASSWORD);
    await old.getByText("That email and password do not match an account.").waitFor();
    await signIn(old, api.url, email, "a new and better password");
    await old.getByRole("heading", { name: "Files", level: 1 }).waitFor();
  });

  it("sessions: signed in on two browsers, one ends the other", async () => {
    const email = `two-browsers-${process.pid}@example.com`;
    const mine = await newPage();
    await signUpInSpa(mine, api.url, "Two Browsers", email);
    const other = await newPage({ userAgent: FIREFOX_UA });
    await signIn(other, api.url, email, PASSWORD);
    await other.getByRole("heading", { name: "Files", level: 1 }).waitFor();

    await openProfile(mine, api.url);
    const sessions = mine.getByRole("list", { name: "Your sessions" });
    await sessions.getByText("Firefox 128 on Windows").waitFor();
    await sessions.getByText("This browser").waitFor();
    await mine.screenshot({ path: join(ARTIFACTS, "accounts-02-sessions.png"), fullPage: true });
    await sessions.getByRole("button", { name: /^Sign out Firefox 128 on Windows/ }).click();
    await mine.getByText("That session was signed out.").waitFor();
    await expect.poll(() => sessions.getByRole("listitem").count()).toBe(1);

    await signedOut(other, api.url);
    // The browser that ended it is still signed in.
    await openProfile(mine, api.url);
  });

  it("deletes an account with files, an avatar and an unfinished upload: nothing left, sign-in refused, trail anonymous", async () => {
    const { signer, db } = await backend(api);
    const email = `leaving-${process.pid}@example.com`;
    const page = await newPage();
    await signUpInSpa(page, api.url, "Leaving Lee", email);
    const { id, prefixes } = await populate(page, api.url, email);
    expect((await keysUnder(signer, prefixes)).length).toBeGreaterThanOrEqual(3);

    await deleteFromProfile(page, api.url);
    await page.waitForURL((url) => url.pathname === "/sign-in");
    await page.getByText("Your account and everything in it was deleted.").waitFor();

    expect(await keysUnder(signer, prefixes)).toEqual([]);
    await signIn(page, api.url, email, PASSWORD);
    await page.getByText("That email and password do not match an account.").waitFor();
    const trail = (await db.select().from(auditEvent)).filter((row) => row.actorId === id);
    expect(trail.map((row) => row.action)).toEqual(
      expect.arrayContaining(["file.complete", "account.delete"]),
    );
    for (const row of trail) {
      expect(row.ip).toBeNull();
      expect(row.userAgent).toBeNull();
      expect(JSON.stringify(row.detail)).not.toMatch(/private-diary|unfinished|me\.png|leaving-|Leaving Lee/);
    }
    closeDb(db);
  });

  it("a deletion killed midway is finished when run again", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "signet-web-kill-"));
    let running = await startApi({ dataDir });
    try {
      const email = `interrupted-${process.pid}@example.com`;
      const page = await newPage();
      await signUpInSpa(page, running.url, "Interrupted Ida", email);
      const { id, prefixes } = await populate(page, running.url, email);
      // Many objects under the person's prefix, so the deletion takes long enough to be killed while it runs.
      const { signer } = await backend(running);
      for (let i = 0; i < 300; i++) {
        const signed = await signer.presignPut(`u/${id}/bulk-${i}`, {
          expiresIn: 600,
          contentType: "text/plain",
          contentLength: 1,
        });
        const { "content-length": _, ...headers } = signed.headers;
        expect((await fetch(signed.url, { method: "PUT", headers, body: "x" })).status).toBe(200);
      }
      const before = (await keysUnder(signer, prefixes)).length;

      await deleteFromProfile(page, running.url);
      // Kill the server (no graceful shutdown) as soon as the first object is gone.
      await expect
        .poll(async () => (await signer.listObjects(`u/${id}/`)).objects.length < before - 3, {
          timeout: 30_000,
          interval: 20,
        })
        .toBe(true);
      await running.stop("SIGKILL");

      running = await startApi({ dataDir });
      const after = await backend(running);
      const [still] = (await after.db.select().from(userTable)).filter((u) => u.id === id);
      expect(still, "the kill should land before the deletion's last step").toBeDefined();
      expect((await keysUnder(after.signer, prefixes)).length).toBeGreaterThan(0);
      // No new session for an account being deleted.
      const other = await newPage();
      await signIn(other, running.url, email, PASSWORD);
      await other.getByText("This account has been deleted").waitFor();

      // The person's page still holds its session: asking again finishes the job.
      await deleteFromProfile(page, running.url);
      await page.waitForURL((url) => url.pathname === "/sign-in");
      expect(await keysUnder(after.signer, prefixes)).toEqual([]);
      expect((await after.db.select().from(userTable)).filter((u) => u.id === id)).toEqual([]);
      closeDb(after.db);
    } finally {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
