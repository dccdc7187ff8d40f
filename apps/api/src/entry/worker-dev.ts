// `pnpm dev:worker`: the whole product under workerd, locally and offline: the Worker bundle wrangler would deploy,
// a local D1 and the embedded local-s3 (in Node) as the R2 stand-in, all under DATA_DIR (default ./data/worker).
// PORT (default 8787) and LOCAL_S3_PORT (default 9000) as for `pnpm start`; 0 picks free ports.
import { join } from "node:path";
import process from "node:process";
import { ConfigError, readEnv } from "../env.ts";
import { buildWorkerBundle, startLocalWorker } from "./worker-local.ts";

try {
  const config = readEnv({ DATA_DIR: "./data/worker" });
  const bundle = await buildWorkerBundle(join(config.dataDir, "bundle"));
  const worker = await startLocalWorker({
    dataDir: config.dataDir,
    bundle,
    port: config.port,
    s3Port: config.localS3.port,
  });
  console.log(`local-s3 listening on ${worker.s3Endpoint}`);
  console.log(`Cloudflare Workers on workerd; D1 in ${join(config.dataDir, "d1")}`);
  console.log(`signet listening on ${worker.urls[0]}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await worker.close();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (error) {
  console.error(
    error instanceof ConfigError ? `signet: ${error.message}` : String((error as Error)?.stack ?? error),
  );
  process.exit(1);
}
