/**
 * A reference scanner for Signet's quarantine (docs/webhooks.md, "Quarantine verdict"): register it as a
 * blocking endpoint and each verified upload waits until it answers.
 *
 * For each request it verifies the Standard Webhooks signature, downloads the object through the short-lived GET
 * in `data.download`, scans it with ClamAV's `clamscan` and answers `{ "verdict": "allow" | "deny" }`. When it
 * cannot decide (the download failed, clamscan broke) it answers 503, and Signet asks again later.
 *
 *   SIGNET_WEBHOOK_SECRET  the endpoint's whsec_… secret (required)
 *   PORT                   where to listen (default 8787; 0 picks a free port); the address is printed
 *   CLAMSCAN               the scanner command (default clamscan; clamdscan works too)
 *   CLAMAV_DATABASE        a signature directory (default: ClamAV's own)
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";

const secret = process.env.SIGNET_WEBHOOK_SECRET;
if (!secret) throw new Error("SIGNET_WEBHOOK_SECRET: set it to the endpoint's whsec_… secret");
const webhook = new Webhook(secret);
const clamscan = process.env.CLAMSCAN ?? "clamscan";
const database = process.env.CLAMAV_DATABASE;

/** Runs clamscan on one file: exit 0 is clean, 1 is infected (stdout names the signature), anything else broke. */
function scan(path) {
  const args = ["--no-summary", ...(database ? [`--database=${database}`] : []), path];
  return new Promise((resolve, reject) => {
    const child = spawn(clamscan, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve({ verdict: "allow" });
      else if (code === 1) resolve({ verdict: "deny", reason: out.match(/: (.+) FOUND/)?.[1] ?? "infected" });
      else reject(new Error(`${clamscan} exited with ${code}`));
    });
  });
}

/** Downloads the object into a private temp dir, scans it, and removes it whatever happens. */
async function judge(download) {
  const response = await fetch(download.url);
  if (!response.ok) throw new Error(`download answered ${response.status}`);
  const dir = await mkdtemp(join(tmpdir(), "signet-scan-"));
  try {
    const path = join(dir, "object");
    await writeFile(path, Buffer.from(await response.arrayBuffer()));
    return await scan(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const server = createServer(async (req, res) => {
  const answer = (status, body) => {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  };
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  let event;
  try {
    event = webhook.verify(Buffer.concat(chunks).toString(), req.headers);
  } catch {
    return answer(401, { error: "bad signature" });
  }
  // Other events (the endpoint may subscribe to more) need no verdict.
  if (event.type !== "file.quarantined" || !event.data.download) return answer(200, {});
  try {
    const verdict = await judge(event.data.download);
    console.log(`${event.data.fileId}: ${verdict.verdict}${verdict.reason ? ` (${verdict.reason})` : ""}`);
    answer(200, verdict);
  } catch (error) {
    // Never the download URL in the log: it is a credential while it lives.
    console.error(`${event.data.fileId}: no verdict: ${error.message}`);
    answer(503, { error: "could not scan; ask again later" });
  }
});

server.listen(Number(process.env.PORT ?? 8787), "127.0.0.1", () => {
  console.log(`clamav-scanner listening on http://127.0.0.1:${server.address().port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
