/**
 * The README's and docs' examples, run verbatim as a user would: `bash` running the curl session and the `signet`
 * session, `python3` running the Python script, Node running the TypeScript scripts, against a real Signet served on
 * port 0 (real local-s3, real database). Which blocks are examples: testing/doc-samples.ts.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createSigner } from "@signet/signer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveNode } from "./entry/node-serve.ts";
import { spaCorsRule } from "./storage/cors-rule.ts";
import { example, ROOT } from "./testing/doc-samples.ts";
import { AUTH_SECRET, createHarness, type Harness } from "./testing/harness.ts";

const run = promisify(execFile);

let h: Harness;
let server: { port: number; close(): Promise<void> };
let base: string;
let dir: string;
const email = "readme-reader@example.com";
const password = "correct horse battery staple";

beforeAll(async () => {
  // Low enough that the Node script's file goes in parts, as a large video would.
  h = await createHarness({ multipartThresholdBytes: 8 * 1024 * 1024 });
  server = await serveNode(h.signet.fetch, { port: 0, hostname: "127.0.0.1" });
  base = `http://127.0.0.1:${server.port}`;
  dir = await mkdtemp(join(tmpdir(), "signet-readme-"));
  const signUp = await h.app.request("/api/auth/sign-up/email", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password, name: "README Reader" }),
  });
  expect(signUp.status).toBe(200);
});

afterAll(async () => {
  await server?.close();
  await h?.[Symbol.asyncDispose]();
  await rm(dir, { recursive: true, force: true });
});

describe("README and docs examples", () => {
  it("the signet session migrates, applies CORS, passes the doctor, presigns and reconciles clean", async () => {
    // A bucket and a database of its own, as an operator's first session has.
    const bucket = "signet-cli-docs";
    await createSigner({ endpoint: h.s3.url, bucket, ...h.s3Credentials }).createBucket();
    const { stdout } = await run("bash", ["-euo", "pipefail", "-c", await example("cli")], {
      cwd: ROOT,
      env: {
        ...process.env,
        S3_ENDPOINT: h.s3.url,
        S3_BUCKET: bucket,
        S3_ACCESS_KEY_ID: h.s3Credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: h.s3Credentials.secretAccessKey,
        BETTER_AUTH_SECRET: AUTH_SECRET,
        DATABASE_URL: `file:${join(dir, "cli.db")}`,
      },
    });
    expect(stdout).toContain("Uploads will work.");
    expect(stdout).toMatch(/X-Amz-Signature=[0-9a-f]{64}/);
    expect(stdout).toContain("x-amz-checksum-sha256");
  }, 90_000);

  it("the tRPC script uploads a small file in one PUT and ends ready", async () => {
    expect((await runTypeScript("trpc")).trim()).toBe("ready");
    const list = await h.app.request("/api/files", { headers: { authorization: `Bearer ${await token()}` } });
    const files = ((await list.json()) as { items: { originalFilename: string; status: string }[] }).items;
    expect(files).toContainEqual(expect.objectContaining({ originalFilename: "hello.txt", status: "ready" }));
  }, 30_000);

  it("every REST route docs/api.md names is in the OpenAPI document", async () => {
    const doc = await readFile(join(ROOT, "docs/api.md"), "utf8");
    const verb = "GET|POST|PATCH|DELETE|PUT";
    const named = [
      ...doc.matchAll(
        new RegExp(`\`(${verb})\`/\`(${verb}) (/api/[^\`]+)\`|\`(${verb}) (/api/[^\`]+)\``, "g"),
      ),
    ]
      .flatMap(([, a, b, both, one, path]) =>
        a && b && both ? [`${a} ${both}`, `${b} ${both}`] : [`${one} ${path}`],
      )
      .map((route) => route.replace(/\{[^}]*\}/g, "{}"))
      // Better Auth's own routes are its API, not Signet's document.
      .filter((route) => !route.includes(" /api/auth/"));
    expect(named.length).toBeGreaterThan(20);
    const openapi = (await (await h.app.request("/api/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const documented = Object.entries(openapi.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{[^}]*\}/g, "{}")}`),
    );
    expect(named.filter((route) => !documented.includes(route))).toEqual([]);
  });

  it("the wrangler cors.json allows exactly what `signet cors apply` writes", async () => {
    const doc = JSON.parse(await example("r2-cors")) as {
      rules: {
        allowed: { origins: string[]; methods: string[]; headers: string[] };
        exposeHeaders: string[];
        maxAgeSeconds: number;
      }[];
    };
    const origin = doc.rules[0]?.allowed.origins[0] ?? "";
    const written = spaCorsRule(origin);
    expect(
      doc.rules.map((r) => ({
        allowedOrigins: r.allowed.origins,
        allowedMethods: r.allowed.methods,
        allowedHeaders: r.allowed.headers,
        exposeHeaders: r.exposeHeaders,
        maxAgeSeconds: r.maxAgeSeconds,
      })),
    ).toEqual([written]);
  });

  it("the curl session signs in, makes an upload key, uploads, completes and downloads", async () => {
    const script = await example("curl");
    const { stdout } = await run("bash", ["-euo", "pipefail", "-c", script], {
      cwd: dir,
      env: { ...process.env, SIGNET: base, SIGNET_EMAIL: email, SIGNET_PASSWORD: password },
    });
    expect(stdout.trim()).toBe("ready");
    expect(await readFile(join(dir, "hello-copy.txt"), "utf8")).toBe("hello, bucket\n");
    const keys = await h.app.request("/api/audit", { headers: { authorization: `Bearer ${await token()}` } });
    const events = ((await keys.json()) as { items: { action: string; detail: Record<string, unknown> }[] })
      .items;
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(["api_key.create", "file.upload_url", "file.complete", "file.download_url"]),
    );
  });

  it("the Python script uploads, completes and downloads with an API key", async () => {
    const created = await h.app.request("/api/api-keys", {
      method: "POST",
      headers: { authorization: `Bearer ${await token()}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "python", scope: "upload" }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    await writeFile(join(dir, "upload.py"), await example("python"));
    const bytes = crypto.getRandomValues(new Uint8Array(20_000));
    await writeFile(join(dir, "report 2026.pdf"), bytes);
    const { stdout } = await run("python3", ["upload.py", "report 2026.pdf"], {
      cwd: dir,
      env: { ...process.env, SIGNET: base, SIGNET_API_KEY: key },
    });
    expect(stdout).toBe("ready\ndownloaded report 2026.pdf\n");
    const list = await h.app.request("/api/files", { headers: { authorization: `Bearer ${key}` } });
    const files = ((await list.json()) as { items: { originalFilename: string; contentType: string }[] })
      .items;
    expect(files).toContainEqual(
      expect.objectContaining({ originalFilename: "report 2026.pdf", contentType: "application/pdf" }),
    );
  });

  it("the Node script uploads a large file in parts with @signet/client and ends ready", async () => {
    const bytes = crypto.getRandomValues(new Uint8Array(65_536));
    const video = new Uint8Array(20 * 1024 * 1024).map((_, i) => bytes[i % 65_536]! ^ (i >>> 16));
    await writeFile(join(dir, "video.mp4"), video);
    const stdout = await runTypeScript("node");
    expect(stdout.trim().split("\n").at(-1)).toBe("ready");
    expect(stdout).toContain(`${video.length} / ${video.length}`);
    const list = await h.app.request("/api/files", { headers: { authorization: `Bearer ${await token()}` } });
    const files = (
      (await list.json()) as { items: { originalFilename: string; size: number; status: string }[] }
    ).items;
    expect(files).toContainEqual(
      expect.objectContaining({ originalFilename: "video.mp4", size: video.length, status: "ready" }),
    );
    const events = await h.app.request("/api/audit", {
      headers: { authorization: `Bearer ${await token()}` },
    });
    const actions = ((await events.json()) as { items: { action: string }[] }).items.map((e) => e.action);
    expect(actions).toContain("file.complete");
  }, 60_000);
});

let session: string | undefined;
/** A bearer token for the reader, signed in once (sign-in is rate limited). */
async function token(): Promise<string> {
  if (session) return session;
  const res = await h.app.request("/api/auth/sign-in/email", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  session = res.headers.get("set-auth-token") ?? "";
  expect(session).not.toBe("");
  return session;
}

/** Runs a TypeScript example with Node (through tsx) in the reader's directory; returns its stdout. */
async function runTypeScript(name: "node" | "trpc"): Promise<string> {
  // Beside the API's sources, so its imports resolve as in a project that depends on the packages.
  const script = join(import.meta.dirname, "..", `.readme-${name}-${process.pid}.ts`);
  await writeFile(script, await example(name));
  try {
    const { stdout } = await run(process.execPath, ["--import", import.meta.resolve("tsx"), script], {
      cwd: dir,
      env: { ...process.env, SIGNET_URL: base, SIGNET_TOKEN: await token() },
    });
    return stdout;
  } finally {
    await rm(script, { force: true });
  }
}
