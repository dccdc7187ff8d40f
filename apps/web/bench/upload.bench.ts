/**
 * End-to-end upload bench in Chromium: the SPA uploading a file (in parts past the threshold: hashing, signing,
 * PUTs, completion, verification) next to the floor, a bare presigned PUT of the same bytes sent by `fetch`
 * from the same page to the same embedded S3 endpoint, in the same run. Also samples the page's JS heap (CDP
 * Runtime.getHeapUsage) during the SPA's uploads.
 *
 * Also prints where the SPA's time went (from the page's own requests: until the first part's PUT, the parts,
 * completion and verification) and, with `--profile`, the page's main-thread CPU profile (Chrome's profiler over
 * CDP; written to test-artifacts/, summarised as busy share and top functions by self time), and the API
 * process's (`--cpu-prof`, with its embedded local-s3) in test-artifacts/upload-bench-server/, summarised the same
 * way once it has stopped.
 *
 * Run: `pnpm --filter @signet/web bench -- --sizes-mib 200,1024 [--profile]` (the SPA must be built).
 */
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createSigner } from "@signet/signer";
import type { CDPSession, Page } from "playwright-core";
import { launchChromium, signUpInSpa, startApi, webDir } from "../test/harness.ts";

const MiB = 1024 * 1024;
const sizeArg = process.argv.indexOf("--sizes-mib");
const sizes = (sizeArg > 0 ? process.argv[sizeArg + 1]! : "200,1024").split(",").map((s) => Number(s) * MiB);
const profile = process.argv.includes("--profile");
/** With `--profile`, the API process (and its embedded local-s3) writes a V8 CPU profile here on exit. */
const serverProfileDir = join(webDir, "test-artifacts", "upload-bench-server");

/** Milestones of one SPA upload, read from the page's requests (ms since the file was picked). */
function watchPhases(page: Page, started: number) {
  const at = { firstPart: 0, lastPart: 0, completeStart: 0, completeEnd: 0, signCalls: 0 };
  const since = () => performance.now() - started;
  const isPart = (url: string) => new URL(url).searchParams.has("partNumber");
  const isComplete = (url: string) => new URL(url).pathname.endsWith("files.completeUpload");
  const onRequest = (r: { url(): string; method(): string }) => {
    if (r.method() === "PUT" && isPart(r.url()) && at.firstPart === 0) at.firstPart = since();
    if (isComplete(r.url())) at.completeStart = since();
    if (new URL(r.url()).pathname.endsWith("files.signParts")) at.signCalls++;
  };
  const onFinished = (r: { url(): string; method(): string }) => {
    if (r.method() === "PUT" && isPart(r.url())) at.lastPart = since();
    if (isComplete(r.url())) at.completeEnd = since();
  };
  page.on("request", onRequest);
  page.on("requestfinished", onFinished);
  return {
    at,
    stop() {
      page.off("request", onRequest);
      page.off("requestfinished", onFinished);
    },
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Busy share of the page's main thread and its top functions by self time, from a CDP CPU profile. */
function summarise(cpu: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }): string {
  const byId = new Map(cpu.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  let idle = 0;
  (cpu.samples ?? []).forEach((id, i) => {
    const dt = cpu.timeDeltas?.[i] ?? 0;
    total += dt;
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)") idle += dt;
    const name = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").at(-1) ?? ""}:${frame.lineNumber}`;
    self.set(name, (self.get(name) ?? 0) + dt);
  });
  const top = [...self.entries()]
    .filter(([name]) => !name.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, us]) => `${name} ${(us / 1000).toFixed(0)} ms`);
  return `thread busy ${(((total - idle) / total) * 100).toFixed(0)} % of ${(total / 1e6).toFixed(1)} s; top self time: ${top.join("; ")}`;
}

async function startProfile(cdp: CDPSession) {
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 1000 });
  await cdp.send("Profiler.start");
}

/** A file of `size` bytes that compresses to nothing useful (each 1 MiB block differs). */
async function fixture(dir: string, size: number): Promise<string> {
  const path = join(dir, `bench-${size}.bin`);
  const handle = await open(path, "w");
  const block = new Uint8Array(MiB);
  crypto.getRandomValues(block.subarray(0, 65536));
  for (let i = 65536; i < MiB; i += 65536) block.copyWithin(i, 0, 65536);
  for (let written = 0, n = 0; written < size; written += MiB, n++) {
    new DataView(block.buffer).setUint32(0, n);
    await handle.write(block, 0, Math.min(MiB, size - written));
  }
  await handle.close();
  return path;
}

