// Bun entry: `bun src/entry/bun.ts` (pnpm start:bun).
import type { Serve } from "../start.ts";
import { run } from "./run.ts";

interface BunServer {
  port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
  requestIP(request: Request): { address: string } | null;
}
declare const Bun: {
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request, server: BunServer) => Response | Promise<Response>;
    // Uploads never pass through the API, but bodies of large JSON posts must not hit Bun's default cap first.
    maxRequestBodySize?: number;
  }): BunServer;
};

const serveBun: Serve = async (fetch, { port, hostname }) => {
  const server = Bun.serve({
    port,
    hostname,
    fetch: (request, self) => fetch(request, { address: self.requestIP(request)?.address }),
    maxRequestBodySize: 6 * 1024 ** 3,
  });
  return { port: server.port, close: async () => void (await server.stop(true)) };
};

await run(serveBun);
