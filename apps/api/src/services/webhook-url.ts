/**
 * Which URLs an endpoint may have. A receiver is an outside service: an address on this machine or its network
 * (loopback, private, link-local, and the like) would turn Signet into a way to reach what its users cannot, so
 * it is refused unless the operator allows it (WEBHOOKS_ALLOW_PRIVATE, for development and tests), and so is
 * plain http. Every refusal names `url`.
 */
import ipaddr from "ipaddr.js";
import { MAX_WEBHOOK_URL_LENGTH } from "../contract/webhooks.ts";

export interface UrlPolicy {
  /** Private, loopback and link-local receivers, and plain http, are allowed (development). */
  allowPrivate: boolean;
}

/** Why `url` may not receive webhooks, or null when it may. Hostnames are resolved (`resolve`) and every address checked. */
export async function refuseWebhookUrl(
  raw: string,
  policy: UrlPolicy,
  resolve: (host: string) => Promise<string[] | null> = resolveHost,
): Promise<string | null> {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute http(s) URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an http(s) URL";
  if (url.protocol === "http:" && !policy.allowPrivate) return "must use https";
  if (url.username || url.password)
    return "must not carry credentials (put them in the receiver's check of the signature)";
  if (url.hash) return "must not have a fragment";
  if (policy.allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost"))
    return "must not point at this machine (localhost)";
  const addresses = ipaddr.isValid(host) ? [host] : await resolve(host);
  if (addresses?.length === 0) return `host ${host} does not resolve`;
  for (const address of addresses ?? []) {
    const range = rangeOf(address);
    if (range !== "unicast") return `must not resolve to a ${range} address (${address})`;
  }
  return null;
}

function rangeOf(address: string): string {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range();
}

/**
 * The host's addresses where the runtime can resolve names (Node, Bun, Deno): `[]` when it does not resolve.
 * null where it cannot (Workers, whose fetch cannot reach private networks anyway).
 */
async function resolveHost(host: string): Promise<string[] | null> {
  let dns: typeof import("node:dns/promises");
  try {
    dns = await import("node:dns/promises");
  } catch {
    return null;
  }
  try {
    return (await dns.lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
}
