/**
 * The multipart flow against Ceph RGW (a real S3 implementation nobody on the project wrote), run by hand, not
 * by CI: `../shared/rgw/start.sh`, then `pnpm --filter @signet/web exec tsx test/multipart-rgw.ts` (the SPA
 * must be built), then `../shared/rgw/stop.sh`. Creates a fresh bucket, applies the SPA's CORS rule with
 * `signet cors apply`, starts Signet on it and drives the SPA in Chromium: a 256 MiB upload paused and resumed,
 * a reload midway and a resume that sends only the missing parts, a Discard, and a part with wrong bytes. Prints
 * what it observed as JSON; exits 1 when a step did not go as on R2 / local-s3 (a difference is reported, not
 * hidden). README's "Tested against Ceph RGW" says what the last run found.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSigner } from "@signet/signer";
import { launchChromium, repoRoot, signUpInSpa, startApi } from "./harness.ts";
import { pageTools, partOf, sha256OfFile, writeFixture } from "./multipart-support.ts";

const MiB = 1024 * 1024;
const endpoint = process.env.RGW_ENDPOINT ?? "http://127.0.0.1:7480";
const bucket = `signet-rgw-${Date.now()}`;
const s3Env = {
  S3_ENDPOINT: endpoint,
  S3_REGION: "us-east-1",
  S3_ACCESS_KEY_ID: process.env.RGW_ACCESS_KEY ?? "TESTACCESSKEY",
  S3_SECRET_ACCESS_KEY: process.env.RGW_SECRET_KEY ?? "TESTSECRETKEY123",
  S3_BUCKET: bucket,
  // As in the local-s3 browser tests, so a 48 MiB file goes in (three) parts.
  MULTIPART_THRESHOLD_BYTES: String(8 * MiB),
  BETTER_AUTH_SECRET: randomBytes(32).toString("hex"),
};
const observed: Record<string, unknown> = { endpoint, bucket };
const failures: string[] = [];
function check(what: string, ok: boolean, detail?: unknown) {
  observed[what] = detail ?? ok;
  if (!ok) failures.push(what);
  console.error(`${ok ? "✓" : "✗"} ${what}${detail === undefined ? "" : `: ${JSON.stringify(detail)}`}`);
}

/** `signet cors apply --origin <origin>` against the bucket, as an operator would run it. */
function corsApply(origin: string, dataDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli.ts", "cors", "apply", "--origin", origin],
      {
        cwd: join(repoRoot, "apps/api"),
        env: { ...process.env, ...s3Env, DATA_DIR: dataDir },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    const collect = (chunk: Buffer) => {
      out += chunk.toString();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.once("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`cors apply: ${code}\n${out}`)),
    );
  });
}

