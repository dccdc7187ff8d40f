// The one runtime seam of the signer. node:crypto is synchronous and several times faster per signature than
// Web Crypto, and Node, Bun and Deno all provide it; Web Crypto keeps the signer working where it is absent
// (Workers without nodejs_compat, browsers).
import type * as NodeCrypto from "node:crypto";

/** Which implementation computes HMAC/SHA-256: `"auto"` prefers node:crypto and falls back to Web Crypto. */
export type CryptoBackend = "auto" | "node" | "web";

/** A derived SigV4 signing key (kSigning) for one date/region/service, ready to sign canonical requests. */
export interface SigningKey {
  /** Which implementation this key uses. */
  readonly backend: "node" | "web";
  /**
   * Hex signature of `stringToSignPrefix + hex(sha256(canonicalRequest))`. Synchronous with node:crypto, so
   * the hot path pays no extra promise; a Promise with Web Crypto.
   */
  sign(stringToSignPrefix: string, canonicalRequest: string): string | Promise<string>;
}

let nodeCrypto: Promise<typeof NodeCrypto | undefined> | undefined;

function loadNodeCrypto(): Promise<typeof NodeCrypto | undefined> {
  nodeCrypto ??= import("node:crypto").then(
    (mod) => (typeof mod.createHmac === "function" ? mod : undefined),
    () => undefined,
  );
  return nodeCrypto;
}

/** Derives kSigning = HMAC chain of ("AWS4" + secret, date, region, service, "aws4_request"). */
export async function deriveSigningKey(
  secretAccessKey: string,
  date: string,
  region: string,
  service: string,
  backend: CryptoBackend = "auto",
): Promise<SigningKey> {
  const node = backend === "web" ? undefined : await loadNodeCrypto();
  if (node) return nodeSigningKey(node, secretAccessKey, date, region, service);
  if (backend === "node") throw new Error("node:crypto is not available in this runtime");
  return webSigningKey(secretAccessKey, date, region, service);
}

function nodeSigningKey(
  node: typeof NodeCrypto,
  secret: string,
  date: string,
  region: string,
  service: string,
): SigningKey {
  const hmac = (key: string | Uint8Array, data: string) =>
    node.createHmac("sha256", key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
  // crypto.hash (Node >= 20.12, Bun, Deno) skips the Hash object allocation; older runtimes use createHash.
  const sha256Hex =
    typeof node.hash === "function"
      ? (data: string) => node.hash("sha256", data, "hex")
      : (data: string) => node.createHash("sha256").update(data).digest("hex");
  return {
    backend: "node",
    sign: (prefix, canonical) =>
      node
        .createHmac("sha256", key)
        .update(prefix + sha256Hex(canonical))
        .digest("hex"),
  };
}

const utf8 = new TextEncoder();

async function webSigningKey(
  secret: string,
  date: string,
  region: string,
  service: string,
): Promise<SigningKey> {
  const hmac = async (key: Uint8Array<ArrayBuffer>, data: string) => {
    const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return new Uint8Array(await crypto.subtle.sign("HMAC", k, utf8.encode(data)));
  };
  let raw: Uint8Array<ArrayBuffer> = utf8.encode(`AWS4${secret}`);
  for (const part of [date, region, service, "aws4_request"]) raw = await hmac(raw, part);
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return {
    backend: "web",
    sign: async (prefix, canonical) => {
      const digest = await crypto.subtle.digest("SHA-256", utf8.encode(canonical));
      const signature = await crypto.subtle.sign("HMAC", key, utf8.encode(prefix + toHex(digest)));
      return toHex(signature);
    },
  };
}

/**
 * Base64 MD5 for `Content-MD5`, which S3 has long required on bucket-configuration writes (PutBucketCors) and
 * every S3-compatible store accepts. Web Crypto has no MD5, so without node:crypto this answers undefined and
 * the caller uses a SHA-256 checksum header instead.
 */
export async function md5Base64(data: string): Promise<string | undefined> {
  const node = await loadNodeCrypto();
  return node?.createHash("md5").update(data).digest("base64");
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lower-case hex of a byte buffer. */
export function toHex(buffer: ArrayBuffer | Uint8Array): string {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}
