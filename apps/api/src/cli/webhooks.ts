/**
 * `signet webhooks list | add | test | replay`: operator-wide webhook endpoints (every user's events) and the
 * delivery log of any endpoint, straight on the database the server uses (the server need not be running).
 */
import type { Database } from "@signet/db";
import { closeDb } from "@signet/db";
import { Command } from "commander";
import type { Config } from "../env.ts";
import { type CliIo, EXIT, loadConfig, table, UsageError } from "./io.ts";

async function withDatabase<T>(config: Config, body: (db: Database) => Promise<T>): Promise<T> {
  const { openDatabase } = await import("../start.ts");
  const db = await openDatabase(config);
  try {
    return await body(db);
  } finally {
    closeDb(db);
  }
}

export function webhooksCommand(io: CliIo): Command {
  const command = new Command("webhooks").description(
    "webhook endpoints: list them, add an operator-wide one, send a test event, replay a delivery",
  );
  const deps = (config: Config, db: Database) => ({
    db,
    clock: io.clock,
    config: { webhooks: config.webhooks },
    logger: (entry: { msg: string }) => io.err(entry.msg),
  });

  command
    .command("list")
    .description("every endpoint (operator-wide ones first), with its recent deliveries' outcome")
    .option("--json", "print the endpoints as JSON")
    .action(async (flags: { json?: boolean }) => {
      const config = loadConfig(io);
      const { listEndpointRows, toEndpointView, deliveryLogOf } = await import(
        "../services/webhook-endpoints.ts"
      );
      const rows = await withDatabase(config, async (db) =>
        Promise.all(
          (await listEndpointRows({ db }, "all")).map(async (row) => {
            const log = await deliveryLogOf({ db }, row.id, 100);
            const count = (status: string) => log.items.filter((d) => d.status === status).length;
            return {
              ...toEndpointView(row),
              owner: row.ownerId ?? "operator",
              delivered: count("delivered"),
              pending: count("pending"),
              dead: count("dead"),
            };
          }),
        ),
      );
      rows.sort((a, b) => Number(b.operatorWide) - Number(a.operatorWide));
      if (flags.json) io.out(JSON.stringify(rows));
      else {
        for (const line of table([
          ["id", "owner", "enabled", "delivered", "pending", "dead", "url"],
          ...rows.map((r) => [
            r.id,
            r.owner,
            r.enabled ? "yes" : "no",
            String(r.delivered),
            String(r.pending),
            String(r.dead),
            r.url,
          ]),
        ]))
          io.out(line);
      }
      io.exitCode = EXIT.ok;
    });

  command
    .command("add")
    .description("add an operator-wide endpoint (it receives every user's events); prints its secret once")
    .argument("<url>", "the receiver's URL")
    .option("--events <types>", "comma-separated event types (default: all)")
    .option("--blocking", "every user's verified files wait in quarantine for this endpoint's verdict")
    .action(async (url: string, flags: { events?: string; blocking?: boolean }) => {
      const config = loadConfig(io);
      const { insertEndpoint } = await import("../services/webhook-endpoints.ts");
      const { EVENT_TYPES } = await import("../contract/webhooks.ts");
      const eventTypes = flags.events?.split(",").map((t) => t.trim()) ?? [];
      const unknown = eventTypes.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
      if (unknown.length) throw new UsageError(`--events: unknown type ${unknown.join(", ")}`);
      const created = await withDatabase(config, (db) =>
        insertEndpoint(deps(config, db), null, { url, eventTypes, blocking: flags.blocking === true }).catch(
          (error: Error) => {
            throw new UsageError(error.message);
          },
        ),
      );
      io.out(`endpoint ${created.id}`);
      io.out(`secret ${created.secret} (shown once: store it now)`);
      io.exitCode = EXIT.ok;
    });

  command
    .command("test")
    .description("send a webhook.test event to an endpoint now and report the attempt")
    .argument("<endpoint-id>")
    .action(async (id: string) => {
      const config = loadConfig(io);
      const { listEndpointRows, sendTestEvent } = await import("../services/webhook-endpoints.ts");
      const result = await withDatabase(config, async (db) => {
        const endpoint = (await listEndpointRows({ db }, "all")).find((e) => e.id === id);
        if (!endpoint) throw new UsageError(`endpoint-id: no webhook endpoint ${id}`);
        return sendTestEvent(deps(config, db), endpoint);
      });
      io.out(
        `${result.eventId}: ${result.delivered ? "delivered" : "not delivered (see `signet webhooks list`)"}`,
      );
      io.exitCode = result.delivered ? EXIT.ok : EXIT.failed;
    });

  command
    .command("replay")
    .description("make a delivery due again now (same event id); the next sweep, or this command, sends it")
    .argument("<endpoint-id>")
    .argument("<event-id>")
    .action(async (endpointId: string, eventId: string) => {
      const config = loadConfig(io);
      const { replayDelivery } = await import("../services/webhook-endpoints.ts");
      const { deliverDue } = await import("../services/webhook-delivery.ts");
      const pass = await withDatabase(config, async (db) => {
        await replayDelivery({ db, clock: io.clock }, endpointId, eventId).catch((error: Error) => {
          throw new UsageError(error.message);
        });
        return deliverDue(deps(config, db), {
          budgetMs: config.webhooks.timeoutMs + 1000,
          eventIds: [eventId],
        });
      });
      io.out(`${eventId}: ${pass.delivered ? "delivered" : "due again; the sweeper retries it"}`);
      io.exitCode = EXIT.ok;
    });
  return command;
}
