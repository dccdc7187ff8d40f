/**
 * The Webhooks page in a real Chromium against the real API: add an endpoint (secret shown once), send a test
 * event to a receiver on port 0, read the delivery log, replay, rotate, disable; and an axe-core audit of the
 * page with 0 violations.
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeViolations, type OpenPage, openPage, type RunningApi, signUpInSpa, startApi } from "./harness.ts";

const received: string[] = [];
const receiver = createServer((req, res) => {
  received.push(String(req.headers["webhook-id"]));
  req.resume();
  req.on("end", () => res.writeHead(204).end());
});

let api: RunningApi;
let browser: OpenPage;

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  api = await startApi({ env: { WEBHOOKS_ALLOW_PRIVATE: "true" } });
  browser = await openPage();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await api?.stop();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

describe("Webhooks page", { timeout: 120_000 }, () => {
  it("adds, tests, logs, replays, rotates and disables an endpoint; axe finds no violations", async () => {
    const { page } = browser;
    await signUpInSpa(page, api.url, "Hook Owner", `hooks-${Date.now()}@example.com`);
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByRole("heading", { name: "Webhooks", level: 1 }).waitFor();

    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    await page.getByLabel("Endpoint URL").fill(url);
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const secret = page.getByTestId("webhook-secret");
    await expect.poll(async () => secret.locator("code").textContent()).toMatch(/^whsec_/);
    await page.getByRole("button", { name: "Done" }).click();

    await page.getByRole("button", { name: "Send test" }).click();
    await page.getByText("Test event delivered.").waitFor();
    expect(received).toHaveLength(1);
    const log = page.getByRole("region", { name: "Delivery log" });
    await log.getByRole("cell", { name: "delivered" }).waitFor();

    await log.getByRole("button", { name: "Replay" }).click();
    await page.getByText("Delivery replayed.").waitFor();

    await page.getByRole("button", { name: "Rotate secret" }).click();
    await expect.poll(async () => secret.locator("code").textContent()).toMatch(/^whsec_/);
    await page.getByRole("button", { name: "Done" }).click();

    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByRole("cell", { name: "Disabled" }).waitFor();

    expect(await axeViolations(page)).toEqual([]);
  });
});
