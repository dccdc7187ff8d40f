// The local Worker's front door (Node-only, used by worker-local.ts). workerd's HTTP server is a poor keep-alive
// peer for scripts: it closes an idle connection after 5 s without announcing a Keep-Alive timeout (undici keeps
// its own for about 4 s, so a client that is a little late writes into a closing socket), and it closes the
// connection after answering a request whose body the Worker left unread, without `Connection: close`. Either way
// the client's next request on that connection dies with ECONNRESET, and a POST is never resent. This proxy keeps
// client connections the way the Node entry does (65 s, announced) and gives every request its own connection to
// workerd, so no connection to workerd is ever reused and nothing it closes can catch a client.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { keepIdleConnectionsLonger } from "@signet/local-s3/node";

/** Headers about one connection, which a proxy must not pass along (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
]);

/** `[name, value, …]` raw headers without the hop-by-hop ones (and any the Connection header names). */
function endToEnd(raw: string[]): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === "connection") {
      for (const token of raw[i + 1]!.split(",")) named.add(token.trim().toLowerCase());
    }
  }
  const kept: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !named.has(name)) kept.push(raw[i]!, raw[i + 1]!);
  }
  return kept;
}

export interface WorkerProxy {
  url: string;
  close(): Promise<void>;
}

/** Serves `upstream` (workerd's socket, e.g. http://127.0.0.1:41234) on `host:port` (0 = any free port). */
export function proxyToWorker(upstream: string, host: string, port: number): Promise<WorkerProxy> {
  const target = new URL(upstream);
  const server: Server = createServer((incoming: IncomingMessage, outgoing) => {
    const forwarded = httpRequest({
      host: target.hostname,
      port: target.port,
      method: incoming.method,
      path: incoming.url,
      // The client's Host, so the Worker sees the origin the client used.
      headers: [...endToEnd(incoming.rawHeaders), "Connection", "close"],
      // A fresh connection per request: never one workerd may be closing.
      agent: false,
    });
    let answered = false;
    forwarded.once("response", (answer) => {
      answered = true;
      outgoing.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.rawHeaders));
      answer.pipe(outgoing);
      answer.once("error", () => outgoing.destroy());
    });
    forwarded.on("error", () => {
      // After an answer, this is workerd closing on a body the Worker did not read: the answer stands, and the
      // rest of the body is read and dropped here so the client's connection stays usable.
      incoming.unpipe(forwarded);
      incoming.resume();
      if (!answered && !outgoing.headersSent && !outgoing.destroyed)
        outgoing.writeHead(502).end("the Worker could not be reached");
    });
    // A client that walks away takes its request to workerd with it.
    outgoing.once("close", () => {
      if (!outgoing.writableFinished) forwarded.destroy();
    });
    incoming.pipe(forwarded);
  });
  keepIdleConnectionsLonger(server);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
