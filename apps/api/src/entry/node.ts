// Node entry: bundled by apps/api/build.ts into dist/node.mjs, which `pnpm start` runs with plain node.
import { serveNode } from "./node-serve.ts";
import { run } from "./run.ts";

await run(serveNode);
