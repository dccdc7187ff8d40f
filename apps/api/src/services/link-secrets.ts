/**
 * The secrets of links handed to people without an account (share links, upload requests): the token in the URL
 * and an optional password. Only the token's SHA-256 and the password's scrypt hash are stored, so a database
 * leak yields neither. scrypt comes from @noble/hashes because node:crypto's is not on Workers.
 */
import { scryptAsync } from "@noble/hashes/scrypt.js";

/** scrypt's cost: N = 2^14, r = 8, p = 1 (about 16 MiB and tens of ms a try; the attempts are also rate-limited). */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, dkLen: 32 } as const;

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/** A new link token: 32 random bytes (256 bits), base64url (43 characters). */
export function newLinkToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** A token as tokens look; anything else is refused before the database is asked. */
export function isLinkToken(text: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(text);
}

/** The stored form of a token: its SHA-256, base64url. */
export async function linkTokenHash(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return base64url(new Uint8Array(digest));
}

/** `scrypt$N$r$p$<salt>$<hash>`: the parameters travel with the hash, so they can change later. */
export async function hashLinkPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await scryptAsync(password.normalize("NFKC"), salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${base64url(salt)}$${base64url(hash)}`;
}

/** Whether `password` matches `stored` (compared in constant time). */
export async function verifyLinkPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = fromBase64url(hash);
  const actual = await scryptAsync(password.normalize("NFKC"), fromBase64url(salt), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    dkLen: expected.length,
  });
  let diff = actual.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) diff |= (actual[i] ?? 0) ^ (expected[i] ?? 0);
  return diff === 0;
}
