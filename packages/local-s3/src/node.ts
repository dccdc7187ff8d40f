// The Node seam: serves a fetch handler over node:http. Bun and Deno entries can serve `fetch` natively.

import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { attachBodySource } from "./body.ts";
import { type FileRange, READ_CHUNK, takeFileRange } from "./file-io.ts";

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

/**
 * Read buffers handed back once the socket has taken their bytes. Reusing them matters: a fresh 1 MiB buffer
 * per chunk is external memory V8 answers with full collections, which cost GET a third of its throughput.
 */
const spareBuffers: Buffer[] = [];
const MAX_SPARE_BUFFERS = 8;
const spare = (buffer: Buffer) => {
  if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(buffer);
};

/** Writes a response whose body is a stored file, reading the next chunk while the socket takes the last one. */
async function sendFile(outgoing: ServerResponse, response: Response, file: FileRange): Promise<void> {
  outgoing.writeHead(response.status, Object.fromEntries(response.headers));
  const read = async () => {
    const buffer = spareBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK);
    const chunk = await file.read(buffer);
    if (!chunk) spare(buffer); // the range was done: the buffer was never used
    return chunk;
  };
  let next: Promise<Uint8Array | undefined> | undefined = read();
  try {
    for (;;) {
      const chunk = await next;
      next = undefined;
      if (!chunk || gone(outgoing)) break;
      next = read();
      const written = outgoing.write(chunk, (error) => {
        if (!error) spare(Buffer.from(chunk.buffer));
      });
      if (!written) await drained(outgoing);
    }
    outgoing.end();
  } catch {
    // A read failed after the headers went out: cutting the connection is the only way left to say so.
    outgoing.destroy();
  } finally {
    await next?.catch(() => undefined);
    await file.close();
  }
}

/** Resolves when the socket wants more, or has gone away (whether before or after this was called). */
function drained(outgoing: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const socket = outgoing.socket;
    if (!outgoing.writableNeedDrain || gone(outgoing) || !socket) return resolve();
    const done = () => {
      outgoing.off("drain", done);
      outgoing.off("close", done);
      socket.off("close", done);
      resolve();
    };
    outgoing.on("drain", done);
    outgoing.on("close", done);
    socket.on("close", done);
  });
}

const gone = (outgoing: ServerResponse) => outgoing.destroyed || outgoing.socket?.destroyed === true;

/** What @hono/node-server passes a fetch handler beside the Request. */
export interface NodeEnv {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

/**
 * Adapts a fetch handler served by @hono/node-server so that local-s3 skips Web streams on Node: request bodies
 * are read from the socket stream and stored objects go from their file straight to the socket. Requests and
 * responses that are not local-s3's pass through unchanged, so a server hosting other handlers may wrap them all.
 * @example
 *   serve({ fetch: withNodeStreams((request) => s3.fetch(request)), port: 9000 });
 */
export function withNodeStreams<Env>(
  fetch: (request: Request, env: Env) => Response | Promise<Response>,
): (request: Request, env: Env) => Promise<Response> {
  return async (request, env) => {
    const { incoming, outgoing } = (env ?? {}) as NodeEnv;
    // Reading the socket stream directly skips the Web-stream wrapper around the request body.
    if (incoming && request.method !== "GET" && request.method !== "HEAD")
      attachBodySource(request, incoming);
    const response = await fetch(request, env);
    // Likewise an object's bytes go from the file straight to the socket rather than through a Web stream.
    const file = outgoing ? takeFileRange(response.body) : undefined;
    if (!file || !outgoing) return response;
    await sendFile(outgoing, response, file);
    return RESPONSE_ALREADY_SENT;
  };
}

/**
 * Makes a node:http server answer `Expect` the way S3 does. Node sends `100 Continue` before the request is
 * even seen, so a client would send its body to a request about to be refused; here it is sent when the body
 * is first read, which local-s3 does only after authenticating the request. Any other expectation is served
 * like a plain request instead of Node's automatic 417.
 */
export function deferContinue(server: Server): void {
  server.on("checkContinue", (incoming: IncomingMessage, outgoing: ServerResponse) => {
    // _read is where a Readable is asked for its first bytes, whoever consumes it (async iteration or a Web
    // stream); that is the moment the client must be told to send them.
    const read = incoming._read.bind(incoming);
    let continued = false;
    incoming._read = (size: number) => {
      if (!continued && !outgoing.headersSent) outgoing.writeContinue();
      continued = true;
      read(size);
    };
    server.emit("request", incoming, outgoing);
  });
  server.on("checkExpectation", (incoming: IncomingMessage, outgoing: ServerResponse) => {
    server.emit("request", incoming, outgoing);
  });
}

/**
 * Keeps idle keep-alive connections open longer than clients keep them (undici about 4 s, browsers and SDKs up to
 * a minute). With Node's default of 5 s the server may close a connection in the same moment a client reuses it,
 * and that request fails with "other side closed"; a longer server timeout leaves the closing to the client.
 */
export function keepIdleConnectionsLonger(server: Server): void {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}

/** Serves `fetch` on Node's HTTP server; resolves once the port is bound. */
export function listenNode(
  fetch: (request: Request) => Promise<Response>,
  options: ListenOptions,
): Promise<RunningServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: withNodeStreams(fetch), port: options.port, hostname },
      (info: AddressInfo) => {
        const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
        const close = () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            // Keep-alive sockets would hold close() open until they time out.
            if ("closeAllConnections" in server) server.closeAllConnections();
          });
        resolve({ port: info.port, url: `http://${host}:${info.port}`, close, [Symbol.asyncDispose]: close });
      },
    );
    keepIdleConnectionsLonger(server as Server);
    deferContinue(server as Server);
    server.once("error", reject);
  });
}
