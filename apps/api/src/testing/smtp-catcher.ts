/**
 * A real SMTP server for tests, run as its own process (`tsx src/testing/smtp-catcher.ts`): smtp-server on a free
 * port, no TLS, any login accepted. Prints `smtp listening on <port>`, then one JSON line per message received:
 * `{"from":…,"to":[…],"raw":…}`.
 */
import { SMTPServer } from "smtp-server";

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  onAuth: (_auth, _session, callback) => callback(null, { user: "test" }),
  onData(stream, session, callback) {
    let raw = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      raw += chunk;
    });
    stream.on("end", () => {
      const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : null;
      const to = session.envelope.rcptTo.map((r) => r.address);
      process.stdout.write(`${JSON.stringify({ from, to, raw })}\n`);
      callback();
    });
  },
});
server.listen(0, "127.0.0.1", () => {
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`smtp listening on ${port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
