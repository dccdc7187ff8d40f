import {
  account,
  accountDeletion,
  auditEvent,
  file,
  profileImage,
  profileImageUpload,
  session,
  user,
  userQuota,
} from "@signet/db";
import { eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AppDeps, Storage } from "./deps.ts";
import type { StoredMail } from "./mail/mailer.ts";
import { finishAccountDeletion } from "./services/account-deletion.ts";
import { PASSWORD_ATTEMPTS } from "./services/limits.ts";
import { sweep } from "./services/sweeper.ts";
import { browserPut, createHarness, type Harness, ok, PUBLIC_URL, type TestUser } from "./testing/harness.ts";
import { png } from "./testing/images.ts";
import { createInnerContext } from "./trpc/init.ts";
import { createCaller } from "./trpc/root.ts";

const PASSWORD = "correct horse battery";
// Several password hashes (scrypt) per test: on two shared cores that alone can take most of the default 20 s.
vi.setConfig({ testTimeout: 60_000 });
let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

/**
 * A Better Auth call as the SPA makes it (JSON, the SPA's Origin, optionally a cookie), optionally from a client
 * address (the connection's peer, as the runtime entries hand it to the app).
 */
async function auth(harness: Harness, path: string, body?: unknown, cookie?: string, address?: string) {
  const headers: Record<string, string> = { origin: PUBLIC_URL };
  if (cookie) headers.cookie = cookie;
  if (body !== undefined) headers["content-type"] = "application/json";
  return harness.app.request(
    `/api/auth${path}`,
    {
      method: body === undefined ? "GET" : "POST",
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
    address ? { address } : undefined,
  );
}

async function signIn(harness: Harness, email: string, password = PASSWORD) {
  const res = await auth(harness, "/sign-in/email", { email, password });
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const body = (await res.json().catch(() => null)) as { token?: string } | null;
  // `sessionToken` is the session's own token, as list-sessions and revoke-session name it.
  return { status: res.status, cookie, token: res.headers.get("set-auth-token"), sessionToken: body?.token };
}

function linkIn(mail: StoredMail): string {
  const match = /https?:\/\/\S+/.exec(mail.text);
  if (!match) throw new Error(`no link in mail: ${mail.subject}`);
  return match[0];
}

/** Follows a mailed link through the app (it lives under PUBLIC_URL, which is the app in these tests). */
async function follow(harness: Harness, link: string, cookie?: string): Promise<Response> {
  const url = new URL(link);
  return harness.app.request(url.pathname + url.search, { headers: cookie ? { cookie } : {} });
}

async function signedIn(harness: Harness, cookie: string): Promise<boolean> {
  const res = await auth(harness, "/get-session", undefined, cookie);
  return (await res.json()) !== null;
}

type Upload = { fileId: string; key: string; url: string; headers: Record<string, string> };

async function uploadFile(harness: Harness, u: TestUser, name: string, body: string, complete = true) {
  const bytes = new TextEncoder().encode(body);
  const up = ok<Upload>(
    await harness.trpc(
      "files.createUpload",
      { filename: name, contentType: "text/plain", size: bytes.length },
      { token: u.token },
    ),
  );
  if (!complete) return up;
  expect((await browserPut(up.url, up.headers, bytes)).status).toBe(200);
  ok(await harness.trpc("files.completeUpload", { fileId: up.fileId }, { token: u.token }));
  return up;
}

async function keysUnder(harness: Harness, prefix: string): Promise<string[]> {
  return (await harness.signer.listObjects(prefix)).objects.map((o) => o.key);
}

describe("forgot password", () => {
  it("mails a single-use link; the new password ends every other session", async () => {
    const u = await h.signUp();
    const other = await signIn(h, u.email);
    expect(await signedIn(h, other.cookie)).toBe(true);

    const asked = await auth(h, "/request-password-reset", {
      email: u.email,
      redirectTo: `${PUBLIC_URL}/reset-password`,
    });
    expect(asked.status).toBe(200);
    const mail = await h.mailbox.waitFor((m) => m.to === u.email && /reset/i.test(m.subject));
    const redirect = await follow(h, linkIn(mail));
    expect(redirect.status).toBe(302);
    const target = new URL(redirect.headers.get("location")!);
    expect(target.origin + target.pathname).toBe(`${PUBLIC_URL}/reset-password`);
    const token = target.searchParams.get("token")!;

    const reset = await auth(h, "/reset-password", { newPassword: "a brand new password", token });
    expect(reset.status).toBe(200);
    expect(await signedIn(h, u.cookie)).toBe(false);
    expect(await signedIn(h, other.cookie)).toBe(false);
    expect((await h.trpc("files.list", {}, { token: u.token }, "query")).ok).toBe(false);
    expect((await signIn(h, u.email)).status).toBe(401);
    expect((await signIn(h, u.email, "a brand new password")).status).toBe(200);
    // Single use.
    const again = await auth(h, "/reset-password", { newPassword: "yet another password", token });
    expect(again.status).toBe(400);
  });

  it("answers the same whether or not the address has an account, and limits the requests", async () => {
    await using fresh = await createHarness();
    const u = await fresh.signUp();
    // One client address: the limit is per address (and per account, see auth-limits.test.ts).
    const from = "192.0.2.10";
    const known = await auth(fresh, "/request-password-reset", { email: u.email }, undefined, from);
    const unknown = await auth(
      fresh,
      "/request-password-reset",
      { email: "nobody@example.com" },
      undefined,
      from,
    );
    expect(unknown.status).toBe(known.status);
    expect(await unknown.json()).toEqual(await known.json());
    await fresh.mailbox.waitFor((m) => m.to === u.email);
    expect(fresh.mailbox.list().filter((m) => m.to === "nobody@example.com")).toEqual([]);
    await auth(fresh, "/request-password-reset", { email: u.email }, undefined, from);
    const limited = await auth(fresh, "/request-password-reset", { email: u.email }, undefined, from);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // The reset limit is the reset route's own: signing in with the right password again and again still works.
    for (let i = 0; i < 5; i++) {
      const again = await fresh.app.request("/api/auth/sign-in/email", {
        method: "POST",
        headers: { "content-type": "application/json", origin: PUBLIC_URL },
        body: JSON.stringify({ email: u.email, password: PASSWORD }),
      });
      expect(again.status).toBe(200);
    }
  });
});

describe("email verification", () => {
  it("lets an unverified account sign in but not issue upload URLs until the mailed link is followed", async () => {
    await using strict = await createHarness({ requireEmailVerification: true });
    const u = await strict.signUp();
    const status = ok<{ emailVerified: boolean; mayUpload: boolean }>(
      await strict.trpc("account.status", undefined, { token: u.token }, "query"),
    );
    expect(status).toMatchObject({ emailVerified: false, mayUpload: false });
    const refused = await strict.trpc(
      "files.createUpload",
      { filename: "a.txt", contentType: "text/plain", size: 1 },
      { token: u.token },
    );
    expect(refused).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(refused.ok ? "" : refused.message).toMatch(/verify your email/i);
    const avatar = await strict.trpc(
      "profile.createImageUpload",
      { contentType: "image/png", fileSize: 10 },
      { token: u.token },
    );
    expect(avatar).toMatchObject({ ok: false, code: "FORBIDDEN" });

    // "Resend" sends a second mail; either link verifies.
    expect((await auth(strict, "/send-verification-email", { email: u.email }, u.cookie)).status).toBe(200);
    const mails = strict.mailbox.list().filter((m) => m.to === u.email);
    expect(mails.length).toBe(2);
    const verified = await follow(strict, linkIn(mails[0]!));
    expect(verified.status).toBe(302);
    await uploadFile(strict, u, "a.txt", "hello");
  });
});

describe("change email", () => {
  it("changes the address only once the new address confirms it", async () => {
    const u = await h.signUp();
    const newEmail = `changed-${u.email}`;
    const asked = await auth(h, "/change-email", { newEmail, callbackURL: "/profile" }, u.cookie);
    expect(asked.status).toBe(200);
    const [row] = await h.db.select({ email: user.email }).from(user).where(eq(user.id, u.id));
    expect(row?.email).toBe(u.email);
    const mail = await h.mailbox.waitFor((m) => m.to === newEmail);
    expect(mail.subject).toMatch(/new .*address/i);
    expect((await follow(h, linkIn(mail), u.cookie)).status).toBe(302);
    const [after] = await h.db.select({ email: user.email }).from(user).where(eq(user.id, u.id));
    expect(after?.email).toBe(newEmail);
  });
});

describe("sessions", () => {
  it("lists the sessions and ends one, or every other one", async () => {
    const u = await h.signUp();
    const b = await signIn(h, u.email);
    const c = await signIn(h, u.email);
    const list = (await (await auth(h, "/list-sessions", undefined, u.cookie)).json()) as { token: string }[];
    expect(list.length).toBe(3);
    const revoke = await auth(h, "/revoke-session", { token: b.sessionToken }, u.cookie);
    expect(revoke.status).toBe(200);
    expect(await signedIn(h, b.cookie)).toBe(false);
    expect(await signedIn(h, c.cookie)).toBe(true);
    expect((await auth(h, "/revoke-other-sessions", {}, u.cookie)).status).toBe(200);
    expect(await signedIn(h, c.cookie)).toBe(false);
    expect(await signedIn(h, u.cookie)).toBe(true);
  });
});

describe("change password", () => {
  it("needs the current password and can sign out the other sessions", async () => {
    const u = await h.signUp();
    const other = await signIn(h, u.email);
    const wrong = await auth(
      h,
      "/change-password",
      { currentPassword: "nope nope nope", newPassword: "x".repeat(12) },
      u.cookie,
    );
    expect(wrong.status).toBe(400);
    const changed = await auth(
      h,
      "/change-password",
      { currentPassword: PASSWORD, newPassword: "a changed password", revokeOtherSessions: true },
      u.cookie,
    );
    expect(changed.status).toBe(200);
    expect(await signedIn(h, other.cookie)).toBe(false);
    expect((await signIn(h, u.email, "a changed password")).status).toBe(200);
  });
});

describe("export", () => {
  it("lists every completed file with download links valid for the chosen time", async () => {
    const u = await h.signUp();
    const stranger = await h.signUp();
    await uploadFile(h, u, "one.txt", "first file");
    await uploadFile(h, u, "two.txt", "second file");
    await uploadFile(h, u, "pending.txt", "never sent", false);
    await uploadFile(h, stranger, "theirs.txt", "not yours");
    type Export = { expiresIn: number; files: { filename: string; url: string; size: number }[] };
    const exported = ok<Export>(
      await h.trpc("account.export", { expiresIn: 3600 }, { token: u.token }, "query"),
    );
    expect(exported.expiresIn).toBe(3600);
    expect(exported.files.map((f) => f.filename)).toEqual(["one.txt", "two.txt"]);
    for (const [i, f] of exported.files.entries()) {
      expect(new URL(f.url).searchParams.get("X-Amz-Expires")).toBe("3600");
      const res = await fetch(f.url);
      expect(await res.text()).toBe(["first file", "second file"][i]);
    }
    const tooLong = await h.trpc("account.export", { expiresIn: 604801 }, { token: u.token }, "query");
    expect(tooLong).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(tooLong.ok ? "" : tooLong.message).toMatch(/^expiresIn:/);
    const audit = await h.db.select().from(auditEvent).where(eq(auditEvent.actorId, u.id));
    expect(audit.some((a) => a.action === "account.export" && !JSON.stringify(a).includes("X-Amz"))).toBe(
      true,
    );
  });
});

/** An account that owns everything deletion has to find: files, a pending upload, an avatar, a staged avatar. */
async function populated(harness: Harness) {
  const u = await harness.signUp();
  await uploadFile(harness, u, "secret-plans.txt", "file one");
  await uploadFile(harness, u, "holiday.txt", "file two");
  const pending = await uploadFile(harness, u, "unfinished.txt", "half", false);
  // The unfinished upload's bytes arrived but it was never completed.
  expect((await browserPut(pending.url, pending.headers, new TextEncoder().encode("half"))).status).toBe(200);
  const image = png(3);
  type ImageUpload = { presignedUrl: string; headers: Record<string, string>; key: string };
  const avatar = ok<ImageUpload>(
    await harness.trpc(
      "profile.createImageUpload",
      { contentType: "image/png", fileSize: image.length },
      { token: u.token },
    ),
  );
  expect((await browserPut(avatar.presignedUrl, avatar.headers, image)).status).toBe(200);
  ok(await harness.trpc("profile.completeImageUpload", undefined, { token: u.token }));
  // A second avatar upload, staged and never completed.
  const staged = ok<ImageUpload>(
    await harness.trpc(
      "profile.createImageUpload",
      { contentType: "image/png", fileSize: image.length },
      { token: u.token },
    ),
  );
  expect((await browserPut(staged.presignedUrl, staged.headers, image)).status).toBe(200);
  const prefixes = [`u/${u.id}/`, `staging/${u.id}/`, avatar.key];
  return { u, prefixes, avatarKey: avatar.key };
}

async function expectGone(harness: Harness, u: TestUser, prefixes: string[]) {
  for (const prefix of prefixes) expect(await keysUnder(harness, prefix)).toEqual([]);
  for (const table of [file, profileImageUpload, profileImage, session, account, userQuota] as const) {
    const column = "ownerId" in table ? table.ownerId : table.userId;
    expect(await harness.db.select().from(table).where(eq(column, u.id))).toEqual([]);
  }
  expect(await harness.db.select().from(user).where(eq(user.id, u.id))).toEqual([]);
  expect((await signIn(harness, u.email)).status).toBe(401);
  const trail = await harness.db.select().from(auditEvent).where(eq(auditEvent.actorId, u.id));
  expect(trail.length).toBeGreaterThan(5);
  expect(trail.filter((a) => a.action === "account.delete")).toHaveLength(1);
  for (const row of trail) {
    expect(row.ip).toBeNull();
    expect(row.userAgent).toBeNull();
    const text = JSON.stringify(row.detail);
    expect(text).not.toMatch(/secret-plans|holiday|unfinished|@example\.com|Test User/);
  }
}

function callerFor(harness: Harness, u: TestUser, deps: AppDeps = harness.deps) {
  return createCaller(
    createInnerContext(deps, { id: u.id, name: u.name, email: u.email }, { ip: "10.0.0.9" }),
  );
}

describe("delete account", () => {
  it("needs the current password, then removes every object, row and session, and anonymizes the trail", async () => {
    const bystander = await h.signUp();
    const kept = await uploadFile(h, bystander, "keep.txt", "stays");
    const { u, prefixes } = await populated(h);
    // Activity with a client address and user agent, which the trail must forget.
    ok(await h.trpc("files.list", {}, { token: u.token }, "query"));
    await callerFor(h, u).files.list({});

    const wrong = await h.trpc("account.delete", { password: "not my password" }, { cookie: u.cookie });
    expect(wrong).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(wrong.ok ? "" : wrong.message).toMatch(/^password:/);
    const empty = await h.trpc("account.delete", { password: "" }, { cookie: u.cookie });
    expect(empty).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect((await keysUnder(h, `u/${u.id}/`)).length).toBe(3);

    expect(ok(await h.trpc("account.delete", { password: PASSWORD }, { cookie: u.cookie }))).toEqual({
      deleted: true,
    });
    await expectGone(h, u, prefixes);
    expect(await signedIn(h, u.cookie)).toBe(false);
    expect(await keysUnder(h, `u/${bystander.id}/`)).toEqual([kept.key]);
  });

  it("stops checking passwords after five wrong ones in 15 minutes, even the right one, with Retry-After", async () => {
    await using h = await createHarness();
    const u = await h.signUp();
    for (let i = 0; i < PASSWORD_ATTEMPTS; i++) {
      const wrong = await h.trpc("account.delete", { password: `guess ${i}` }, { token: u.token });
      expect(wrong).toMatchObject({ ok: false, code: "FORBIDDEN" });
    }
    const res = await h.app.request("/trpc/account.delete", {
      method: "POST",
      headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json" },
      body: JSON.stringify({ password: PASSWORD }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /^password: 5 wrong/,
    );
    expect(await signedIn(h, u.cookie)).toBe(true);

    // A sweeper pass in between keeps the count; the next window lets the owner in.
    await h.signet.sweep();
    expect(await h.trpc("account.delete", { password: PASSWORD }, { token: u.token })).toMatchObject({
      ok: false,
      code: "TOO_MANY_REQUESTS",
    });
    h.advance(15 * 60);
    expect(ok(await h.trpc("account.delete", { password: PASSWORD }, { token: u.token }))).toEqual({
      deleted: true,
    });
  });

  it("finishes when run again after failing midway, and the sweeper finishes an interrupted one", async () => {
    for (const resume of ["retry", "sweeper"] as const) {
      await using fresh = await createHarness();
      const { u, prefixes } = await populated(fresh);
      // The real storage, failing for good after two deletions: the pass stops there like a crash would.
      let deletions = 0;
      const failing: Storage = {
        ...fresh.signer,
        deleteObject: async (key) => {
          if (++deletions > 2) throw new Error("storage went away");
          return fresh.signer.deleteObject(key);
        },
      };
      await expect(
        callerFor(fresh, u, { ...fresh.deps, storage: failing }).account.delete({ password: PASSWORD }),
      ).rejects.toThrow();
      const left = (await Promise.all(prefixes.map((p) => keysUnder(fresh, p)))).flat();
      expect(left.length).toBeGreaterThan(0);
      // Midway: no new session, and no new upload URL from an existing one.
      expect((await signIn(fresh, u.email)).status).toBe(403);
      const upload = await fresh.trpc(
        "files.createUpload",
        { filename: "late.txt", contentType: "text/plain", size: 1 },
        { token: u.token },
      );
      expect(upload.ok).toBe(false);

      if (resume === "retry") {
        ok(await fresh.trpc("account.delete", { password: PASSWORD }, { cookie: u.cookie }));
      } else {
        // A pass that may still be running is left alone; after the grace period the sweeper takes over.
        expect((await sweep(fresh.deps)).accountsDeleted).toBe(0);
        fresh.advance(fresh.deps.config.sweepGraceSeconds + 1);
        expect((await sweep(fresh.deps)).accountsDeleted).toBe(1);
      }
      await expectGone(fresh, u, prefixes);
    }
  });

  it("sweeps the prefixes again once the last upload URL has expired", async () => {
    await using fresh = await createHarness();
    const u = await fresh.signUp();
    const late = await uploadFile(fresh, u, "late.txt", "late", false);
    ok(await fresh.trpc("account.delete", { password: PASSWORD }, { cookie: u.cookie }));
    // The URL handed out before the deletion still works for a while: its PUT lands after the first pass.
    expect((await browserPut(late.url, late.headers, new TextEncoder().encode("late"))).status).toBe(200);
    expect(await keysUnder(fresh, `u/${u.id}/`)).toEqual([late.key]);
    const [row] = await fresh.db.select().from(accountDeletion).where(eq(accountDeletion.userId, u.id));
    expect(row?.finishedAt).not.toBeNull();
    fresh.advance(fresh.deps.config.uploadUrlTtl + fresh.deps.config.sweepGraceSeconds + 1);
    expect((await sweep(fresh.deps)).accountsDeleted).toBe(1);
    expect(await keysUnder(fresh, `u/${u.id}/`)).toEqual([]);
    expect(await fresh.db.select().from(accountDeletion)).toEqual([]);
    // Finishing an already finished deletion does nothing.
    await finishAccountDeletion(fresh.deps, u.id);
    expect(
      await fresh.db.select().from(auditEvent).where(like(auditEvent.action, "account.delete")),
    ).toHaveLength(1);
  });
});

describe("development mailbox", () => {
  it("is shown only to this machine", async () => {
    const u = await h.signUp();
    await auth(h, "/request-password-reset", { email: u.email });
    await h.mailbox.waitFor((m) => m.to === u.email);
    const local = await h.app.request("/dev/mail", {}, { address: "127.0.0.1" });
    expect(local.status).toBe(200);
    const page = await local.text();
    expect(page).toContain(u.email);
    const id = h.mailbox.list().find((m) => m.to === u.email)!.id;
    expect(await (await h.app.request(`/dev/mail/${id}`, {}, { address: "::1" })).text()).toContain(
      "Set a new password",
    );
    expect((await h.app.request("/dev/mail", {}, { address: "192.0.2.7" })).status).toBe(404);
    expect((await h.app.request(`/dev/mail/${id}`)).status).toBe(404);
  });
});
