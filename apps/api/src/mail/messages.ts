/** The mails Signet sends: plain text plus the same as simple HTML. */
import type { Mail } from "./mailer.ts";

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function linkMail(
  to: string,
  subject: string,
  intro: string,
  action: string,
  url: string,
  outro: string,
): Mail {
  return {
    to,
    subject,
    text: `${intro}\n\n${action}: ${url}\n\n${outro}\n`,
    html:
      `<p>${escapeHtml(intro)}</p>` +
      `<p><a href="${escapeHtml(url)}">${escapeHtml(action)}</a></p>` +
      `<p>${escapeHtml(outro)}</p>`,
  };
}

/** The password reset link (single use, expires after `expiresInMinutes`). */
export function resetPasswordMail(to: string, url: string, expiresInMinutes: number): Mail {
  return linkMail(
    to,
    "Reset your Signet password",
    "Someone asked to reset the password of your Signet account.",
    "Set a new password",
    url,
    `The link works once and expires in ${expiresInMinutes} minutes. Setting a new password signs you out ` +
      "everywhere. If you did not ask for this, ignore this mail: your password stays as it is.",
  );
}

/** The link that confirms an address: a new account's, or the new address of an email change. */
export function verifyEmailMail(to: string, url: string, change: boolean): Mail {
  return linkMail(
    to,
    change ? "Confirm your new Signet email address" : "Verify your Signet email address",
    change
      ? "Someone asked to use this address for a Signet account."
      : "Welcome to Signet. Please confirm that this address is yours.",
    change ? "Use this address" : "Verify this address",
    url,
    "If you did not ask for this, ignore this mail.",
  );
}
