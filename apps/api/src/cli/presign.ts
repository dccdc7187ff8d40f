/** `signet presign <key>`: one presigned URL with Signet's signing rules, like `aws s3 presign`. */
import { type PresignedRequest, SignerInputError } from "@signet/signer";
import { Command, Option } from "commander";
import { type CliIo, EXIT, integerOption, loadConfig, UsageError } from "./io.ts";
import { connectStorage } from "./storage.ts";

interface PresignFlags {
  method: "GET" | "PUT" | "HEAD" | "DELETE";
  expiresIn: string;
  contentType?: string;
  contentLength?: string;
  checksumSha256?: string;
  allowOverwrite?: boolean;
  json?: boolean;
}

const MAX_EXPIRES = 604800;
/** The signer's field names as the command line spells them. */
const OPTION_NAMES: Record<string, string> = {
  key: "<key>",
  contentType: "--content-type",
  contentLength: "--content-length",
  checksumSha256: "--checksum-sha256",
  expiresIn: "--expires-in",
};

/** Runs a presign call, turning the signer's refusal of an argument into a UsageError naming the option. */
async function asUsage<T>(sign: () => Promise<T>): Promise<T> {
  try {
    return await sign();
  } catch (error) {
    if (error instanceof SignerInputError) {
      throw new UsageError(`${OPTION_NAMES[error.field] ?? error.field}: ${error.rule}`);
    }
    throw error;
  }
}

export function presignCommand(io: CliIo): Command {
  return new Command("presign")
    .description("print a presigned URL for one object (and, for PUT, the exact headers to send)")
    .argument("<key>", "object key, e.g. u/<userId>/<file>.pdf (encoded once by Signet's rules)")
    .addOption(
      new Option("--method <method>", "HTTP method").choices(["GET", "PUT", "HEAD", "DELETE"]).default("GET"),
    )
    .option("--expires-in <seconds>", "lifetime, 1 s to 7 days (604800)", "3600")
    .option("--content-type <type>", "PUT: the Content-Type the upload must send", "application/octet-stream")
    .option("--content-length <bytes>", "PUT (required): the exact size the upload must have")
    .option(
      "--checksum-sha256 <base64>",
      "PUT: SHA-256 of the body (base64); the storage refuses other bytes",
    )
    .option(
      "--allow-overwrite",
      "PUT: do not sign If-None-Match: * (by default the URL only creates new keys)",
    )
    .option("--json", "print { url, method, headers, expiresIn, expiresAt } as JSON")
    .addHelpText(
      "after",
      `
The URL works until it expires and only for this method and key; for PUT, send every printed header unchanged
(Content-Length is the body's size; curl and fetch set it themselves). Example:
  signet presign u/report.pdf --method PUT --content-type application/pdf --content-length 1234`,
    )
    .action(async (key: string, flags: PresignFlags) => {
      const expiresIn = integerOption("--expires-in", flags.expiresIn, 1, MAX_EXPIRES);
      const config = loadConfig(io);
      if (flags.method === "PUT" && flags.contentLength === undefined) {
        throw new UsageError("--content-length: required with --method PUT (the exact size is signed)");
      }
      if (flags.method !== "PUT") {
        for (const [name, given] of [
          ["--content-length", flags.contentLength],
          ["--checksum-sha256", flags.checksumSha256],
          ["--allow-overwrite", flags.allowOverwrite],
        ] as const) {
          if (given !== undefined) throw new UsageError(`${name}: only applies to --method PUT`);
        }
      }
      const { signer } = await connectStorage(config);
      const signed = await asUsage<PresignedRequest>(() =>
        flags.method === "PUT"
          ? signer.presignPut(key, {
              expiresIn,
              contentType: flags.contentType ?? "application/octet-stream",
              contentLength: integerOption(
                "--content-length",
                flags.contentLength ?? "",
                0,
                config.limits.maxFileBytes,
              ),
              checksumSha256: flags.checksumSha256,
              ...(flags.allowOverwrite ? {} : { ifNoneMatch: "*" as const }),
            })
          : flags.method === "GET"
            ? signer.presignGet(key, { expiresIn })
            : flags.method === "HEAD"
              ? signer.presignHead(key, { expiresIn })
              : signer.presignDelete(key, { expiresIn }),
      );
      const result = {
        url: signed.url,
        method: signed.method,
        headers: signed.headers,
        expiresIn,
        expiresAt: signed.expiresAt.toISOString(),
      };
      if (flags.json) {
        io.out(JSON.stringify(result, null, 2));
      } else {
        io.out(result.url);
        const names = Object.keys(result.headers);
        if (names.length > 0) {
          io.out("");
          io.out(`Send with ${result.method} and exactly these headers:`);
          for (const name of names) io.out(`  ${name}: ${result.headers[name]}`);
        }
        io.out("");
        io.out(`Expires at ${result.expiresAt} (in ${expiresIn} s).`);
      }
      io.exitCode = EXIT.ok;
    });
}
