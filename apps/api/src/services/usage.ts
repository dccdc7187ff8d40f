/**
 * How much of the caller's quota is in use: bytes of verified files and kept profile images (used), bytes
 * reserved by uploads still in flight (reserved), and the quota (limit). The quota row holds both used and
 * reserved bytes (reserved at signing, released on abort or rejection); the pending rows tell them apart.
 */

import { file, userQuota } from "@signet/db";
import { and, eq, sql } from "drizzle-orm";
import type { Usage } from "../contract/files.ts";
import type { ServiceContext } from "./context.ts";

export async function usage(ctx: ServiceContext): Promise<Usage> {
  const [[quota], [pending]] = await ctx.db.batch([
    ctx.db
      .select({ bytes: userQuota.reservedBytes })
      .from(userQuota)
      .where(eq(userQuota.userId, ctx.user.id)),
    ctx.db
      .select({ bytes: sql<number>`coalesce(sum(${file.size}), 0)`, count: sql<number>`count(*)` })
      .from(file)
      .where(and(eq(file.ownerId, ctx.user.id), eq(file.status, "pending"))),
  ]);
  const held = Number(quota?.bytes ?? 0);
  const reserved = Math.min(held, Number(pending?.bytes ?? 0));
  return {
    usedBytes: held - reserved,
    reservedBytes: reserved,
    limitBytes: ctx.config.userQuotaBytes,
    uploadsInFlight: Number(pending?.count ?? 0),
  };
}
