/**
 * Personal API keys: a script's long-lived bearer credential, scoped and revocable. The key is shown once; only
 * its SHA-256 is stored, so a database leak yields no usable key. Managing keys needs a session (a key cannot
 * mint or revoke keys), so a leaked key cannot outlive its revocation.
 */
import { apiKey, auditEvent, type Database, user } from "@signet/db";
import { TRPCError } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import type { ApiKeyList, ApiKeyView, apiKeysContract, CreatedApiKey } from "../contract/api-keys.ts";
import type { InputOf } from "../contract/define.ts";
import type { Actor, ApiKeyScope, Clock } from "../ground.ts";
import { auditRow } from "./audit.ts";
import type { ServiceContext } from "./context.ts";
import { uuidv7 } from "./ids.ts";
import { ownedNewestFirst } from "./sql.ts";

/** Every key starts with this, so a bearer token is told apart from a session token without a lookup. */
export const API_KEY_PREFIX = "sgk_";
const SCOPE_RANK: Record<ApiKeyScope, number> = { read: 0, upload: 1, full: 2 };
const DAY_MS = 86_400_000;

type ApiKeyRow = typeof apiKey.$inferSelect;

function toView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scope: row.scope,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** True when `scope` allows what `needed` asks for. */
export function scopeAllows(scope: ApiKeyScope, needed: ApiKeyScope): boolean {
  return SCOPE_RANK[scope] >= SCOPE_RANK[needed];
}

function requireSession(ctx: ServiceContext) {
  if (ctx.user.apiKey) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "API keys are managed from a signed-in session (the web app), not with an API key",
    });
  }
}

/** The audit row of a key's creation or revocation, naming the key by its label, scope and prefix (never the key). */
function keyEvent(
  ctx: ServiceContext,
  action: "api_key.create" | "api_key.revoke",
  row: ApiKeyRow,
  extra: Record<string, string | null> = {},
) {
  return ctx.db.insert(auditEvent).values(
    auditRow(ctx.clock, {
      actorId: ctx.user.id,
      action,
      objectKey: `api-key/${row.id}`,
      request: ctx.request,
      detail: { name: row.name, scope: row.scope, prefix: row.prefix, ...extra },
    }),
  );
}

/** Creates a key; the returned `key` is the only time it is ever shown. */
export async function createApiKey(
  ctx: ServiceContext,
  input: InputOf<typeof apiKeysContract.create>,
): Promise<CreatedApiKey> {
  requireSession(ctx);
  const now = ctx.clock();
  const key = `${API_KEY_PREFIX}${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const row: ApiKeyRow = {
    id: uuidv7(now),
    userId: ctx.user.id,
    name: input.name,
    prefix: key.slice(0, API_KEY_PREFIX.length + 6),
    keyHash: await sha256Hex(key),
    scope: input.scope,
    createdAt: now,
    expiresAt: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * DAY_MS) : null,
    revokedAt: null,
  };
  await ctx.db.batch([
    ctx.db.insert(apiKey).values(row),
    keyEvent(ctx, "api_key.create", row, { expiresAt: toView(row).expiresAt }),
  ]);
  return { ...toView(row), key };
}

/** The caller's keys, newest first, revoked ones included (so the list explains why a script stopped). */
export async function listApiKeys(ctx: ServiceContext): Promise<ApiKeyList> {
  requireSession(ctx);
  const rows = await ownedNewestFirst(ctx.db, apiKey, apiKey.userId, ctx.user.id, 200);
  return { items: rows.map(toView) };
}

/** Revokes one of the caller's keys; another user's key, like an unknown one, is NOT_FOUND. */
export async function revokeApiKey(ctx: ServiceContext, id: string): Promise<ApiKeyView> {
  requireSession(ctx);
  const [row] = await ctx.db
    .select()
    .from(apiKey)
    .where(and(eq(apiKey.id, id), eq(apiKey.userId, ctx.user.id)));
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "No such API key" });
  if (row.revokedAt) return toView(row);
  const revokedAt = ctx.clock();
  await ctx.db.batch([
    ctx.db.update(apiKey).set({ revokedAt }).where(eq(apiKey.id, id)),
    keyEvent(ctx, "api_key.revoke", row),
  ]);
  return toView({ ...row, revokedAt });
}

/**
 * The actor behind an API key, or null when the key is unknown, revoked or expired (the caller answers
 * UNAUTHORIZED, without saying which).
 */
export async function actorForApiKey(db: Database, clock: Clock, key: string): Promise<Actor | null> {
  if (!key.startsWith(API_KEY_PREFIX)) return null;
  const [row] = await db
    .select({
      id: apiKey.id,
      scope: apiKey.scope,
      expiresAt: apiKey.expiresAt,
      revokedAt: apiKey.revokedAt,
      userId: user.id,
      name: user.name,
      email: user.email,
    })
    .from(apiKey)
    .innerJoin(user, eq(user.id, apiKey.userId))
    .where(eq(apiKey.keyHash, await sha256Hex(key)));
  if (!row || row.revokedAt) return null;
  if (row.expiresAt && row.expiresAt.getTime() <= clock().getTime()) return null;
  return { id: row.userId, name: row.name, email: row.email, apiKey: { id: row.id, scope: row.scope } };
}
