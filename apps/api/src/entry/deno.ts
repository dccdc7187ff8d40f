// Deno entry: `deno run -A src/entry/deno.ts` (pnpm start:deno).
import type { Serve } from "../start.ts";
import { run } from "./run.ts";

interface DenoServer {
  addr: { port: number };
  shutdown(): Promise<void>;
}
declare const Deno: {
  serve(
    options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void },
    handler: (request: Request, info: { remoteAddr: { hostname?: string } }) => Response | Promise<Response>,
  ): DenoServer;
};

const serveDeno: Serve = async (fetch, { port, hostname }) => {
  // onListen is replaced so Deno prints nothing of its own: the entry prints the one "listening" line.
  const server = Deno.serve({ port, hostname, onListen: () => {} }, (request, info) =>
    fetch(request, { address: info.remoteAddr.hostname }),
  );
  return { port: server.addr.port, close: () => server.shutdown() };
};

await run(serveDeno);
