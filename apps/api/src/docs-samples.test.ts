/**
 * Every code sample in README.md and docs/ is checked: TypeScript blocks compile against the real packages (tsc,
 * the workspace's strict base config), the examples readme-examples.test.ts runs are the ones the docs mark, and any
 * other block says why it is not run. The README stays a five-minute read.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  docFiles,
  docSamples,
  isTypeScript,
  ROOT,
  RUN_EXAMPLES,
  type Sample,
} from "./testing/doc-samples.ts";

const run = promisify(execFile);
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
// Inside apps/web, which depends on every package a sample imports (the API's types, the client, tRPC, Uppy), so the
// samples resolve their imports as in a project that installed them.
const checkDir = join(ROOT, "apps/web", `.doc-samples-${process.pid}`);

let samples: Sample[];
beforeAll(async () => {
  samples = await docSamples();
});
afterAll(async () => {
  await rm(checkDir, { recursive: true, force: true });
});

const where = (s: Sample) => `${s.file}:${s.line}`;

/** GitHub's anchors for a Markdown text's headings: lower case, punctuation dropped, spaces as hyphens. */
function headingSlugs(markdown: string): string[] {
  return [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map(([, title = ""]) =>
    title
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-"),
  );
}

describe("README and docs samples", () => {
  it("the README stays at 200 lines or fewer", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    expect(readme.trimEnd().split("\n").length).toBeLessThanOrEqual(200);
  });

  it("every block is type-checked, run by a test, or says why it is not run", () => {
    const unchecked = samples
      .filter((s) => !isTypeScript(s) && s.check.kind === "none")
      .map((s) => `${where(s)} (${s.lang || "no language"})`);
    expect(unchecked, "add <!-- example: name --> with a test, or <!-- not run: reason -->").toEqual([]);
    const noReason = samples.filter((s) => s.check.kind === "not run" && s.check.reason.length < 10);
    expect(noReason.map(where)).toEqual([]);
  });

  it("the examples the docs mark are exactly the ones readme-examples.test.ts runs, each once", () => {
    const names = samples.flatMap((s) => (s.check.kind === "example" ? [s.check.name] : []));
    expect([...names].sort()).toEqual([...RUN_EXAMPLES].sort());
  });

  it("links between the README and docs/ reach files and headings that exist", async () => {
    const broken: string[] = [];
    for (const file of [...(await docFiles()), "ARCHITECTURE.md"]) {
      const text = await readFile(join(ROOT, file), "utf8");
      for (const [, target = ""] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [path = "", anchor] = target.split("#");
        const linked = path ? join(dirname(join(ROOT, file)), path) : join(ROOT, file);
        const content = await readFile(linked, "utf8").catch(() => null);
        if (content === null) broken.push(`${file}: ${target} (no such file)`);
        else if (anchor && !headingSlugs(content).includes(anchor))
          broken.push(`${file}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("docs/configuration.md names exactly the variables env.ts reads", async () => {
    const env = await readFile(join(ROOT, "apps/api/src/env.ts"), "utf8");
    const read = new Set([...env.matchAll(/"([A-Z][A-Z0-9_]{2,})"/g)].map(([, name]) => name));
    const doc = await readFile(join(ROOT, "docs/configuration.md"), "utf8");
    const documented = new Set([...doc.matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)].map(([, name]) => name));
    expect([...read].filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => !read.has(name))).toEqual([]);
  });

  it("JSON blocks parse", () => {
    for (const s of samples.filter((s) => s.lang === "json")) {
      expect(() => JSON.parse(s.code), where(s)).not.toThrow();
    }
  });

  it("every TypeScript sample compiles against the real packages", async () => {
    const typescript = samples.filter(isTypeScript);
    expect(typescript.length).toBeGreaterThanOrEqual(3);
    await mkdir(checkDir, { recursive: true });
    const origin = new Map<string, Sample>();
    for (const s of typescript) {
      const name = `${s.file.replace(/[^\w]+/g, "_")}_L${s.line}.ts`;
      origin.set(name, s);
      await writeFile(join(checkDir, name), s.code);
    }
    // A sample known to be wrong proves the check reports errors and maps them back to the Markdown line.
    await writeFile(join(checkDir, "canary.ts"), 'export const size: number = "large";\n');
    await writeFile(
      join(checkDir, "tsconfig.json"),
      JSON.stringify({ extends: "../../../tsconfig.base.json", include: ["*.ts"] }),
    );
    const result = await run(process.execPath, [tsc, "-p", checkDir, "--pretty", "false"], {
      cwd: checkDir,
    }).catch((error: { stdout: string; stderr: string }) => error);
    const errors = `${result.stdout}${result.stderr}`
      .split("\n")
      .filter((l) => /error TS\d+/.test(l))
      .map((l) => {
        const m = /^(.+?)\((\d+),(\d+)\): (.*)$/.exec(l);
        const s = m && origin.get(relative(checkDir, join(checkDir, m[1]!)));
        return s && m ? `${s.file}:${s.line + Number(m[2])}: ${m[4]}` : l;
      });
    expect(errors.filter((e) => e.startsWith("canary.ts"))).toEqual([
      expect.stringContaining("error TS2322: Type 'string' is not assignable to type 'number'"),
    ]);
    expect(errors.filter((e) => !e.startsWith("canary.ts"))).toEqual([]);
  }, 120_000);
});
