import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { parseEnv } from "../env.ts";
import { mailerFor } from "./smtp.ts";

const apiRoot = fileURLToPath(new URL("../..", import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Spawns a tsx script under apps/api and collects its stdout lines. */
function run(script: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: apiRoot,
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  let buffer = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  child.stdout?.on("data", (chunk) => {
    buffer += chunk;
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts);
    for (const waiter of [...waiters]) waiter();
  });
  /** The first line (already printed or coming) that matches. */
  function line(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (const l of lines) {
          const m = pattern.exec(l);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(m);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${stderr}`));
      }, timeoutMs);
      waiters.add(check);
      child.once("exit", (code) => reject(new Error(`${script} exited with ${code}: ${stderr}`)));
      check();
    });
  }
  return { line, lines };
}

describe("mail through a real SMTP server", () => {
  it("delivers the password reset mail to SMTP_URL, From MAIL_FROM, and its link resets the password", async () => {
    const smtp = run("src/testing/smtp-catcher.ts");
    const [, smtpPort] = await smtp.line(/^smtp listening on (\d+)$/);
    const dataDir = await mkdtemp(join(tmpdir(), "signet-smtp-"));
    dirs.push(dataDir);
    const api = run("src/entry/node.ts", {
      DATA_DIR: dataDir,
      PORT: "0",
      LOCAL_S3_PORT: "0",
      WEB_DIST_DIR: join(dataDir, "no-dist"),
      SMTP_URL: `smtp://signet:not-a-real-password@127.0.0.1:${smtpPort}`,
      MAIL_FROM: "Signet <signet@example.com>",
    });
    const [, base] = await api.line(/^signet listening on (http:\/\/localhost:\d+)$/);
    // The start-up line names the server, never the credentials in SMTP_URL.
    expect(api.lines).toContain(`mail: SMTP smtp://127.0.0.1:${smtpPort}`);
    expect(api.lines.join("\n")).not.toContain("not-a-real-password");

    const json = { "content-type": "application/json", origin: base! };
    const email = "smtp-reset@example.com";
    const signUp = await fetch(`${base}/api/auth/sign-up/email`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ email, password: "correct horse battery", name: "Mail Test" }),
    });
    expect(signUp.status).toBe(200);
    const asked = await fetch(`${base}/api/auth/request-password-reset`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ email, redirectTo: `${base}/reset-password` }),
    });
    expect(asked.status).toBe(200);

    const [received] = await smtp.line(/^\{.*"to":\["smtp-reset@example\.com"\].*$/);
    const mail = JSON.parse(received) as { from: string; to: string[]; raw: string };
    expect(mail.from).toBe("signet@example.com");
    expect(mail.raw).toMatch(/^Subject: Reset your Signet password/m);
    // Quoted-printable: undo soft line breaks and the escaped "=".
    const decoded = mail.raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
    const link = /https?:\/\/\S+?\/api\/auth\/reset-password\/[^\s"<]+/.exec(decoded)?.[0];
    expect(link).toBeDefined();
    const redirect = await fetch(link!, { redirect: "manual" });
    const token = new URL(redirect.headers.get("location")!).searchParams.get("token");
    const reset = await fetch(`${base}/api/auth/reset-password`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ newPassword: "a password from the mail", token }),
    });
    expect(reset.status).toBe(200);
    const signIn = await fetch(`${base}/api/auth/sign-in/email`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ email, password: "a password from the mail" }),
    });
    expect(signIn.status).toBe(200);
  }, 120_000);
});

describe("mail configuration", () => {
  it("keeps mail in the development mailbox only on a development setup", async () => {
    const dev = mailerFor(parseEnv({}).accounts, false);
    expect(dev.devMailbox).toBeDefined();
    // A real deployment without SMTP starts (its files stay reachable) and says what is missing.
    const unset = mailerFor(parseEnv({}).accounts, true);
    expect(unset.devMailbox).toBeUndefined();
    expect(unset.missing).toMatch(/^SMTP_URL: not set/);
    await expect(
      unset.mailer.send({ to: "a@example.com", subject: "s", text: "t", html: "h" }),
    ).rejects.toThrow(/^SMTP_URL: not set/);
    const smtp = mailerFor(
      parseEnv({ SMTP_URL: "smtps://u:p@mail.example.com:465", MAIL_FROM: "a@example.com" }).accounts,
      true,
    );
    expect(smtp.devMailbox).toBeUndefined();
    expect(smtp.mailer.description).toBe("SMTP smtps://mail.example.com:465");
  });

  it.each([
    [{ SMTP_URL: "http://mail.example.com" }, /^SMTP_URL: must be an smtp/],
    [{ SMTP_URL: "smtp://mail.example.com" }, /^MAIL_FROM: required when SMTP_URL is set/],
    [{ SMTP_URL: "smtp://mail.example.com", MAIL_FROM: "not an address" }, /^MAIL_FROM: /],
    [{ REQUIRE_EMAIL_VERIFICATION: "maybe" }, /^REQUIRE_EMAIL_VERIFICATION: /],
  ])("refuses %j naming the variable", (env, message) => {
    expect(() => parseEnv(env)).toThrow(message);
  });
});
