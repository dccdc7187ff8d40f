import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The same signatures must come out of Node, Bun and Deno: test/vectors.ts prints them for fixed inputs under
// each runtime (real binaries from the workspace's devDependencies) and the outputs are compared.

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const bin = (name: string) => fileURLToPath(new URL(`../../../node_modules/.bin/${name}`, import.meta.url));
const tsx = fileURLToPath(new URL("../node_modules/.bin/tsx", import.meta.url));

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: packageDir, timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${command} failed: ${error.message}\n${stderr}`)) : resolve(stdout.trim()),
    );
  });
}

const AWS_DOC_SIGNATURE = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

describe("signatures across runtimes", () => {
  let nodeOutput: Promise<string> | undefined;
  const fromNode = () => {
    nodeOutput ??= run(tsx, ["test/vectors.ts"]);
    return nodeOutput;
  };

  it("Node signs the fixed vectors, with both crypto backends agreeing with the AWS example", async () => {
    const output = JSON.parse(await fromNode()) as { urls: string[]; backends: Record<string, string> };
    expect(output.urls).toHaveLength(9);
    for (const url of output.urls) expect(url).toMatch(/&X-Amz-Signature=[0-9a-f]{64}$/);
    expect(output.backends.node).toContain(AWS_DOC_SIGNATURE);
    expect(output.backends.web).toBe(output.backends.node);
  }, 60_000);

  it("Bun prints exactly what Node prints", async () => {
    const [node, bun] = await Promise.all([fromNode(), run(bin("bun"), ["test/vectors.ts"])]);
    expect(bun).toBe(node);
  }, 60_000);

  it("Deno prints exactly what Node prints", async () => {
    const [node, deno] = await Promise.all([
      fromNode(),
      run(bin("deno"), ["run", "--quiet", "--no-prompt", "test/vectors.ts"]),
    ]);
    expect(deno).toBe(node);
  }, 60_000);
});
