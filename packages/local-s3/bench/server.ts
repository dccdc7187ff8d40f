// Child process for the benchmark: serves local-s3 or s3rver over a directory and prints its URL, so each
// server's memory is measured on its own and the client never shares its event loop.
import { createLocalS3 } from "../src/index.ts";
import { BENCH_CREDS } from "./shared.ts";

const [kind, dir] = process.argv.slice(2);
if (!dir || (kind !== "local-s3" && kind !== "s3rver"))
  throw new Error("usage: server.ts local-s3|s3rver <dir>");

if (kind === "local-s3") {
  const server = await createLocalS3({ dir, credentials: [BENCH_CREDS] }).listen({ port: 0 });
  console.log(server.url);
} else {
  const { default: S3rver } = await import("s3rver");
  const s3rver = new S3rver({
    port: 0,
    address: "127.0.0.1",
    directory: dir,
    silent: true,
    allowMismatchedSignatures: true,
    configureBuckets: [{ name: "bench" }],
  });
  const address = (await s3rver.run()) as { port: number };
  console.log(`http://127.0.0.1:${address.port}`);
}
