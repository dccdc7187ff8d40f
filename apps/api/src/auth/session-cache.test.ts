import { session } from "@signet/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, PUBLIC_URL, type TestUser } from "../testing/harness.ts";
import { createSessionCache } from "./session-cache.ts";

describe("the session cache, through Better Auth and the app", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  const whoAmI = (user: TestUser) => h.trpc("profile.get", undefined, { token: user.token }, "query");
  const authPost = (path: string, token: string, body: unknown = {}) =>
    h.app.request(`/api/auth/${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", origin: PUBLIC_URL },
      body: JSON.stringify(body),
    });

  it("answers a repeated token from memory: a row removed behind Better Auth's back still reads as signed in", async () => {
    const user = await h.signUp();
    expect((await whoAmI(user)).ok).toBe(true);
    // What another instance's sign-out looks like from here: only the TTL bounds it.
    await h.db.delete(session).where(eq(session.userId, user.id));
    expect((await whoAmI(user)).ok).toBe(true);
  });

  it("refuses a signed-out token at once", async () => {
    const user = await h.signUp();
    expect((await whoAmI(user)).ok).toBe(true);
    const out = await authPost("sign-out", user.token);
    expect(out.status).toBe(200);
    const after = await whoAmI(user);
    expect(after).toMatchObject({ ok: false, status: 401, code: "UNAUTHORIZED" });
  });

  it("answers the SPA's session cookie from memory too, and refuses it at once after sign-out", async () => {
    const user = await h.signUp();
    const asSpa = { cookie: user.cookie };
    expect((await h.trpc("profile.get", undefined, asSpa, "query")).ok).toBe(true);
    await h.db.delete(session).where(eq(session.userId, user.id));
    expect((await h.trpc("profile.get", undefined, asSpa, "query")).ok).toBe(true);

    const again = await h.signUp();
    const spa = { cookie: again.cookie };
    expect((await h.trpc("profile.get", undefined, spa, "query")).ok).toBe(true);
    const out = await h.app.request("/api/auth/sign-out", {
      method: "POST",
      headers: { cookie: again.cookie, "content-type": "application/json", origin: PUBLIC_URL },
      body: "{}",
    });
    expect(out.status).toBe(200);
    expect(await h.trpc("profile.get", undefined, spa, "query")).toMatchObject({ ok: false, status: 401 });
  });

  it("refuses every token of a user whose sessions were revoked from another session", async () => {
    const user = await h.signUp();
    const second = await h.app.request("/api/auth/sign-in/email", {
      method: "POST",
      headers: { "content-type": "application/json", origin: PUBLIC_URL },
      body: JSON.stringify({ email: user.email, password: "correct horse battery" }),
    });
    const otherToken = second.headers.get("set-auth-token");
    expect(otherToken).toBeTruthy();
    const other = { ...user, token: otherToken! };
    expect((await whoAmI(user)).ok).toBe(true);
    expect((await whoAmI(other)).ok).toBe(true);

    expect((await authPost("revoke-other-sessions", user.token)).status).toBe(200);
    expect(await whoAmI(other)).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
    expect((await whoAmI(user)).ok).toBe(true);

    expect((await authPost("revoke-sessions", user.token)).status).toBe(200);
    expect(await whoAmI(user)).toMatchObject({ ok: false, code: "UNAUTHORIZED" });
  });
});

describe("createSessionCache", () => {
  const result = (token: string, userId = "u1", expiresAt = new Date(10_000_000)) => ({
    session: { token, userId, expiresAt },
    user: { id: userId },
  });
  const bearer = (token: string) => ({ headers: new Headers({ authorization: `Bearer ${token}` }) });

  function lookups(answer: () => ReturnType<typeof result> | null) {
    let calls = 0;
    const getSession = async (_args: { headers: Headers; query?: object }) => {
      calls++;
      return answer();
    };
    return { getSession, calls: () => calls };
  }

  it("looks a token up once per TTL, and not past the session's own expiry", async () => {
    let t = 1_000;
    const cache = createSessionCache({ ttlMs: 5_000, now: () => t });
    const real = lookups(() => result("s1", "u1", new Date(12_000)));
    const get = cache.wrap(real.getSession);
    await get(bearer("s1.sig"));
    await get(bearer("s1.sig"));
    expect(real.calls()).toBe(1);
    t += 5_000;
    await get(bearer("s1.sig"));
    expect(real.calls()).toBe(2);
    t = 12_000;
    await get(bearer("s1.sig"));
    expect(real.calls()).toBe(3);
  });

  it("passes cookies, other schemes and query flags straight through, and never stores a miss", async () => {
    const cache = createSessionCache();
    const real = lookups(() => null);
    const get = cache.wrap(real.getSession);
    await get({ headers: new Headers({ cookie: "a=b", authorization: "Bearer t" }) });
    await get({ headers: new Headers({ authorization: "Bearer t" }), query: { disableCookieCache: true } });
    await get({ headers: new Headers({ authorization: "Basic dTpw" }) });
    await get(bearer("t"));
    await get(bearer("t"));
    expect(real.calls()).toBe(5);
    expect(cache.size).toBe(0);
  });

  it("keys cookie lookups by the session cookie alone, apart from bearer tokens of the same string", async () => {
    const cache = createSessionCache({ now: () => 1_000 });
    const real = lookups(() => result("s1"));
    const get = cache.wrap(real.getSession);
    const cookie = (value: string) => ({ headers: new Headers({ cookie: value }) });
    await get(cookie("theme=dark; better-auth.session_token=s1.sig"));
    await get(cookie("better-auth.session_token=s1.sig; theme=light"));
    await get(cookie("__Secure-better-auth.session_token=s1.sig"));
    expect(real.calls()).toBe(1);
    await get(bearer("s1.sig"));
    expect(real.calls()).toBe(2);
    await get(cookie("better-auth.session_token=s1.other"));
    expect(real.calls()).toBe(3);
    expect(await get(cookie("theme=dark"))).toBeNull();
    expect(real.calls()).toBe(3);
  });

  it("answers a lookup with no credentials at all without asking Better Auth", async () => {
    const cache = createSessionCache();
    const real = lookups(() => result("s1"));
    const get = cache.wrap(real.getSession);
    expect(await get({ headers: new Headers({ "user-agent": "curl" }) })).toBeNull();
    expect(real.calls()).toBe(0);
  });

  it("does not store a lookup that was in flight while its session was invalidated", async () => {
    const cache = createSessionCache();
    let release!: () => void;
    const gate = new Promise<void>((done) => {
      release = done;
    });
    let calls = 0;
    const get = cache.wrap(async (_args: { headers: Headers }) => {
      calls++;
      if (calls === 1) await gate;
      return result("s1");
    });
    const inFlight = get(bearer("s1.sig"));
    cache.invalidateSession("s1");
    release();
    await inFlight;
    expect(cache.size).toBe(0);
    await get(bearer("s1.sig"));
    expect(calls).toBe(2);
  });

  it("drops a session's entries by its token and a user's entries by id", async () => {
    const cache = createSessionCache();
    const get = cache.wrap(async ({ headers }: { headers: Headers }) => {
      const token = headers.get("authorization")!.slice("Bearer ".length);
      return result(token.split(".")[0]!, token.startsWith("a") ? "u1" : "u2");
    });
    await get(bearer("a1.sig"));
    await get(bearer("a2.sig"));
    await get(bearer("b1.sig"));
    expect(cache.size).toBe(3);
    cache.invalidateSession("a1");
    expect(cache.size).toBe(2);
    cache.invalidateUser("u1");
    expect(cache.size).toBe(1);
  });
});