async function main() {
  if (profile) await rm(serverProfileDir, { recursive: true, force: true });
  const dir = await mkdtemp(join(tmpdir(), "signet-upload-bench-"));
  const api = await startApi({
    env: { USER_QUOTA_BYTES: String(64 * 1024 * MiB) },
    ...(profile ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${serverProfileDir}`] } : {}),
  });
  const load = [loadavg()[0]!];
  try {
    const endpoint = /local-s3 listening on (\S+)/.exec(api.output())?.[1];
    const secrets = JSON.parse(await readFile(join(api.dataDir, "dev-secrets.json"), "utf8"));
    if (!endpoint) throw new Error("the API did not report its local-s3 endpoint");
    const signer = createSigner({
      endpoint,
      bucket: "signet",
      accessKeyId: secrets.accessKeyId,
      secretAccessKey: secrets.secretAccessKey,
    });
    const browser = await launchChromium();
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await signUpInSpa(page, api.url, "Bench", `bench-${process.pid}@example.com`);
    await page.evaluate(() => {
      const input = document.createElement("input");
      input.type = "file";
      input.id = "bench-file";
      input.style.display = "none";
      document.body.append(input);
    });

    const rows: string[] = [];
    const breakdown: string[] = [];
    const profiles: string[] = [];
    for (const size of sizes) {
      const path = await fixture(dir, size);
      // The floor: one presigned PUT (length and type signed, nothing else) of the same File, from the page.
      await page.setInputFiles("#bench-file", path);
      const put = await signer.presignPut(`bench/${size}.bin`, {
        expiresIn: 3600,
        contentType: "application/octet-stream",
        contentLength: size,
      });
      const { "content-length": _, ...headers } = put.headers;
      const bareMs = await page.evaluate(
        async ([url, sent]) => {
          const file = (document.getElementById("bench-file") as HTMLInputElement).files![0]!;
          const started = performance.now();
          const response = await fetch(url, { method: "PUT", headers: sent, body: file });
          if (!response.ok) throw new Error(`bare PUT: ${response.status}`);
          return performance.now() - started;
        },
        [put.url, headers] as const,
      );
      await signer.deleteObject(`bench/${size}.bin`);
      // What the checksums alone cost in this browser: every part read from the File and hashed (Web Crypto), in
      // order, with no upload. The SPA pays this on top of sending the bytes; on a machine whose cores the
      // upload already keeps busy, the two add up rather than overlap.
      const hashMs = await page.evaluate(async (partSize) => {
        const file = (document.getElementById("bench-file") as HTMLInputElement).files![0]!;
        const started = performance.now();
        for (let at = 0; at < file.size; at += partSize) {
          await crypto.subtle.digest("SHA-256", await file.slice(at, at + partSize).arrayBuffer());
        }
        return performance.now() - started;
      }, 16 * MiB);

      // The SPA, through its own file picker, until its row says Uploaded (verified by the server).
      let peakHeap = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const { usedSize } = await cdp.send("Runtime.getHeapUsage");
          peakHeap = Math.max(peakHeap, usedSize);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();
      if (profile) await startProfile(cdp);
      const started = performance.now();
      const phases = watchPhases(page, started);
      await page.getByLabel("Choose files").setInputFiles(path);
      await page
        .getByRole("list", { name: "Uploads" })
        .getByRole("listitem")
        .last()
        .getByText("Uploaded")
        .waitFor({ timeout: 30 * 60_000 });
      const spaMs = performance.now() - started;
      phases.stop();
      sampling = false;
      await sampler;
      const { at } = phases;
      const secs = (ms: number) => (ms / 1000).toFixed(1);
      breakdown.push(
        `| ${size / MiB} MiB | ${secs(bareMs)} | ${secs(hashMs)} | ${secs(spaMs)} | ${secs(at.firstPart)} | ${secs(at.lastPart - at.firstPart)} | ${secs(at.completeEnd - at.completeStart)} | ${secs(spaMs - at.completeEnd)} | ${at.signCalls} |`,
      );
      if (profile) {
        const { profile: cpu } = await cdp.send("Profiler.stop");
        const artifacts = join(webDir, "test-artifacts");
        await mkdir(artifacts, { recursive: true });
        await writeFile(join(artifacts, `upload-bench-${size / MiB}mib.cpuprofile`), JSON.stringify(cpu));
        profiles.push(`- ${size / MiB} MiB: ${summarise(cpu)}`);
      }
      await page.getByRole("button", { name: "Clear finished" }).click();
      const mibs = (ms: number) => (size / MiB / (ms / 1000)).toFixed(0);
      rows.push(
        `| ${size / MiB} MiB | ${mibs(bareMs)} | ${mibs(spaMs)} | ${Math.round((bareMs / spaMs) * 100)} % | ${(peakHeap / MiB).toFixed(0)} |`,
      );
      console.error(rows.at(-1));
      await rm(path, { force: true });
    }
    await browser.close();
    load.push(loadavg()[0]!);
    console.log(`- Date: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`);
    console.log(
      `- Machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores (shared); 1-minute load ${load[0]!.toFixed(1)} at the start, ${load[1]!.toFixed(1)} at the end`,
    );
    console.log(`- Runtime: Node ${process.version}, Chromium ${browser.version()}`);
    console.log("");
    console.log("| file | bare presigned PUT MiB/s | SPA MiB/s | SPA / bare | SPA page JS heap peak MiB |");
    console.log("|---|---:|---:|---:|---:|");
    for (const row of rows) console.log(row);
    console.log("");
    console.log(
      "| file | bare PUT s | read + hash every part, no upload s | SPA s | until the first part's PUT s | parts s | complete + verify s | after s | signParts calls |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const row of breakdown) console.log(row);
    if (profiles.length > 0) console.log(`\nPage CPU profile (SPA upload):\n${profiles.join("\n")}`);
  } finally {
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  }
  if (profile) {
    for (const name of await readdir(serverProfileDir).catch(() => [] as string[])) {
      const cpu = JSON.parse(await readFile(join(serverProfileDir, name), "utf8"));
      console.log(`- API process ${name}: ${summarise(cpu)}`);
    }
  }
}

await main();
