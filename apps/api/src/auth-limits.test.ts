import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SignetApp } from "./app.ts";
import { addressBucket } from "./services/account-auth.ts";
import { AUTH_LIMITS, SIGN_IN_BACKOFF } from "./services/limits.ts";
import { createHarness, type Harness, PUBLIC_URL } from "./testing/harness.ts";

const PASSWORD = "correct horse battery";
// Password hashes (scrypt) on two shared cores.
vi.setConfig({ testTimeout: 60_000 });

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

let addresses = 0;
/** A fresh documentation address (203.0.113.0/24), so tests do not share per-address counters. */
const newAddress = () => `203.0.113.${++addresses}`;

/** A Better Auth POST as the SPA makes it, from the connection peer `address`. */
function post(
  app: SignetApp,
  path: string,
  body: unknown,
  address: string,
  headers: Record<string, string> = {},
) {
  return app.request(
    `/api/auth${path}`,
    {
      method: "POST",
      headers: { "content-type": "application/json", origin: PUBLIC_URL, ...headers },
      body: JSON.stringify(body),
    },
    { address },
  );
}

const signIn = (app: SignetApp, email: string, password: string, address: string) =>
  post(app, "/sign-in/email", { email, password }, address);

const signUp = (app: SignetApp, email: string, address: string) =>
  post(app, "/sign-up/email", { email, password: PASSWORD, name: "Flood" }, address);

describe("sign-in", () => {
  it("makes an account wait after repeated wrong passwords, doubling the wait, and lets the owner in after it", async () => {
    const u = await h.signUp();
    const from = newAddress();
    const statuses: number[] = [];
    let firstRefusal: Response | undefined;
    for (let i = 0; i < 20; i++) {
      const res = await signIn(h.app, u.email.toUpperCase(), "wrong password!", from);
      statuses.push(res.status);
      if (res.status === 429) firstRefusal ??= res;
    }
    const free = SIGN_IN_BACKOFF.freeFailures;
    expect(statuses.slice(0, free)).toEqual(Array(free).fill(401));
    expect(statuses.slice(free)).toEqual(Array(20 - free).fill(429));
    expect(firstRefusal?.headers.get("retry-after")).toBe(String(SIGN_IN_BACKOFF.firstWaitSeconds));
    expect(await firstRefusal?.json()).toMatchObject({ code: "TOO_MANY_REQUESTS" });

    // Even the right password waits, from any address: the account is what is guessed at.
    expect((await signIn(h.app, u.email, PASSWORD, newAddress())).status).toBe(429);

    // One more failure after the wait doubles it.
    h.advance(SIGN_IN_BACKOFF.firstWaitSeconds);
    expect((await signIn(h.app, u.email, "wrong again!!", newAddress())).status).toBe(401);
    const doubled = await signIn(h.app, u.email, PASSWORD, newAddress());
    expect(doubled.status).toBe(429);
    expect(doubled.headers.get("retry-after")).toBe(String(2 * SIGN_IN_BACKOFF.firstWaitSeconds));

    h.advance(2 * SIGN_IN_BACKOFF.firstWaitSeconds);
    expect((await signIn(h.app, u.email, PASSWORD, from)).status).toBe(200);
    // The success cleared the count: the next mistake is free again.
    expect((await signIn(h.app, u.email, "one typo!!", from)).status).toBe(401);
    expect((await signIn(h.app, u.email, PASSWORD, from)).status).toBe(200);
  });

  it("caps the wait, so an attacker can hold the owner off only while it keeps failing", async () => {
    const u = await h.signUp();
    for (let failures = 0; failures < 15; failures++) {
      const res = await signIn(h.app, u.email, "wrong password!", newAddress());
      expect(res.status).toBe(401);
      h.advance(SIGN_IN_BACKOFF.maxWaitSeconds);
    }
    expect((await signIn(h.app, u.email, PASSWORD, newAddress())).status).toBe(200);
  });

  it("limits one address across accounts, and a forged X-Forwarded-For does not reset it (TRUST_PROXY off)", async () => {
    const from = newAddress();
    const { max } = AUTH_LIMITS["sign-in"].perAddress;
    const statuses: number[] = [];
    for (let i = 0; i <= max; i++) {
      const res = await post(
        h.app,
        "/sign-in/email",
        { email: `nobody${i}@example.com`, password: "whatever123" },
        from,
        { "x-forwarded-for": `198.51.100.${i}` },
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(max).fill(401), 429]);
    // Another address is not affected.
    expect((await signIn(h.app, "nobody@example.com", "whatever123", newAddress())).status).toBe(401);
  });

  it("takes the address from X-Forwarded-For when TRUST_PROXY says a proxy sets it", async () => {
    await using proxied = await createHarness({ trustProxy: true });
    const proxy = newAddress();
    const { max } = AUTH_LIMITS["sign-in"].perAddress;
    for (let i = 0; i <= max; i++) {
      const res = await post(
        proxied.app,
        "/sign-in/email",
        { email: `nobody${i}@example.com`, password: "whatever123" },
        proxy,
        { "x-forwarded-for": `198.51.100.${i}` },
      );
      expect(res.status).toBe(401);
    }
  });
});

