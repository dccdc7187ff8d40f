/**
 * Starts the real Signet API (with its embedded local-s3) as a child process on free ports, exactly as a user
 * would with `pnpm start`, and stops it with SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createSigner, type Signer } from "@signet/signer";
import axe from "axe-core";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";
import { it } from "vitest";

export const webDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = resolve(webDir, "../..");
const apiDir = join(repoRoot, "apps/api");
const entry = join(apiDir, "src/entry/node.ts");

/**
 * Debian's Chromium, headless, with the flags this machine's closed network needs (no background connections,
 * no component updates, no QUIC): every browser test and the upload bench launch it the same way.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
  });
}

/** A launched Chromium with one context and its first page; `close` ends both. */
export interface OpenPage {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Launches Chromium and opens a page in a fresh 1280×900 context (`options` add to or override that). */
export async function openPage(options: BrowserContextOptions = {}): Promise<OpenPage> {
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  return {
    browser,
    context,
    page: await context.newPage(),
    close: async () => {
      await context.close();
      await browser.close();
    },
  };
}

export interface RunningApi {
  url: string;
  dataDir: string;
  /** Everything the process printed, for failure reports (the API redacts secrets itself). */
  output(): string;
  /**
   * SIGTERM (or the signal given) and wait for the exit code (once it exited, a call answers that code again); the
   * data dir is removed unless the caller owns it.
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns the API's Node entry and resolves once it prints `signet listening on <url>`. */
export async function startApi(
  options: {
    timeoutMs?: number;
    env?: Record<string, string>;
    dataDir?: string;
    /** Extra flags for the API's `node` (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
    nodeArgs?: string[];
  } = {},
) {
  const distIndex = join(webDir, "dist/index.html");
  if (!existsSync(distIndex)) {
    throw new Error(`SPA not built: ${distIndex} is missing. Run \`pnpm --filter @signet/web build\` first.`);
  }
  if (!existsSync(entry)) throw new Error(`API entry not found at ${entry}`);
  // A given data dir is the caller's (e.g. to restart on the same state); a fresh one is removed on stop.
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "signet-web-e2e-")));
  // tsx is the API's own dependency, resolved from its directory; the root has none in a fresh install.
  const child: ChildProcess = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), "--import", "tsx", entry],
    {
      cwd: apiDir,
      env: {
        ...process.env,
        PORT: "0",
        LOCAL_S3_PORT: "0",
        DATA_DIR: dataDir,
        WEB_DIST_DIR: join(webDir, "dist"),
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let log = "";
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`API did not report readiness within ${options.timeoutMs ?? 60_000} ms:\n${log}`)),
      options.timeoutMs ?? 60_000,
    );
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /^signet listening on (\S+)$/m.exec(log);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`API exited with code ${code} before it was ready:\n${log}`));
    });
  });
  return {
    url,
    dataDir,
    output: () => log,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      const forced = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(forced);
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  } satisfies RunningApi;
}

/** Where the browser suites leave screenshots (and a failed step's page). */
export const ARTIFACTS = join(webDir, "test-artifacts");

/** What a browser suite runs against: the API, a page in its own browser, and a scratch folder for its files. */
export interface BrowserSuite extends OpenPage {
  api: RunningApi;
  /** A fresh temporary folder for the files the suite picks or drops. */
  fixtures: string;
  /** Closes the browser, stops the API and removes `fixtures`. */
  close(): Promise<void>;
}

/**
 * Starts what a browser suite needs: the ARTIFACTS folder, a scratch folder (`signet-<name>-…`), the API (`api`
 * as for startApi) and a page (`page` as for openPage). Should one of them fail to start, those already started
 * are stopped again, so a failed start leaves no process or folder behind.
 */
export async function startSuite(
  name: string,
  options: { api?: Parameters<typeof startApi>[0]; page?: BrowserContextOptions } = {},
): Promise<BrowserSuite> {
  const started: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (let stop = started.pop(); stop; stop = started.pop()) await stop();
  };
  try {
    await mkdir(ARTIFACTS, { recursive: true });
    const fixtures = await mkdtemp(join(tmpdir(), `signet-${name}-`));
    started.push(() => rm(fixtures, { recursive: true, force: true }));
    const api = await startApi(options.api);
    started.push(() => api.stop());
    const opened = await openPage(options.page);
    started.push(() => opened.close());
    return { ...opened, api, fixtures, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The API's bucket on its embedded local-s3, signed with the credentials it generated: what storage holds. */
export async function bucketOf(api: Pick<RunningApi, "dataDir" | "output">): Promise<Signer> {
  const endpoint = /^local-s3 listening on (\S+)$/m.exec(api.output())?.[1];
  if (!endpoint) throw new Error("the API did not report its local-s3 endpoint");
  const { accessKeyId, secretAccessKey } = JSON.parse(
    await readFile(join(api.dataDir, "dev-secrets.json"), "utf8"),
  ) as { accessKeyId: string; secretAccessKey: string };
  return createSigner({ endpoint, bucket: "signet", accessKeyId, secretAccessKey });
}

/**
 * The steps of one browser story, which share a page and run in order. Once one fails the rest say so instead of
 * timing out one by one; a step counts as failed until it returns, since one cut off by Vitest's timeout never
 * reaches a catch block and its still-running body would race the next step on the same page. A failed step
 * leaves a screenshot (`<prefix>-failed-<step>.png` in ARTIFACTS), the page's alerts and the API's last lines.
 */
export function storySteps(options: {
  prefix: string;
  page: () => Page | undefined;
  api: () => Pick<RunningApi, "output"> | undefined;
  timeoutMs?: number;
}): (name: string, run: () => Promise<void>) => void {
  let unfinished: string | null = null;
  const report = async (name: string) => {
    const page = options.page();
    const slug = name.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
    await page
      ?.screenshot({ path: join(ARTIFACTS, `${options.prefix}-failed-${slug}.png`), fullPage: true })
      .catch(() => {});
    const alerts = await page
      ?.getByRole("alert")
      .allTextContents()
      .catch(() => []);
    const output = options.api()?.output().split("\n").slice(-40).join("\n") ?? "";
    console.error(
      `step "${name}" failed at ${page?.url()}\nalerts on the page: ${JSON.stringify(alerts ?? [])}\n` +
        `API output (last 40 lines):\n${output}`,
    );
  };
  return (name, run) => {
    it(
      name,
      async () => {
        if (unfinished) throw new Error(`not run: the step "${unfinished}" failed or did not finish`);
        unfinished = name;
        try {
          await run();
        } catch (error) {
          await report(name);
          throw error;
        }
        unfinished = null;
      },
      options.timeoutMs,
    );
  };
}

/** The password the browser suites sign their users up with. */
export const TEST_PASSWORD = "correct horse battery";

/** Signs a new user up through the SPA's own form and waits for the Files page. */
export async function signUpInSpa(page: Page, baseUrl: string, name: string, email: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-up`);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(TEST_PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Files", level: 1 }).waitFor();
}

/**
 * axe-core's violations on the page as it stands (rule, help and the offending nodes). Its script is evaluated
 * through the DevTools protocol, which the app's CSP (script-src 'self') rightly does not let a page tag do. An
 * audit that passed almost nothing ran over nothing, so it throws instead of answering "no violations".
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const result = await page.evaluate(() => (window as unknown as { axe: typeof axe }).axe.run());
  if (result.passes.length <= 10) throw new Error(`axe-core passed only ${result.passes.length} rules`);
  return result.violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
  );
}
