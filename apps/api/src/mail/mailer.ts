/**
 * Outgoing mail. Two transports behind one `Mailer`: real SMTP (SMTP_URL + MAIL_FROM, through nodemailer) and,
 * with no mail configuration in a development setup, an in-process mailbox shown at /dev/mail. A real deployment
 * (a real bucket) without SMTP_URL keeps no mail nobody can read: start-up warns, and sending fails saying why.
 */
import { ConfigError } from "../env.ts";

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

/** Mail settings a real deployment lacks: start-up warns with this, and every send fails saying it. */
export const MAIL_NOT_CONFIGURED =
  "SMTP_URL: not set, so password reset and email verification mails cannot be sent; " +
  "set SMTP_URL (smtp://user:pass@host:587 or smtps://…) and MAIL_FROM";

/** The mailer of a real deployment without mail settings: every send fails saying what to set. */
export function unconfiguredMailer(): Mailer {
  return {
    description: "not configured (set SMTP_URL and MAIL_FROM)",
    send: async () => {
      throw new ConfigError(MAIL_NOT_CONFIGURED);
    },
  };
}
