/**
 * Test wiring with real parts only: a libSQL file in a temp dir, a local-s3 endpoint on port 0 with its own temp
 * dir, the real signer and Better Auth, and one shared adjustable clock for the API, the signer and local-s3.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDb, createDb, type Database } from "@signet/db";
import { migrate } from "@signet/db/migrate";
import { createLocalS3, generateCredentials, type RunningServer } from "@signet/local-s3";
import { createSigner, type Signer } from "@signet/signer";
import type { SignetApp } from "../app.ts";
import type { AppConfig, AppDeps, LogEntry, Storage } from "../deps.ts";
import { parseEnv } from "../env.ts";
import { createDevMailbox, type DevMailbox } from "../mail/mailer.ts";
import { appConfig, createSignet, type Signet, type SignetDeps } from "../signet.ts";
import { createInnerContext } from "../trpc/init.ts";
import { createCaller } from "../trpc/root.ts";

export const PUBLIC_URL = "http://localhost:5173";
export const AUTH_SECRET = "test-secret-that-is-long-enough-0123456789";

export interface Harness extends AsyncDisposable {
  dir: string;
  db: Database;
  signer: Signer;
  s3: RunningServer;
  s3Credentials: { accessKeyId: string; secretAccessKey: string };
  /** Every request local-s3 received ("METHOD /bucket/key"), in order. */
  s3Requests: string[];
  app: SignetApp;
  deps: AppDeps;
  /** The assembly itself (its `sweep` runs one sweeper pass with the harness's clock). */
  signet: Signet;
  logs: LogEntry[];
  /** The development mailbox the app's mail goes to. */
  mailbox: DevMailbox;
  /** Moves the shared clock forward. */
  advance(seconds: number): void;
  now(): Date;
  signUp(email?: string): Promise<TestUser>;
  /** A tRPC caller acting as the user (inner context, no HTTP). */
  caller(user: TestUser | null): ReturnType<typeof createCaller>;
  /** Calls a procedure over HTTP as the SPA (cookie + Origin) or a script (bearer) would. */
  trpc(path: string, input: unknown, auth: Auth, kind?: "query" | "mutation"): Promise<TrpcResult>;
  /** A second instance on the same database file, storage and clock (its own connection), closed on dispose. */
  secondInstance(): Promise<SignetApp & Disposable>;
  /**
   * The same database, storage and clock assembled with a `background` seam: `settled()` waits for the work
   * started after commits (first webhook attempts, and what those start in turn), as Workers' waitUntil keeps it.
   */
  withBackground(options?: Pick<SignetDeps, "hooks">): BackgroundInstance;
}

export interface BackgroundInstance {
  signet: Signet;
  /** A tRPC caller acting as the user on this instance (inner context, no HTTP). */
  caller(user: TestUser | null): ReturnType<typeof createCaller>;
  settled(): Promise<void>;
}

export interface TestUser {
  id: string;
  name: string;
  email: string;
  cookie: string;
  token: string;
}

export type Auth = { cookie: string; origin?: string | null } | { token: string } | null;

export type TrpcResult =
  | { ok: true; status: number; data: unknown }
  | { ok: false; status: number; code: string; message: string };

let counter = 0;

