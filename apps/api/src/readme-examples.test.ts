/**
 * The README's REST examples, run verbatim as a user would: `bash` running the curl session and `python3` running
 * the Python script, against a real Signet served on port 0 (real local-s3, real database).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveNode } from "./entry/node-serve.ts";
import { createHarness, type Harness } from "./testing/harness.ts";

const run = promisify(execFile);
const README = join(import.meta.dirname, "../../../README.md");

/** The fenced block that follows `<!-- example: name … -->` in the README. */
async function example(name: string): Promise<string> {
  const readme = await readFile(README, "utf8");
  const m = new RegExp(`<!-- example: ${name}\\b[^>]*-->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\`\\n`).exec(readme);
  if (!m?.[1]) throw new Error(`README has no example named ${name}`);
  return m[1];
}

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

describe("README examples", () => {
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
    // Beside the API's sources, so its imports resolve as in a project that depends on the packages.
    const script = join(import.meta.dirname, "..", `.readme-upload-${process.pid}.ts`);
    await writeFile(script, await example("node"));
    const bytes = crypto.getRandomValues(new Uint8Array(65_536));
    const video = new Uint8Array(20 * 1024 * 1024).map((_, i) => bytes[i % 65_536]! ^ (i >>> 16));
    await writeFile(join(dir, "video.mp4"), video);
    try {
      const { stdout } = await run(process.execPath, ["--import", import.meta.resolve("tsx"), script], {
        cwd: dir,
        env: { ...process.env, SIGNET_URL: base, SIGNET_TOKEN: await token() },
      });
      expect(stdout.trim().split("\n").at(-1)).toBe("ready");
      expect(stdout).toContain(`${video.length} / ${video.length}`);
    } finally {
      await rm(script, { force: true });
    }
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

async function token(): Promise<string> {
  const res = await h.app.request("/api/auth/sign-in/email", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  return res.headers.get("set-auth-token") ?? "";
}
