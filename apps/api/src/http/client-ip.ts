/**
 * Who is on the other end of a request, for the audit trail and Better Auth. X-Forwarded-For is only believed
 * when the operator says a proxy sets it (TRUST_PROXY=true); any client can send the header otherwise.
 */

import { CLIENT_IP_HEADER, type Peer } from "../ground.ts";

export { CLIENT_IP_HEADER };

const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)$/i;

function normalize(address: string | undefined | null): string | undefined {
  if (!address) return undefined;
  const bare = address.trim().replace(/^\[(.*)\]$/, "$1");
  // A dual-stack socket reports IPv4 peers as IPv4-mapped IPv6.
  const v4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  const ip = v4 ? v4[1]! : bare;
  return ip.length <= 45 && IP.test(ip) ? ip : undefined;
}

export type { Peer };

/**
 * The client's address: with a trusted proxy, the last X-Forwarded-For entry (the address the proxy itself
 * saw and appended; entries left of it came from the client and prove nothing); otherwise the socket's peer.
 */
export function clientIp(request: Request, peer: Peer | undefined, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const hops = (request.headers.get("x-forwarded-for") ?? "").split(",");
    const forwarded = normalize(hops[hops.length - 1]);
    if (forwarded) return forwarded;
  }
  return normalize(peer?.address);
}
