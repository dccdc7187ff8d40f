/**
 * An oversized body over a real socket: the Node server `pnpm start` runs (serveNode), the app from the harness,
 * and a raw TCP client, so what is checked is what a client sees on the wire.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveNode } from "../entry/node-serve.ts";
import { createHarness, type Harness, type TestUser } from "../testing/harness.ts";

let h: Harness;
let u: TestUser;
let server: { port: number; close(): Promise<void> };

beforeAll(async () => {
  h = await createHarness();
  u = await h.signUp();
  server = await serveNode((request, peer) => h.app.fetch(request, peer), { port: 0, hostname: "127.0.0.1" });
});
afterAll(async () => {
  await server?.close();
  await h?.[Symbol.asyncDispose]();
});

interface Exchange {
  /** Every byte the server sent. */
  received: string;
  /** How the connection ended: the server's FIN, or a socket error (ECONNRESET, EPIPE). */
  ending: "end" | string;
}

/** Writes `head` and `body` on one connection and waits for the connection to end. */
function exchange(head: string, body: Buffer[]): Promise<Exchange> {
  return new Promise((done) => {
    const socket = net.connect(server.port, "127.0.0.1");
    let received = "";
    let ending: string | null = null;
    socket.on("data", (data) => {
      received += data.toString("latin1");
    });
    socket.on("end", () => {
      ending ??= "end";
      socket.end();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      ending ??= error.code ?? error.message;
    });
    socket.on("close", () => done({ received, ending: ending ?? "close" }));
    socket.write(head);
    for (const chunk of body) socket.write(chunk);
    // A client that got its answers hangs up after a while; a server that keeps the connection would hold it.
    setTimeout(() => socket.end(), 3000).unref();
  });
}

const status = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
const header = (text: string, name: string) =>
  new RegExp(`\\r\\n${name}: ([^\\r]*)\\r\\n`, "i").exec(text.split("\r\n\r\n")[0] ?? "")?.[1];

const FIVE_MIB = 5 * 1024 * 1024;
const filler = (bytes: number) => Buffer.alloc(bytes, 0x20);

describe("an oversized request body", () => {
  it("with a Content-Length: 413, Connection: close, and a clean end of the connection", async () => {
    const head =
      "POST /trpc/files.createUpload HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\n" +
      `authorization: Bearer ${u.token}\r\ncontent-length: ${FIVE_MIB}\r\n\r\n`;
    const { received, ending } = await exchange(head, [filler(FIVE_MIB)]);
    expect(status(received)).toBe(413);
    expect(header(received, "connection")).toBe("close");
    expect(received).toContain("PAYLOAD_TOO_LARGE");
    expect(ending).toBe("end");
  });

  it("sent chunked: the same", async () => {
    const head =
      "POST /api/uploads/pre-signed-url HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\n" +
      `authorization: Bearer ${u.token}\r\ntransfer-encoding: chunked\r\n\r\n`;
    const chunk = filler(256 * 1024);
    const chunks: Buffer[] = [];
    for (let sent = 0; sent < FIVE_MIB; sent += chunk.length) {
      chunks.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
    }
    chunks.push(Buffer.from("0\r\n\r\n"));
    const { received, ending } = await exchange(head, chunks);
    expect(status(received)).toBe(413);
    expect(header(received, "connection")).toBe("close");
    expect(ending).toBe("end");
  });

  it("leaves requests within the limit on a kept-alive connection", async () => {
    const body = JSON.stringify({ filename: "a.txt", contentType: "text/plain", size: 3 });
    const request = (connection: string) =>
      "POST /trpc/files.createUpload HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\n" +
      `authorization: Bearer ${u.token}\r\nconnection: ${connection}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    // Two requests pipelined on one connection: both answered means the first kept it alive.
    const { received, ending } = await exchange(request("keep-alive") + request("close"), []);
    expect(ending).toBe("end");
    const answers = received.match(/HTTP\/1\.1 \d{3}/g) ?? [];
    expect(answers).toEqual(["HTTP/1.1 200", "HTTP/1.1 200"]);
  });
});
