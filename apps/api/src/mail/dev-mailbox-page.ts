/**
 * /dev/mail: the development mailbox as plain HTML pages (a list and one page per mail), served only when no
 * SMTP server is configured on a development setup. No scripts: the links in a mail are ordinary links.
 */
import { type Context, Hono } from "hono";
import type { DevMailbox, StoredMail } from "./mailer.ts";

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="robots" content="noindex">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd}
.note{color:#666}article{border:1px solid #ddd;padding:1rem;border-radius:6px}</style></head>
<body>${body}</body></html>`;
}

function row(mail: StoredMail): string {
  return `<tr><td>${escapeHtml(mail.at.toISOString())}</td><td>${escapeHtml(mail.to)}</td>
<td><a href="/dev/mail/${mail.id}">${escapeHtml(mail.subject)}</a></td></tr>`;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * The mailbox's pages, to mount at /dev/mail. They hold live password reset links, so they answer only requests
 * from this machine (`clientIp` is the address the app decided on); anyone else gets a 404.
 */
export function devMailboxRoutes(mailbox: DevMailbox, clientIp: (c: Context) => string | undefined) {
  const app = new Hono();
  app.use("*", async (c, next) => {
    if (!LOOPBACK.test(clientIp(c) ?? "")) {
      return c.text("The development mailbox is shown only to this machine", 404);
    }
    return next();
  });
  app.get("/", (c) => {
    const mails = mailbox.list();
    c.header("cache-control", "no-store");
    return c.html(
      page(
        "Development mailbox · Signet",
        `<h1>Development mailbox</h1>
<p class="note">No SMTP server is configured (SMTP_URL), so Signet keeps its mails here, in memory, until it
restarts. This page exists only on a development setup.</p>
${mails.length ? `<table><thead><tr><th>When</th><th>To</th><th>Subject</th></tr></thead><tbody>${mails.map(row).join("")}</tbody></table>` : "<p>No mail yet.</p>"}`,
      ),
    );
  });
  app.get("/:id", (c) => {
    const mail = mailbox.get(c.req.param("id"));
    c.header("cache-control", "no-store");
    if (!mail)
      return c.html(page("Not found · Signet", `<p>No such mail. <a href="/dev/mail">All mail</a></p>`), 404);
    return c.html(
      page(
        `${mail.subject} · Signet`,
        `<p><a href="/dev/mail">← All mail</a></p><h1>${escapeHtml(mail.subject)}</h1>
<p class="note">To ${escapeHtml(mail.to)} · ${escapeHtml(mail.at.toISOString())}</p><article>${mail.html}</article>`,
      ),
    );
  });
  return app;
}
