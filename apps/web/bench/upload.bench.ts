/**
 * End-to-end upload bench in Chromium: the SPA uploading a file (in parts past the threshold: hashing, signing,
 * PUTs, completion, verification) next to the floor, a bare presigned PUT of the same bytes sent by `fetch`
 * from the same page to the same embedded S3 endpoint, in the same run. Also samples the page's JS heap (CDP
 * Runtime.getHeapUsage) during the SPA's uploads.
 *
 * Run: `pnpm --filter @signet/web bench -- --sizes-mib 200,1024` (the SPA must be built).
 */
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createSigner } from "@signet/signer";
import { launchChromium, startApi } from "../test/harness.ts";

const MiB = 1024 * 1024;
const sizeArg = process.argv.indexOf("--sizes-mib");
const sizes = (sizeArg > 0 ? process.argv[sizeArg + 1]! : "200,1024").split(",").map((s) => Number(s) * MiB);

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
  const dir = await mkdtemp(join(tmpdir(), "signet-upload-bench-"));
  const api = await startApi({ env: { USER_QUOTA_BYTES: String(64 * 1024 * MiB) } });
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
    await page.goto(`${api.url}/sign-up`);
    await page.getByLabel("Name").fill("Bench");
    await page.getByLabel("Email").fill(`bench-${process.pid}@example.com`);
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "Files", level: 1 }).waitFor();
    await page.evaluate(() => {
      const input = document.createElement("input");
      input.type = "file";
      input.id = "bench-file";
      input.style.display = "none";
      document.body.append(input);
    });

    const rows: string[] = [];
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
      const started = performance.now();
      await page.getByLabel("Choose files").setInputFiles(path);
      await page
        .getByRole("list", { name: "Uploads" })
        .getByRole("listitem")
        .last()
        .getByText("Uploaded")
        .waitFor({ timeout: 30 * 60_000 });
      const spaMs = performance.now() - started;
      sampling = false;
      await sampler;
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
  } finally {
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
