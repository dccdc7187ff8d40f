// Node entry: `tsx src/entry/node.ts` (pnpm start).
import { serveNode } from "./node-serve.ts";
import { run } from "./run.ts";

await run(serveNode);
