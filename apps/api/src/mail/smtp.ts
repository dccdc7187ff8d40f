/**
 * Mail through SMTP (nodemailer, a Node-only dependency): kept apart from mailer.ts so the runtime-neutral
 * assembly, and with it the Workers bundle, never pulls nodemailer in.
 */
import type { AccountsConfig } from "../env.ts";
import {
  createDevMailbox,
  type DevMailbox,
  MAIL_NOT_CONFIGURED,
  type Mailer,
  unconfiguredMailer,
} from "./mailer.ts";

/** Sends through an SMTP server with nodemailer (loaded only when configured). */
export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const url = new URL(smtpUrl);
  let transport: Promise<{ sendMail(message: object): Promise<unknown> }> | undefined;
  return {
    description: `SMTP ${url.protocol}//${url.host}`,
    async send(mail) {
      transport ??= import("nodemailer").then((nodemailer) => nodemailer.createTransport(smtpUrl));
      await (await transport).sendMail({ from, ...mail });
    },
  };
}

/**
 * The mailer the configuration asks for: SMTP when SMTP_URL is set; the development mailbox when it is not and
 * storage is the embedded local-s3. A real deployment without SMTP_URL still starts (its files must stay
 * reachable), with `missing` saying what to set; each mail it tries to send fails with the same words.
 */
export function mailerFor(
  accounts: AccountsConfig,
  realDeployment: boolean,
  clock?: () => Date,
): { mailer: Mailer; devMailbox?: DevMailbox; missing?: string } {
  if (accounts.smtpUrl && accounts.mailFrom) {
    return { mailer: createSmtpMailer(accounts.smtpUrl, accounts.mailFrom) };
  }
  if (realDeployment) {
    return { mailer: unconfiguredMailer(), missing: MAIL_NOT_CONFIGURED };
  }
  const devMailbox = createDevMailbox(clock);
  return { mailer: devMailbox, devMailbox };
}
