import { user as userTable } from "@signet/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, PUBLIC_URL } from "../testing/harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

const LONG = "x".repeat(60_000);
const CONTROL = "a\0\r\nb";

async function signUp(name: string) {
  const response = await h.app.request("/api/auth/sign-up/email", {
    method: "POST",
    headers: { "content-type": "application/json", origin: PUBLIC_URL },
    body: JSON.stringify({
      email: `names-${crypto.randomUUID()}@example.com`,
      password: "correct horse battery",
      name,
    }),
  });
  return { status: response.status, body: (await response.json()) as { message?: string } };
}

/** profile.update's message for the same name, so the two paths are compared, not restated. */
async function profileUpdateMessage(name: string): Promise<string> {
  const u = await h.signUp();
  const result = await h.trpc("profile.update", { name }, { token: u.token });
  if (result.ok) throw new Error("profile.update accepted the name");
  expect(result.code).toBe("BAD_REQUEST");
  return result.message;
}

describe("Better Auth's routes apply profile.update's name rules", () => {
  it.each([
    ["a 60,000-character name", LONG],
    ["control characters", CONTROL],
    ["a blank name", "   "],
  ])("sign-up/email refuses %s with profile.update's message", async (_what, name) => {
    const expected = await profileUpdateMessage(name);
    const { status, body } = await signUp(name);
    expect(status).toBe(400);
    expect(body.message).toBe(expected);
  });

  it("sign-up/email stores the name trimmed, as profile.update does", async () => {
    const { status } = await signUp("  Ada Lovelace  ");
    expect(status).toBe(200);
    const [row] = await h.db.select().from(userTable).where(eq(userTable.name, "Ada Lovelace"));
    expect(row).toBeDefined();
  });

  it.each([
    ["a 60,000-character name", LONG],
    ["control characters", CONTROL],
  ])("update-user refuses %s and keeps the old name", async (_what, name) => {
    const expected = await profileUpdateMessage(name);
    const u = await h.signUp();
    const response = await h.app.request("/api/auth/update-user", {
      method: "POST",
      headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json", origin: PUBLIC_URL },
      body: JSON.stringify({ name }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toBe(expected);
    const [row] = await h.db.select().from(userTable).where(eq(userTable.id, u.id));
    expect(row?.name).toBe(u.name);
  });

  it("update-user still accepts a good name", async () => {
    const u = await h.signUp();
    const response = await h.app.request("/api/auth/update-user", {
      method: "POST",
      headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json", origin: PUBLIC_URL },
      body: JSON.stringify({ name: "Grace Hopper" }),
    });
    expect(response.status).toBe(200);
    const [row] = await h.db.select().from(userTable).where(eq(userTable.id, u.id));
    expect(row?.name).toBe("Grace Hopper");
  });
});
