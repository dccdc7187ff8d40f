/** `signet cors show|apply`: the bucket's CORS rules, and the one rule the SPA needs. */
import type { CorsRule } from "@signet/signer";
import { Command } from "commander";
import { corsRulesAsR2Json, mergeSpaCorsRule, spaCorsRule } from "../storage/cors-rule.ts";
import { type CliIo, EXIT, loadConfig, table } from "./io.ts";
import { connectStorage, spaOrigin } from "./storage.ts";

function describeRules(io: CliIo, rules: CorsRule[]): void {
  if (rules.length === 0) {
    io.out("The bucket has no CORS rules: browsers cannot upload to it.");
    return;
  }
  rules.forEach((rule, i) => {
    io.out(`Rule ${i + 1}`);
    const rows = [
      ["  origins", rule.allowedOrigins.join(", ")],
      ["  methods", rule.allowedMethods.join(", ")],
      ["  headers", rule.allowedHeaders?.join(", ") ?? "(none)"],
      ["  expose", rule.exposeHeaders?.join(", ") ?? "(none)"],
      ["  max age", rule.maxAgeSeconds === undefined ? "(unset)" : `${rule.maxAgeSeconds} s`],
    ];
    for (const line of table(rows)) io.out(line);
  });
}

export function corsCommand(io: CliIo): Command {
  const cors = new Command("cors").description("show or apply the bucket's CORS rules");

  cors
    .command("show")
    .description("print the bucket's CORS rules")
    .option("--json", "print the rules as the JSON R2's dashboard accepts")
    .action(async (flags: { json?: boolean }) => {
      const { signer } = await connectStorage(loadConfig(io));
      const rules = await signer.getBucketCors();
      if (flags.json) io.out(corsRulesAsR2Json(rules));
      else describeRules(io, rules);
      io.exitCode = EXIT.ok;
    });

  cors
    .command("apply")
    .description("write the rule the SPA needs, keeping the rules for other origins")
    .option("--origin <origin>", "the SPA's origin (default: PUBLIC_URL)")
    .option("--dry-run", "print the rules that would be written, write nothing")
    .option("--json", "print { origin, rules, r2Json } as JSON")
    .addHelpText(
      "after",
      `
The rule allows PUT, GET and HEAD from the origin with the headers Signet signs (content-type, if-none-match,
x-amz-checksum-sha256, x-amz-meta-*), exposes ETag and lets browsers cache the preflight for an hour. Rules for
other origins are kept; a rule that listed this origin among others keeps the others. The rule is printed as the
JSON R2's dashboard accepts (Settings → CORS Policy), for buckets the keys may not configure.`,
    )
    .action(async (flags: { origin?: string; dryRun?: boolean; json?: boolean }) => {
      const config = loadConfig(io);
      const origin = spaOrigin(config, flags.origin);
      const { signer } = await connectStorage(config);
      const rules = mergeSpaCorsRule(await signer.getBucketCors(), origin);
      if (!flags.dryRun) await signer.putBucketCors(rules);
      const r2Json = corsRulesAsR2Json([spaCorsRule(origin)]);
      if (flags.json) {
        io.out(
          JSON.stringify({ origin, applied: !flags.dryRun, rules, r2Json: JSON.parse(r2Json) }, null, 2),
        );
      } else {
        io.out(
          flags.dryRun
            ? `Would write ${rules.length} rule(s); nothing was written.`
            : `Applied: the bucket now has ${rules.length} rule(s).`,
        );
        describeRules(io, rules);
        io.out("");
        io.out("The SPA's rule as R2's dashboard takes it (Settings → CORS Policy):");
        io.out(r2Json);
      }
      io.exitCode = EXIT.ok;
    });

  return cors;
}
