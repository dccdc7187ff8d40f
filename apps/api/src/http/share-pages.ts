/**
 * `/s/<token>`: share links on Signet's own origin. A script's GET is answered with a 302 to a GET of at most 60 s;
 * a browser (Accept: text/html) first gets a landing page rendered here, whose Download link and password form
 * work without JavaScript. Refusals are pages for browsers and the JSON error shape for scripts: 404 unknown, 410
 * expired / revoked / used up, 401 password or sign-in needed, 429 with Retry-After past the password tries.
 */
import { type Context, Hono } from "hono";
import { redeemShareLink, type SharedFile, type ShareRefusal, sharedFile } from "../services/share-links.ts";
import { bodyLimit } from "./body-limit.ts";
import type { Env, Sessions } from "./session.ts";

export const SHARE_PREFIX = "/s";

const REFUSALS: Record<
  ShareRefusal["reason"],
  { status: 401 | 404 | 410 | 429; title: string; text: string }
> = {
  not_found: {
    status: 404,
    title: "Link not found",
    text: "This link does not exist. Check that it was copied whole.",
  },
  expired: {
    status: 410,
    title: "Link expired",
    text: "This link has expired. Ask its owner for a new one.",
  },
  revoked: { status: 410, title: "Link revoked", text: "The owner revoked this link." },
  used_up: {
    status: 410,
    title: "Link used up",
    text: "This link allowed a limited number of downloads, and they have all been used.",
  },
  file_gone: {
    status: 410,
    title: "File removed",
    text: "The file behind this link was removed by its owner.",
  },
  password_required: { status: 401, title: "Password needed", text: "This file is protected by a password." },
  wrong_password: { status: 401, title: "Wrong password", text: "That password is not right. Try again." },
  sign_in_required: {
    status: 401,
    title: "Sign in to download",
    text: "The owner shares this file with signed-in users only.",
  },
  rate_limited: { status: 429, title: "Too many tries", text: "Too many password tries." },
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function formatBytes(bytes: number): string {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · Signet</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
main { max-width: 32rem; margin: 4rem auto; padding: 2rem; background: #fff; border-radius: 8px; border: 1px solid #d5d9e0; }
h1 { font-size: 1.4rem; margin-top: 0; }
.file { font-weight: 600; overflow-wrap: anywhere; }
.button { display: inline-block; padding: .6rem 1.2rem; background: #1f4fd1; color: #fff; border: 0; border-radius: 6px; font: inherit; text-decoration: none; cursor: pointer; }
.button:focus-visible, input:focus-visible { outline: 3px solid #0b2f8a; outline-offset: 2px; }
label { display: block; margin-bottom: .3rem; }
input { font: inherit; padding: .5rem; width: 100%; box-sizing: border-box; margin-bottom: 1rem; border: 1px solid #6b7280; border-radius: 6px; }
.error { color: #a3141c; }
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

function passwordForm(token: string, error: string | null): string {
  return `<form method="post" action="${SHARE_PREFIX}/${token}">
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ""}<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button class="button" type="submit">Download</button>
</form>`;
}

function landing(token: string, shared: SharedFile): string {
  if (shared.hasPassword) {
    return page(
      "Password needed",
      `<h1>Password needed</h1>\n<p>This file is protected by a password.</p>\n${passwordForm(token, null)}`,
    );
  }
  return page(
    shared.filename,
    `<h1>Download a file</h1>
<p class="file">${escapeHtml(shared.filename)}</p>
<p>${formatBytes(shared.size)}</p>
<p><a class="button" href="${SHARE_PREFIX}/${token}/download" download>Download</a></p>`,
  );
}

function refusalPage(token: string, refusal: ShareRefusal): string {
  const { title, text } = REFUSALS[refusal.reason];
  if (refusal.reason === "wrong_password" || refusal.reason === "password_required") {
    const error = refusal.reason === "wrong_password" ? text : null;
    return page(
      title,
      `<h1>${title}</h1>\n<p>This file is protected by a password.</p>\n${passwordForm(token, error)}`,
    );
  }
  const wait =
    refusal.reason === "rate_limited"
      ? ` Try again in ${Math.ceil(refusal.retryAfterSeconds / 60)} min.`
      : refusal.reason === "sign_in_required"
        ? ` <a href="/">Sign in</a>, then open the link again.`
        : "";
  return page(title, `<h1>${title}</h1>\n<p>${text}${wait}</p>`);
}

const wantsHtml = (accept: string | undefined) => (accept ?? "").includes("text/html");

export function sharePages(session: Sessions) {
  const app = new Hono<Env>();

  app.use("*", async (c, next) => {
    await next();
    // The token is the secret: no cache may keep it (policy.ts keeps it out of the Referer).
    c.header("cache-control", "no-store");
    c.header("x-robots-tag", "noindex");
  });

  async function answer(c: Context<Env>, token: string, password: string | undefined, html: boolean) {
    const result = await redeemShareLink(session.deps(c), {
      token,
      password,
      actor: await session.actor(c),
      request: session.requestMeta(c),
    });
    if ("url" in result) return c.redirect(result.url, 302);
    return refuse(c, token, result, html);
  }

  function refuse(c: Context<Env>, token: string, refusal: ShareRefusal, html: boolean) {
    const { status, title, text } = REFUSALS[refusal.reason];
    if (refusal.reason === "rate_limited") c.header("retry-after", String(refusal.retryAfterSeconds));
    if (html) return c.html(refusalPage(token, refusal), status);
    const code = { 401: "UNAUTHORIZED", 404: "NOT_FOUND", 410: "GONE", 429: "TOO_MANY_REQUESTS" }[status];
    const message = `${title}: ${text}`;
    return c.json({ code, reason: refusal.reason, message, error: { code, message } }, status);
  }

  app.get("/:token", async (c) => {
    const token = c.req.param("token");
    // A browser (and any HEAD) sees the landing page: opening a link never spends a download by itself.
    if (c.req.method === "HEAD" || wantsHtml(c.req.header("accept"))) {
      const shared = await sharedFile(session.deps(c), token);
      if ("reason" in shared) return refuse(c, token, shared, true);
      return c.html(landing(token, shared), 200);
    }
    return answer(c, token, undefined, false);
  });

  app.get("/:token/download", (c) => answer(c, c.req.param("token"), undefined, true));

  const smallForm = bodyLimit({ maxSize: 4096, onError: (c) => c.text("Form too large", 413) });
  app.post("/:token", smallForm, async (c) => {
    const form = await c.req.parseBody();
    const password = typeof form.password === "string" ? form.password : undefined;
    return answer(c, c.req.param("token"), password, wantsHtml(c.req.header("accept")));
  });

  return app;
}
