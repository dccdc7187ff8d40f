/**
 * Outgoing mail. Two transports behind one `Mailer`: real SMTP (SMTP_URL + MAIL_FROM, through nodemailer) and,
 * with no mail configuration in a development setup, an in-process mailbox shown at /dev/mail. A real deployment
 * (a real bucket) without SMTP_URL refuses to start rather than silently keeping mail nobody can read.
 */
import { type AccountsConfig, ConfigError } from "../env.ts";

/** One message. Links in it are single-use tokens: never log a mail's body. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
  /** Where mail goes, for the start-up line; never contains credentials. */
  readonly description: string;
}

/** A mail kept by the development mailbox. */
export interface StoredMail extends Mail {
  id: string;
  at: Date;
}

/** The development mailbox: keeps the latest mails in memory for /dev/mail. */
export interface DevMailbox extends Mailer {
  list(): StoredMail[];
  get(id: string): StoredMail | undefined;
  /** Resolves with the first mail (already kept or arriving later) that `match` accepts. */
  waitFor(match: (mail: StoredMail) => boolean, timeoutMs?: number): Promise<StoredMail>;
}

const KEEP = 200;

/** An in-memory mailbox holding the latest 200 mails, newest first. */
export function createDevMailbox(clock: () => Date = () => new Date()): DevMailbox {
  const mails: StoredMail[] = [];
  const waiters = new Set<(mail: StoredMail) => void>();
  return {
    description: "development mailbox",
    async send(mail) {
      const stored = { ...mail, id: crypto.randomUUID(), at: clock() };
      mails.unshift(stored);
      mails.length = Math.min(mails.length, KEEP);
      for (const waiter of [...waiters]) waiter(stored);
    },
    list: () => [...mails],
    get: (id) => mails.find((m) => m.id === id),
    waitFor(match, timeoutMs = 10_000) {
      const found = mails.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = (mail: StoredMail) => {
          if (!match(mail)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(mail);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching mail within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}

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
 * storage is the embedded local-s3; otherwise a ConfigError saying what to set.
 */
export function mailerFor(
  accounts: AccountsConfig,
  realDeployment: boolean,
  clock?: () => Date,
): { mailer: Mailer; devMailbox?: DevMailbox } {
  if (accounts.smtpUrl && accounts.mailFrom) {
    return { mailer: createSmtpMailer(accounts.smtpUrl, accounts.mailFrom) };
  }
  if (realDeployment) {
    throw new ConfigError(
      "SMTP_URL: required when S3_ENDPOINT is set (password reset and email verification send mail); " +
        "set SMTP_URL (smtp://user:pass@host:587 or smtps://…) and MAIL_FROM",
    );
  }
  const devMailbox = createDevMailbox(clock);
  return { mailer: devMailbox, devMailbox };
}
