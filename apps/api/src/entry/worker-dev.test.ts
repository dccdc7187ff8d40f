/**
 * `pnpm dev:worker` as a script meets it: the real entry (worker-dev.ts) as a child process on port 0, driven with
 * Node's fetch, which never resends a request whose kept-alive connection the server dropped. workerd's own HTTP
 * server dropped such connections (idle after 5 s without saying so, and after any request whose body the Worker
 * did not read), so a script failed at random with ECONNRESET; the first two tests pin down both cases on one
 * connection, the last runs the shared end-to-end suite three times in a row.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { access, mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtSpaDir } from "../http/static.ts";
import {
  expiredUrl,
  genericUpload,
  profileImage,
  signUp,
  tamperedSignature,
} from "../testing/e2e-over-http.ts";

const apiDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
let dataDir: string;
let child: ChildProcess;
let baseUrl: string;
let output = "";

beforeAll(async () => {
  await access(join(builtSpaDir, "index.html")).catch(() => {
    throw new Error(`the SPA is not built (${builtSpaDir}): run pnpm --filter @signet/web build first`);
  });
  dataDir = await mkdtemp(join(tmpdir(), "signet-worker-dev-"));
  // The real node binary with tsx as a loader (not the .bin shim), so SIGTERM reaches the entry itself.
  child = spawn(process.execPath, ["--import", "tsx", "src/entry/worker-dev.ts"], {
    cwd: apiDir,
    env: { ...process.env, PORT: "0", LOCAL_S3_PORT: "0", DATA_DIR: dataDir, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  baseUrl = await new Promise<string>((done, fail) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /signet listening on (\S+)/.exec(output);
      if (match) done(match[1]!);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => fail(new Error(`worker-dev exited (${code}) before listening:\n${output}`)));
  });
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((done) => child.once("exit", done));
    child.kill("SIGTERM");
    await exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** One HTTP/1.1 connection, written to by hand, so that which connection carries a request is never in doubt. */
class Connection {
  private socket: Socket;
  private received = "";
  private waiting: (() => void) | undefined;
  closed = false;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connect(Number(port), hostname);
    this.socket.on("data", (chunk: Buffer) => {
      this.received += chunk.toString("latin1");
      this.waiting?.();
    });
    this.socket.on("close", () => {
      this.closed = true;
      this.waiting?.();
    });
    this.socket.on("error", () => {});
  }

  /** Sends a request and resolves with its response's head, or undefined when the server closed instead. */
  async send(head: string, body = ""): Promise<{ status: number; headers: Headers } | undefined> {
    this.received = "";
    this.socket.write(`${head}\r\nHost: ${new URL(baseUrl).host}\r\n\r\n${body}`);
    for (;;) {
      const end = this.received.indexOf("\r\n\r\n");
      if (end >= 0) {
        const [status, ...lines] = this.received.slice(0, end).split("\r\n");
        const headers = new Headers(lines.map((line) => line.split(/:\s*/, 2) as [string, string]));
        const length = Number(headers.get("content-length") ?? 0);
        if (this.received.length >= end + 4 + length)
          return { status: Number(status!.split(" ")[1]), headers };
      }
      if (this.closed) return undefined;
      await new Promise<void>((done) => {
        this.waiting = done;
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

describe("pnpm dev:worker keeps a script's connections", () => {
  it("answers the next request on a connection whose previous request body the Worker never read", async () => {
    const connection = new Connection(baseUrl);
    try {
      // A query procedure answers a POST 415 without reading its body.
      const refused = await connection.send(
        "POST /trpc/health HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 2",
        "{}",
      );
      expect(refused?.status).toBe(415);
      // A server that will not take another request must say so; otherwise the next one must be answered.
      if (refused?.headers.get("connection")?.toLowerCase() === "close") return;
      expect((await connection.send("GET /trpc/health HTTP/1.1"))?.status).toBe(200);
    } finally {
      connection.close();
    }
  });

  it("keeps an idle connection open past workerd's 5 s, and says how long it will", async () => {
    const connection = new Connection(baseUrl);
    try {
      const first = await connection.send("GET /trpc/health HTTP/1.1");
      expect(first?.status).toBe(200);
      const timeout = Number(/timeout=(\d+)/.exec(first?.headers.get("keep-alive") ?? "")?.[1]);
      expect(timeout).toBeGreaterThanOrEqual(60);
      await new Promise((done) => setTimeout(done, 5_500));
      expect(connection.closed).toBe(false);
      expect((await connection.send("GET /trpc/health HTTP/1.1"))?.status).toBe(200);
    } finally {
      connection.close();
    }
  });

  it("passes the shared end-to-end suite three runs in a row with a fetch that never resends", async () => {
    for (let run = 0; run < 3; run++) {
      const client = await signUp(baseUrl);
      await genericUpload(client);
      await profileImage(client);
      await tamperedSignature(client);
      await expiredUrl(client);
    }
  }, 120_000);
});