describe("sign-up", () => {
  it("answers 429 with Retry-After to a flood from one address", async () => {
    const from = newAddress();
    const { max, windowSeconds } = AUTH_LIMITS["sign-up"].perAddress;
    const statuses: number[] = [];
    let refusal: Response | undefined;
    for (let i = 0; i < 20; i++) {
      const res = await signUp(h.app, `flood${i}-${Date.now()}@example.com`, from);
      statuses.push(res.status);
      if (res.status === 429) refusal ??= res;
    }
    expect(statuses).toEqual([...Array(max).fill(200), ...Array(20 - max).fill(429)]);
    const retryAfter = Number(refusal?.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
    // The window turns.
    h.advance(windowSeconds);
    expect((await signUp(h.app, `late-${Date.now()}@example.com`, from)).status).toBe(200);
  });
});

describe("password reset and email change", () => {
  it("limits reset mails for one account across addresses", async () => {
    const u = await h.signUp();
    const { max } = AUTH_LIMITS["request-password-reset"].perAccount;
    for (let i = 0; i < max; i++) {
      expect((await post(h.app, "/request-password-reset", { email: u.email }, newAddress())).status).toBe(
        200,
      );
    }
    const refused = await post(h.app, "/request-password-reset", { email: u.email }, newAddress());
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("limits the password reset itself per address", async () => {
    const from = newAddress();
    const { max } = AUTH_LIMITS["reset-password"].perAddress;
    for (let i = 0; i < max; i++) {
      const res = await post(
        h.app,
        "/reset-password",
        { newPassword: "a new password", token: `bogus${i}` },
        from,
      );
      expect(res.status).toBe(400);
    }
    const refused = await post(h.app, "/reset-password", { newPassword: "a new password", token: "x" }, from);
    expect(refused.status).toBe(429);
  });

  it("ends a sign-in wait once the owner resets the password by mail", async () => {
    const u = await h.signUp();
    for (let i = 0; i < SIGN_IN_BACKOFF.freeFailures; i++)
      await signIn(h.app, u.email, "wrong password!", newAddress());
    expect((await signIn(h.app, u.email, PASSWORD, newAddress())).status).toBe(429);
    expect(
      (
        await post(
          h.app,
          "/request-password-reset",
          { email: u.email, redirectTo: `${PUBLIC_URL}/reset-password` },
          newAddress(),
        )
      ).status,
    ).toBe(200);
    const mail = await h.mailbox.waitFor((m) => m.to === u.email && /reset/i.test(m.subject));
    const token = /reset-password\/([^?\s]+)/.exec(mail.text)?.[1];
    expect(token).toBeTruthy();
    const reset = await post(
      h.app,
      "/reset-password",
      { newPassword: "a brand new password", token },
      newAddress(),
    );
    expect(reset.status).toBe(200);
    expect((await signIn(h.app, u.email, "a brand new password", newAddress())).status).toBe(200);
  });

  it("limits email changes per account across addresses", async () => {
    const u = await h.signUp();
    const { max } = AUTH_LIMITS["change-email"].perAccount;
    for (let i = 0; i < max; i++) {
      const res = await post(h.app, "/change-email", { newEmail: `new${i}-${u.email}` }, newAddress(), {
        cookie: u.cookie,
      });
      expect(res.status).toBe(200);
    }
    const refused = await post(h.app, "/change-email", { newEmail: `last-${u.email}` }, newAddress(), {
      cookie: u.cookie,
    });
    expect(refused.status).toBe(429);
  });
});

describe("change-password", () => {
  it("counts wrong current passwords with the sign-ins: a stolen session is no password oracle", async () => {
    const u = await h.signUp();
    const change = (currentPassword: string) =>
      post(
        h.app,
        "/change-password",
        { currentPassword, newPassword: "another good password" },
        newAddress(),
        {
          cookie: u.cookie,
        },
      );
    for (let i = 0; i < SIGN_IN_BACKOFF.freeFailures; i++) {
      expect((await change(`wrong guess ${i}`)).status).toBe(400);
    }
    const refused = await change(PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe(String(SIGN_IN_BACKOFF.firstWaitSeconds));
    expect((await signIn(h.app, u.email, PASSWORD, newAddress())).status).toBe(429);
    h.advance(SIGN_IN_BACKOFF.firstWaitSeconds);
    expect((await change(PASSWORD)).status).toBe(200);
  });
});

describe("two instances on one database", () => {
  it("share the sign-in and sign-up counters", async () => {
    using second = await h.secondInstance();
    const instances = [h.app, second];

    const u = await h.signUp();
    for (let i = 0; i < SIGN_IN_BACKOFF.freeFailures; i++) {
      expect((await signIn(instances[i % 2]!, u.email, "wrong password!", newAddress())).status).toBe(401);
    }
    expect((await signIn(second, u.email, "wrong password!", newAddress())).status).toBe(429);
    expect((await signIn(h.app, u.email, PASSWORD, newAddress())).status).toBe(429);

    const from = newAddress();
    const { max } = AUTH_LIMITS["sign-up"].perAddress;
    for (let i = 0; i < max; i++) {
      expect((await signUp(instances[i % 2]!, `pair${i}-${Date.now()}@example.com`, from)).status).toBe(200);
    }
    expect((await signUp(second, `pair-last-${Date.now()}@example.com`, from)).status).toBe(429);
    expect((await signUp(h.app, `pair-last2-${Date.now()}@example.com`, from)).status).toBe(429);
  });
});

describe("limits", () => {
  it("answers the numbers to anyone", async () => {
    const res = await h.app.request("/trpc/limits");
    const { result } = (await res.json()) as { result: { data: Record<string, unknown> } };
    expect(result.data).toMatchObject({ authLimits: AUTH_LIMITS, signInBackoff: SIGN_IN_BACKOFF });
  });
});

describe("addressBucket", () => {
  it("counts IPv4 addresses one by one and IPv6 per /64", () => {
    expect(addressBucket("203.0.113.9")).toBe("203.0.113.9");
    expect(addressBucket("2001:db8:0:1::5")).toBe("2001:db8:0:1::/64");
    expect(addressBucket("2001:db8:0:1:ffff:1:2:3")).toBe("2001:db8:0:1::/64");
    expect(addressBucket("2001:0db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressBucket("::1")).toBe("0:0:0:0::/64");
  });
});
