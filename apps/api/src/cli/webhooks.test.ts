/** `signet webhooks` on a real libSQL file, against a receiver on port 0. */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli.ts";

let dir: string;
const received: { headers: Record<string, string>; body: string }[] = [];
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => {
    body += c.toString();
  });
  req.on("end", () => {
    received.push({ headers: req.headers as Record<string, string>, body });
    res.writeHead(204).end();
  });
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-cli-webhooks-"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function signet(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    env: { DATA_DIR: dir, WEBHOOKS_ALLOW_PRIVATE: "true", ...env },
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out, err };
}

describe("signet webhooks", () => {
  it("adds an operator-wide endpoint (secret once), tests it, lists it and replays the delivery", async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const refused = await signet(["webhooks", "add", url], { WEBHOOKS_ALLOW_PRIVATE: "false" });
    expect(refused.code).not.toBe(0);
    expect(refused.err.join("\n")).toMatch(/url: must use https/);

    const added = await signet(["webhooks", "add", url, "--events", "file.ready,webhook.test"]);
    expect(added.code).toBe(0);
    const id = added.out[0]!.replace("endpoint ", "");
    const secret = added.out[1]!.split(" ")[1]!;
    expect(secret).toMatch(/^whsec_/);

    const tested = await signet(["webhooks", "test", id]);
    expect(tested.code).toBe(0);
    const eventId = tested.out[0]!.split(":")[0]!;
    expect(received).toHaveLength(1);
    expect(new Webhook(secret).verify(received[0]!.body, received[0]!.headers)).toMatchObject({
      id: eventId,
    });

    const listed = await signet(["webhooks", "list", "--json"]);
    expect(JSON.parse(listed.out[0]!)).toEqual([
      expect.objectContaining({ id, owner: "operator", enabled: true, delivered: 1 }),
    ]);
    expect(listed.out.join("\n")).not.toContain(secret);

    const replayed = await signet(["webhooks", "replay", id, eventId]);
    expect(replayed.code).toBe(0);
    expect(received.map((r) => r.headers["webhook-id"])).toEqual([eventId, eventId]);
  });
});
