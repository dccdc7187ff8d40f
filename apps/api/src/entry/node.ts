// Node entry: `tsx src/entry/node.ts`. Everything but binding ports lives in startSignet.
import { ConfigError } from "../env.ts";
import { redact } from "../http/redact.ts";
import { startSignet } from "../start.ts";
import { serveNode } from "./node-serve.ts";

try {
  const signet = await startSignet({ serve: serveNode });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await signet.close();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (error) {
  console.error(
    error instanceof ConfigError
      ? `signet: ${error.message}`
      : redact(String((error as Error)?.stack ?? error)),
  );
  process.exit(1);
}
