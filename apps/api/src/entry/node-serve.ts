// The Node seam: serves a fetch handler with @hono/node-server.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve as honoServe } from "@hono/node-server";
import { deferContinue, keepIdleConnectionsLonger, withNodeStreams } from "@signet/local-s3/node";
import type { Serve } from "../start.ts";

/** How long close() lets in-flight requests finish before cutting their connections. */
const DRAIN_MS = 5000;

/** `Serve` for Node: binds with @hono/node-server; port 0 picks a free port. */
export const serveNode: Serve = (fetch, { port, hostname }) =>
  new Promise((resolve, reject) => {
    const server = honoServe(
      {
        // @hono/node-server passes `{ incoming }` (the node:http request) beside the Request. The embedded
        // local-s3 is served through here too: withNodeStreams lets its large bodies skip Web streams.
        fetch: withNodeStreams(
          async (
            request,
            env: { incoming?: { socket?: { remoteAddress?: string } }; outgoing?: { statusMessage: string } },
          ) => {
            const response = await fetch(request, { address: env.incoming?.socket?.remoteAddress });
            // @hono/node-server writes the status without its text; here a reason phrase the app chose reaches
            // the wire (Uppy shows nothing else of a refusal: http/uppy.ts).
            if (response.statusText && env.outgoing) env.outgoing.statusMessage = response.statusText;
            return response;
          },
        ),
        port,
        hostname,
      },
      (info: AddressInfo) => {
        resolve({
          port: info.port,
          close: () =>
            new Promise<void>((done) => {
              const force = setTimeout(() => {
                if ("closeAllConnections" in server) server.closeAllConnections();
              }, DRAIN_MS);
              server.close(() => {
                clearTimeout(force);
                done();
              });
              // Idle keep-alive sockets would otherwise hold close() open; busy ones finish their request first.
              if ("closeIdleConnections" in server) server.closeIdleConnections();
            }),
        });
      },
    );
    // As S3 does: `100 Continue` only once a request is authenticated, other expectations served, not 417.
    keepIdleConnectionsLonger(server as Server);
    deferContinue(server as Server);
    server.once("error", reject);
  });