async function main() {
  const storage = createSigner({
    endpoint,
    bucket,
    region: s3Env.S3_REGION,
    accessKeyId: s3Env.S3_ACCESS_KEY_ID,
    secretAccessKey: s3Env.S3_SECRET_ACCESS_KEY,
  });
  await storage.createBucket();
  const fixtures = await mkdtemp(join(tmpdir(), "signet-rgw-"));
  const api = await startApi({ env: s3Env });
  const browser = await launchChromium();
  try {
    await corsApply(api.url, api.dataDir);
    const page = await browser.newPage();
    const t = pageTools(() => page);
    await signUpInSpa(page, api.url, "Rgw Run", `rgw-${process.pid}@example.com`);

    // 1. 256 MiB: Pause after four parts, nothing sent while paused, Resume sends the rest, byte-identical.
    const bigPath = await writeFixture(fixtures, "rgw-256.bin", 256 * MiB, 11);
    let partResponse: Record<string, string> | null = null;
    page.on("response", (r) => {
      if (!partResponse && r.request().method() === "PUT" && partOf(r.url()) && r.ok())
        partResponse = r.headers();
    });
    const four = t.partsAccepted([1, 2, 3, 4]);
    await page.getByLabel("Choose files").setInputFiles(bigPath);
    await four;
    const big = t.row("rgw-256.bin");
    await big.getByRole("button", { name: "Pause upload of rgw-256.bin" }).click();
    await big.getByText("Paused").waitFor();
    const bigRow = (await t.fileNamed("rgw-256.bin"))!;
    const arrived = await t.partsOnServer(bigRow.id);
    const whilePaused = t.countPartPuts();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    whilePaused.stop();
    check("nothing sent while paused", whilePaused.sent.length === 0, { arrivedAtPause: arrived });
    check(
      "parts listed unchanged while paused",
      (await t.partsOnServer(bigRow.id)).join() === arrived.join(),
    );
    const resumed = t.countPartPuts();
    await big.getByRole("button", { name: "Resume upload of rgw-256.bin" }).click();
    await big.getByText(/Uploaded|Failed/).waitFor({ timeout: 600_000 });
    resumed.stop();
    const missing = Array.from({ length: 16 }, (_, i) => i + 1).filter((n) => !arrived.includes(n));
    check(
      "resume sent only the missing parts",
      resumed.sent.toSorted((a, b) => a - b).join() === missing.join(),
      resumed.sent.length,
    );
    check("256 MiB ready", (await t.fileNamed("rgw-256.bin"))?.status === "ready");
    check("256 MiB byte-identical", (await t.downloadedSha(bigRow.id)) === (await sha256OfFile(bigPath)));
    observed["part PUT response headers"] = partResponse;
    const head = await storage.headObject(`${(await storage.listObjects("")).objects[0]?.key ?? ""}`);
    observed["assembled object HEAD"] = head;

    // 2. A reload midway; the same file picked again: only the missing parts go.
    const reloadPath = await writeFixture(fixtures, "rgw-reload-80.bin", 80 * MiB, 12);
    await t.holdPartsFrom(3);
    const two = t.partsAccepted([1, 2]);
    await page.getByLabel("Choose files").setInputFiles(reloadPath);
    await two;
    await t.journalHas(2);
    // Reloaded before the route goes: unrouting would let the held PUTs through, to arrive at any time.
    await page.reload();
    await page.unrouteAll({ behavior: "ignoreErrors" });
    await t.interruptedEntries().filter({ hasText: "rgw-reload-80.bin" }).waitFor();
    const reloadRow = (await t.fileNamed("rgw-reload-80.bin"))!;
    const before = await t.partsOnServer(reloadRow.id);
    const after = t.countPartPuts();
    await page.getByLabel("Resume upload of rgw-reload-80.bin: pick the same file").setInputFiles(reloadPath);
    await t
      .row("rgw-reload-80.bin")
      .getByText(/Uploaded|Failed/)
      .waitFor({ timeout: 300_000 });
    after.stop();
    check(
      "after a reload only the missing parts were sent",
      after.sent.toSorted((a, b) => a - b).join() ===
        [1, 2, 3, 4, 5].filter((n) => !before.includes(n)).join(),
      { listedAfterReload: before, sent: after.sent },
    );
    check(
      "reloaded file byte-identical",
      (await t.downloadedSha(reloadRow.id)) === (await sha256OfFile(reloadPath)),
    );

    // 3. Discard after a reload: the multipart upload is aborted in the bucket.
    const discardPath = await writeFixture(fixtures, "rgw-discard-48.bin", 48 * MiB, 13);
    await t.holdPartsFrom(2);
    const one = t.partsAccepted([1]);
    await page.getByLabel("Choose files").setInputFiles(discardPath);
    await one;
    await t.journalHas(1);
    // Reloaded before the route goes: unrouting would let the held PUTs through, to arrive at any time.
    await page.reload();
    await page.unrouteAll({ behavior: "ignoreErrors" });
    const entry = t.interruptedEntries().filter({ hasText: "rgw-discard-48.bin" });
    await entry.waitFor();
    const openBefore = (await storage.listMultipartUploads("")).uploads.length;
    await entry.getByRole("button", { name: "Discard upload of rgw-discard-48.bin" }).click();
    let openAfter = openBefore;
    for (let i = 0; i < 50 && openAfter > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      openAfter = (await storage.listMultipartUploads("")).uploads.length;
    }
    check("Discard aborted the multipart upload (ListMultipartUploads empty)", openAfter === 0, {
      before: openBefore,
      after: openAfter,
    });
    check("discarded row gone", (await t.fileNamed("rgw-discard-48.bin")) === undefined);

    // 4. A part with wrong bytes (same length, so only the signed checksum can tell).
    const corruptPath = await writeFixture(fixtures, "rgw-corrupt-48.bin", 48 * MiB, 14);
    let corruptedStatus: number | null = null;
    await page.route("**/*", async (route) => {
      const request = route.request();
      if (request.method() !== "PUT" || partOf(request.url()) !== "2" || corruptedStatus !== null)
        return route.fallback();
      corruptedStatus = 0;
      const response = await route.fetch({ postData: Buffer.alloc(16 * MiB) });
      corruptedStatus = response.status();
      return route.fulfill({ response });
    });
    await page.getByLabel("Choose files").setInputFiles(corruptPath);
    const corruptRow = t.row("rgw-corrupt-48.bin");
    await corruptRow.getByText(/Uploaded|Failed|Rejected/).waitFor({ timeout: 300_000 });
    await page.unrouteAll({ behavior: "ignoreErrors" });
    const corruptFile = await t.fileNamed("rgw-corrupt-48.bin");
    const identical =
      corruptFile?.status === "ready" &&
      (await t.downloadedSha(corruptFile.id)) === (await sha256OfFile(corruptPath));
    observed["wrong-bytes part"] = {
      storageAnswered: corruptedStatus,
      row: await corruptRow.textContent(),
      fileStatus: corruptFile?.status ?? null,
      storedBytesMatchFile: identical,
    };
    console.error(`! wrong-bytes part: ${JSON.stringify(observed["wrong-bytes part"])}`);
    observed["multipart uploads left open"] = (await storage.listMultipartUploads("")).uploads.length;
  } finally {
    await browser.close();
    const log = api.output();
    observed["server warnings"] = log
      .split("\n")
      .filter((line) => /"level":"(warn|error)"|warn|error/i.test(line));
    await api.stop();
    await rm(fixtures, { recursive: true, force: true });
  }
  console.log(JSON.stringify(observed, null, 2));
  if (failures.length > 0) {
    console.error(`different from R2 / local-s3: ${failures.join("; ")}`);
    process.exitCode = 1;
  }
}

await main();
