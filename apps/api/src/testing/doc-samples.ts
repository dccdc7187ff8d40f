/**
 * The code samples of the README and docs/: every fenced block, with the comment directly above it that says how a
 * test checks it. `docs-samples.test.ts` holds every block to one of these; `readme-examples.test.ts` runs the
 * examples.
 *
 * - a ```ts block is type-checked against the real packages, whatever its comment;
 * - `<!-- example: NAME … -->` is run (or compared) by readme-examples.test.ts under NAME;
 * - `<!-- not run: REASON -->` says why a block cannot be run here (a real bucket, a Cloudflare account …).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** The workspace root, where README.md and docs/ live. */
export const ROOT = join(import.meta.dirname, "../../../..");

/** The examples readme-examples.test.ts runs, by the name their `<!-- example: NAME -->` comment gives. */
export const RUN_EXAMPLES = ["node", "trpc", "curl", "python", "cli", "r2-cors"] as const;
export type ExampleName = (typeof RUN_EXAMPLES)[number];

export type SampleCheck =
  | { kind: "example"; name: string }
  | { kind: "not run"; reason: string }
  | { kind: "none" };

export interface Sample {
  /** Path from the workspace root, e.g. `docs/api.md`. */
  file: string;
  /** 1-based line of the opening fence; the code starts on the next line. */
  line: number;
  /** The fence's info string (`ts`, `sh`, `json`, or empty). */
  lang: string;
  code: string;
  check: SampleCheck;
}

/** README.md and every Markdown file under docs/. */
export async function docFiles(): Promise<string[]> {
  const docs = await readdir(join(ROOT, "docs"), { recursive: true });
  return [
    "README.md",
    ...docs
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`)
      .sort(),
  ];
}

function checkOf(line: string | undefined): SampleCheck {
  const m = /^<!--\s*(example|not run):\s*(.*?)\s*-->\s*$/.exec(line ?? "");
  if (!m) return { kind: "none" };
  const [, kind, text = ""] = m;
  return kind === "example"
    ? { kind: "example", name: text.split(/\s/)[0] ?? "" }
    : { kind: "not run", reason: text };
}

/** The fenced blocks of one Markdown text. An unclosed fence is an error, not a silently skipped sample. */
export function samplesOf(file: string, markdown: string): Sample[] {
  const lines = markdown.split("\n");
  const samples: Sample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i] ?? "");
    if (!open) continue;
    const [, fence = "", lang = ""] = open;
    const end = lines.findIndex((l, j) => j > i && l.trimEnd() === fence);
    if (end < 0) throw new Error(`${file}:${i + 1}: the ${fence} fence is never closed`);
    samples.push({
      file,
      line: i + 1,
      lang,
      code: `${lines.slice(i + 1, end).join("\n")}\n`,
      check: checkOf(lines[i - 1]),
    });
    i = end;
  }
  return samples;
}

export async function docSamples(): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const file of await docFiles()) {
    samples.push(...samplesOf(file, await readFile(join(ROOT, file), "utf8")));
  }
  return samples;
}

/** The code of the one sample marked `<!-- example: name … -->`. */
export async function example(name: ExampleName): Promise<string> {
  const found = (await docSamples()).filter((s) => s.check.kind === "example" && s.check.name === name);
  if (found.length !== 1) throw new Error(`expected one example named ${name}, found ${found.length}`);
  return found[0]!.code;
}

/** TypeScript fences. */
export function isTypeScript(sample: Sample): boolean {
  return sample.lang === "ts" || sample.lang === "typescript";
}
