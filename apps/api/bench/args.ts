// The command line of a bench script, read with node:util's parseArgs.
import { type ParseArgsConfig, parseArgs } from "node:util";

/**
 * Parses the script's options (and positionals, where `config` allows them). `pnpm bench -- --x` hands the script
 * a literal "--" first, which would end the options there, so it is dropped.
 */
export function benchArgs<const T extends Omit<ParseArgsConfig, "args">>(config: T) {
  return parseArgs({ ...config, args: process.argv.slice(2).filter((arg) => arg !== "--") });
}
