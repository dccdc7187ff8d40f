// The Node seam: serves a fetch handler over node:http. Bun and Deno entries can serve `fetch` natively.

import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { attachBodySource } from "./body.ts";

export interface ListenOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1: a dev endpoint should not be reachable from the network unless asked. */
  hostname?: string;
}

export interface RunningServer {
  port: number;
  /** Base URL, e.g. `http://127.0.0.1:9000`. */
  url: string;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Serves `fetch` on Node's HTTP server; resolves once the port is bound. */
export function listenNode(
  fetch: (request: Request) => Promise<Response>,
  options: ListenOptions,
): Promise<RunningServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    const handler = (request: Request, env: unknown) => {
      // Reading the socket stream directly skips the Web-stream wrapper around the request body.
      const incoming = (env as { incoming?: IncomingMessage } | undefined)?.incoming;
      if (incoming && request.method !== "GET" && request.method !== "HEAD")
        attachBodySource(request, incoming);
      return fetch(request);
    };
    const server = serve({ fetch: handler, port: options.port, hostname }, (info: AddressInfo) => {
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      const close = () =>
        new Promise<void>((done, fail) => {
          server.close((error) => (error ? fail(error) : done()));
          // Keep-alive sockets would hold close() open until they time out.
          if ("closeAllConnections" in server) server.closeAllConnections();
        });
      resolve({ port: info.port, url: `http://${host}:${info.port}`, close, [Symbol.asyncDispose]: close });
    });
    server.once("error", reject);
  });
}