/** Starts everything; dispose with `await using`. */
export async function createHarness(overrides: Partial<AppConfig> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "signet-api-"));
  let current = new Date(Math.floor(Date.now() / 1000) * 1000);
  const clock = () => new Date(current.getTime());
  const db = await createDb({ url: `file:${join(dir, "signet.db")}` });
  await migrate(db);
  const credentials = generateCredentials();
  const s3Requests: string[] = [];
  const s3 = await createLocalS3({
    dir: join(dir, "s3"),
    credentials: [credentials],
    now: clock,
    onRequest: (request) => {
      const url = new URL(request.url);
      s3Requests.push(`${request.method} ${url.pathname}`);
    },
  }).listen({
    port: 0,
    hostname: "127.0.0.1",
  });
  const signer = createSigner({ endpoint: s3.url, bucket: "signet", ...credentials, now: clock });
  await signer.createBucket();
  const mailbox = createDevMailbox(clock);
  const logs: LogEntry[] = [];
  const config: AppConfig = {
    // The shipped defaults, so tests exercise what a fresh start runs with.
    ...appConfig(parseEnv({ DATABASE_URL: `file:${join(dir, "signet.db")}` }), {
      publicUrl: PUBLIC_URL,
      s3Endpoint: s3.url,
      storage: "local",
    }),
    sweepGraceSeconds: 60,
    ...overrides,
  };
  // What every instance of this harness is built from: one database, one bucket, one clock, one log.
  const outside = {
    db,
    storage: signer,
    authSecret: AUTH_SECRET,
    clock,
    logger: (entry: LogEntry) => {
      logs.push(entry);
    },
  } satisfies SignetDeps;
  const signet = createSignet(config, { ...outside, mailer: mailbox, devMailbox: mailbox });
  const { app, deps } = signet;

  async function signUp(email = `user${++counter}-${Date.now()}@example.com`): Promise<TestUser> {
    const response = await app.request("/api/auth/sign-up/email", {
      method: "POST",
      headers: { "content-type": "application/json", origin: PUBLIC_URL },
      body: JSON.stringify({ email, password: "correct horse battery", name: "Test User" }),
    });
    if (response.status !== 200)
      throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { user: { id: string; name: string; email: string } };
    const token = response.headers.get("set-auth-token");
    const cookie = response.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    if (!token || !cookie) throw new Error("sign-up returned no token or cookie");
    return { ...body.user, cookie, token };
  }

  function callerOf(on: AppDeps, user: TestUser | null) {
    const actor = user ? { id: user.id, name: user.name, email: user.email } : null;
    return createCaller(createInnerContext(on, actor, { ip: "127.0.0.1", userAgent: "vitest" }));
  }

  async function trpc(path: string, input: unknown, who: Auth, kind: "query" | "mutation" = "mutation") {
    const headers: Record<string, string> = {};
    if (who && "token" in who) headers.authorization = `Bearer ${who.token}`;
    if (who && "cookie" in who) {
      headers.cookie = who.cookie;
      if (who.origin !== null) headers.origin = who.origin ?? PUBLIC_URL;
    }
    const response =
      kind === "query"
        ? await app.request(
            `/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
            { headers },
          )
        : await app.request(`/trpc/${path}`, {
            method: "POST",
            headers: { ...headers, "content-type": "application/json" },
            body: input === undefined ? undefined : JSON.stringify(input),
          });
    const text = await response.text();
    let body: { result?: { data: unknown }; error?: { message: string; data?: { code: string } } };
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false as const, status: response.status, code: "NON_JSON", message: text };
    }
    if (body.result) return { ok: true as const, status: response.status, data: body.result.data };
    return {
      ok: false as const,
      status: response.status,
      code: body.error?.data?.code ?? "UNKNOWN",
      message: body.error?.message ?? text,
    };
  }

  return {
    dir,
    db,
    signer,
    s3,
    s3Credentials: credentials,
    s3Requests,
    app,
    deps,
    signet,
    logs,
    mailbox,
    advance(seconds) {
      current = new Date(current.getTime() + seconds * 1000);
    },
    now: clock,
    signUp,
    caller: (user) => callerOf(deps, user),
    trpc,
    async secondInstance() {
      const secondDb = await createDb({ url: `file:${join(dir, "signet.db")}` });
      const second = createSignet(config, {
        db: secondDb,
        storage: signer,
        authSecret: AUTH_SECRET,
        clock,
        logger: () => {},
        mailer: mailbox,
      }).app;
      return Object.assign(second, { [Symbol.dispose]: () => closeDb(secondDb) });
    },
    withBackground(options = {}) {
      const background: Promise<unknown>[] = [];
      const instance = createSignet(config, {
        ...outside,
        background: (work) => background.push(work),
        ...options,
      });
      return {
        signet: instance,
        caller: (user) => callerOf(instance.deps, user),
        async settled() {
          while (background.length) await background.shift();
        },
      };
    },
    async [Symbol.asyncDispose]() {
      await s3.close();
      closeDb(db);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Uploads `text` as a text file through `caller` the way a client does (signed with its checksum, PUT straight to
 * the bucket, completed) and returns the file as completeUpload answers it.
 */
export async function uploadText(
  caller: ReturnType<typeof createCaller>,
  text: string,
  filename = "note.txt",
) {
  const bytes = new TextEncoder().encode(text);
  const up = await caller.files.createUpload({
    filename,
    contentType: "text/plain",
    size: bytes.length,
    checksumSha256: await sha256Base64(bytes),
  });
  if (!("url" in up)) throw new Error("expected a single PUT");
  const put = await browserPut(up.url, up.headers, bytes);
  if (put.status !== 200) throw new Error(`the PUT answered ${put.status}`);
  return caller.files.completeUpload({ fileId: up.fileId });
}

/**
 * `uploadText` over HTTP with the user's bearer token, as a script does (what the metrics of HTTP requests count);
 * returns the file id.
 */
export async function uploadTextOverHttp(h: Harness, user: TestUser, text: string): Promise<string> {
  const bytes = new TextEncoder().encode(text);
  const created = await h.trpc(
    "files.createUpload",
    {
      filename: "a.txt",
      contentType: "text/plain",
      size: bytes.length,
      checksumSha256: await sha256Base64(bytes),
    },
    { token: user.token },
  );
  if (!created.ok) throw new Error(`createUpload: ${created.code} ${created.message}`);
  const up = created.data as { fileId: string; url: string; headers: Record<string, string> };
  const put = await browserPut(up.url, up.headers, bytes);
  if (put.status !== 200) throw new Error(`PUT: ${put.status}`);
  const done = await h.trpc("files.completeUpload", { fileId: up.fileId }, { token: user.token });
  if (!done.ok) throw new Error(`completeUpload: ${done.code} ${done.message}`);
  return up.fileId;
}

/** base64 SHA-256 of bytes, as x-amz-checksum-sha256. */
export async function sha256Base64(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return btoa(String.fromCharCode(...digest));
}

/** PUTs bytes to a presigned URL exactly as a browser would: every returned header except content-length. */
export async function browserPut(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array,
  override: Record<string, string> = {},
): Promise<Response> {
  const sent: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (name !== "content-length") sent[name] = value;
  return fetch(url, { method: "PUT", headers: { ...sent, ...override }, body: body as BodyInit });
}

/** The data of a successful call; fails the test with the error otherwise. */
export function ok<T>(result: TrpcResult): T {
  if (!result.ok) throw new Error(`expected success, got ${result.code}: ${result.message}`);
  return result.data as T;
}

/**
 * The real storage, with one method holding its (real) result until `release()` for the keys `when` picks, so
 * a test can interleave two calls exactly. `atPause` resolves once a held call has its result.
 *
 * @example const { storage, atPause, release } = pausedStorage(h.signer, "headObject");
 */
export function pausedStorage(
  real: Storage,
  method: "headObject" | "deleteObject",
  when: (key: string) => boolean = () => true,
): { storage: Storage; atPause: Promise<void>; release: () => void } {
  let reached!: () => void;
  let release!: () => void;
  const atPause = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const held = async (key: string) => {
    const result = await (real[method] as (key: string) => Promise<unknown>)(key);
    if (when(key)) {
      reached();
      await gate;
    }
    return result;
  };
  // The signer's methods are plain closures, so a copy answers like the real storage in every other method.
  const storage = { ...real, [method]: held } as Storage;
  return { storage, atPause, release };
}
