// The Node seam: serves a fetch handler with @hono/node-server.
import type { AddressInfo } from "node:net";
import { serve as honoServe } from "@hono/node-server";
import type { Serve } from "../start.ts";

export const serveNode: Serve = (fetch, { port, hostname }) =>
  new Promise((resolve, reject) => {
    const server = honoServe({ fetch, port, hostname }, (info: AddressInfo) => {
      resolve({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Idle keep-alive sockets would otherwise hold close() open.
            if ("closeAllConnections" in server) server.closeAllConnections();
          }),
      });
    });
    server.once("error", reject);
  });
