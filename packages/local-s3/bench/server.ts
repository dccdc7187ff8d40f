// Child process for the benchmark: serves local-s3, s3rver or a bare node:http server over a directory and prints its URL, so each
// server's memory is measured on its own and the client never shares its event loop.
import { createLocalS3 } from "../src/index.ts";
import { BENCH_CREDS } from "./shared.ts";

const [kind, dir] = process.argv.slice(2);
if (!dir || !["local-s3", "s3rver", "node-http", "tcp"].includes(kind ?? "")) {
  throw new Error("usage: server.ts local-s3|s3rver|node-http|tcp <dir>");
}

if (kind === "local-s3") {
  const server = await createLocalS3({ dir, credentials: [BENCH_CREDS] }).listen({ port: 0 });
  console.log(server.url);
} else if (kind === "tcp") {
  // The transport's own limit: node:net over loopback, sending from memory the byte count the client asks for
  // (one decimal line). No HTTP, no disk: no GET served from a file can be faster than this.
  const { createServer } = await import("node:net");
  const { randomBytes } = await import("node:crypto");
  const chunk = randomBytes(1 << 20);
  const server = createServer((socket) => {
    socket.once("data", (line) => {
      let left = Number(line.toString().trim());
      const send = () => {
        while (left > 0) {
          const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= part.length;
          if (!socket.write(part)) return void socket.once("drain", send);
        }
        socket.end();
      };
      send();
    });
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  console.log(`127.0.0.1:${(server.address() as { port: number }).port}`);
} else if (kind === "node-http") {
  // The I/O ceiling: a bare node:http server that only streams the body to disk and fsyncs it (PUT), and pipes
  // the file back (GET). No hashing, no auth, no atomic rename, no metadata.
  const { createServer } = await import("node:http");
  const { createReadStream, createWriteStream } = await import("node:fs");
  const { mkdir, open } = await import("node:fs/promises");
  const { pipeline } = await import("node:stream/promises");
  const { join } = await import("node:path");
  await mkdir(dir, { recursive: true });
  const server = createServer(async (req, res) => {
    const path = join(dir, "object.bin");
    if (req.method === "PUT") {
      const handle = await open(path, "w");
      await pipeline(req, createWriteStream("", { fd: handle.fd, autoClose: false, highWaterMark: 1 << 20 }));
      await handle.sync();
      await handle.close();
      res.writeHead(200).end();
    } else createReadStream(path, { highWaterMark: 1 << 20 }).pipe(res);
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  console.log(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
} else {
  const { default: S3rver } = await import("s3rver");
  const s3rver = new S3rver({
    port: 0,
    address: "127.0.0.1",
    directory: dir,
    silent: true,
    allowMismatchedSignatures: true,
    configureBuckets: [{ name: "bench" }],
  });
  const address = (await s3rver.run()) as { port: number };
  console.log(`http://127.0.0.1:${address.port}`);
}
