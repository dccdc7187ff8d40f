/**
 * Outgoing mail. Two transports behind one `Mailer`: real SMTP (SMTP_URL + MAIL_FROM, through nodemailer) and,
 * with no mail configuration in a development setup, an in-process mailbox shown at /dev/mail. A real deployment
 * (a real bucket) without SMTP_URL keeps no mail nobody can read: start-up warns, and sending fails saying why.
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

/** Mail settings a real deployment lacks: start-up warns with this, and every send fails saying it. */
export const MAIL_NOT_CONFIGURED =
  "SMTP_URL: not set, so password reset and email verification mails cannot be sent; " +
  "set SMTP_URL (smtp://user:pass@host:587 or smtps://…) and MAIL_FROM";

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
    return {
      mailer: {
        description: "not configured (set SMTP_URL and MAIL_FROM)",
        send: async () => {
          throw new ConfigError(MAIL_NOT_CONFIGURED);
        },
      },
      missing: MAIL_NOT_CONFIGURED,
    };
  }
  const devMailbox = createDevMailbox(clock);
  return { mailer: devMailbox, devMailbox };
}
