/** `signet doctor`: probes the configured bucket and says why uploads would fail, with the fix. */
import { Command } from "commander";
import { type CheckStatus, doctorPassed, runDoctor } from "../storage/doctor.ts";
import { type CliIo, EXIT, loadConfig, progressLine, table } from "./io.ts";
import { connectStorage, spaOrigin } from "./storage.ts";

const MARK: Record<CheckStatus, string> = { ok: "✓", warn: "!", fail: "✗", skip: "-" };

export function doctorCommand(io: CliIo): Command {
  return new Command("doctor")
    .description("probe the configured bucket for real and report what would break uploads")
    .option("--origin <origin>", "the SPA's origin the CORS probes send (default: PUBLIC_URL)")
    .option("--quick", "skip the multipart probes (they upload about 10 MiB)")
    .option("--json", "print { ok, endpoint, bucket, origin, checks: [...] } as JSON")
    .addHelpText(
      "after",
      `
Each probe writes its own key under signet-doctor/<run>/ and removes it afterwards. Marks: ✓ fine, ! works but
weaker than R2 (no failure), ✗ users are hurt (exit 1), - not run. Checks: credentials, clock skew, the SPA's
presigned PUT, the CORS preflight (exact headers) and ETag exposure (Uppy's multipart uploads need it), a wrong
size refused, If-None-Match: * enforced, a wrong x-amz-checksum-sha256 refused, response-content-disposition
honoured, R2's multipart part rule.`,
    )
    .action(async (flags: { origin?: string; quick?: boolean; json?: boolean }) => {
      const config = loadConfig(io);
      const origin = spaOrigin(config, flags.origin);
      const { signer, endpoint } = await connectStorage(config);
      const progress = progressLine(io, flags.json === true);
      const checks = await runDoctor({
        storage: signer,
        origin,
        quick: flags.quick === true,
        clock: io.clock,
        onProbe: (title) => progress.update(`doctor: ${title}…`),
      });
      progress.done();
      const ok = doctorPassed(checks);
      if (flags.json) {
        io.out(JSON.stringify({ ok, endpoint, bucket: config.s3.bucket, origin, checks }, null, 2));
      } else {
        io.out(`Storage ${endpoint}, bucket ${config.s3.bucket}, browser origin ${origin}`);
        io.out("");
        for (const line of table(checks.map((c) => [MARK[c.status], c.title, c.detail]))) io.out(line);
        const problems = checks.filter((c) => c.status === "warn" || c.status === "fail");
        for (const check of problems) {
          io.out("");
          io.out(`${MARK[check.status]} ${check.title}`);
          if (check.impact) io.out(`  what breaks: ${check.impact}`);
          if (check.fix)
            for (const [i, line] of check.fix.split("\n").entries())
              io.out(`${i === 0 ? "  fix: " : "  "}${line}`);
        }
        io.out("");
        io.out(ok ? "Uploads will work." : "Uploads will not work as Signet expects: see the ✗ rows.");
      }
      io.exitCode = ok ? EXIT.ok : EXIT.problems;
    });
}
