/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-signature` is `v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">` keyed with the secret's bytes (`whsec_<base64>`); several signatures are separated
 * by spaces, which is how a rotation signs with both secrets. Web Crypto only, so Workers sign the same way.
 */

const PREFIX = "whsec_";

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** A new secret: 32 random bytes, shown to its owner once. */
export function newWebhookSecret(): string {
  return PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

async function hmac(secret: string, content: string): Promise<string> {
  const raw = fromBase64(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret);
  const key = await crypto.subtle.importKey(
    "raw",
    raw as BufferSource,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(content));
  return toBase64(new Uint8Array(mac));
}

/** The three headers of one delivery attempt, signed with every secret given (current first). */
export async function signedHeaders(
  secrets: string[],
  message: { id: string; timestamp: Date; body: string },
): Promise<Record<string, string>> {
  const seconds = Math.floor(message.timestamp.getTime() / 1000);
  const content = `${message.id}.${seconds}.${message.body}`;
  const signatures = await Promise.all(secrets.map(async (s) => `v1,${await hmac(s, content)}`));
  return {
    "webhook-id": message.id,
    "webhook-timestamp": String(seconds),
    "webhook-signature": signatures.join(" "),
  };
}
