import { type CryptoBackend, deriveSigningKey, type SigningKey } from "./crypto.ts";
import { uriEncode } from "./encode.ts";

/** Credentials and scope for SigV4 query signing. */
export interface QuerySignerConfig {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  region: string;
  service: string;
  backend?: CryptoBackend;
}

/** One request to presign. Everything is canonical input: the signer adds only the `X-Amz-*` parameters. */
export interface QueryPresignInput {
  method: string;
  /** Host header value, with the port when it is not the scheme's default. */
  host: string;
  /** Canonical URI, already percent-encoded (and the exact path of the URL that will be sent). */
  path: string;
  /** Extra query parameters, unencoded (e.g. `response-content-type`, `uploadId`). */
  query?: ReadonlyArray<readonly [string, string]> | undefined;
  /** Headers to sign besides `host`, lower-case names, values already trimmed. */
  headers?: ReadonlyArray<readonly [string, string]> | undefined;
  /** Seconds, placed in `X-Amz-Expires` before signing. */
  expiresIn: number;
  /** ISO 8601 basic time, `YYYYMMDDTHHMMSSZ`. */
  datetime: string;
  /** Hashed payload line of the canonical request; S3 presigned URLs use `UNSIGNED-PAYLOAD`. */
  payloadHash?: string | undefined;
}

/**
 * Signs requests in the query string; returns the complete query string (signature last). Synchronous once the
 * day's signing key exists and node:crypto is in use, so the hot path allocates no promises.
 */
export type QueryPresigner = (input: QueryPresignInput) => string | Promise<string>;

const ALGORITHM = "AWS4-HMAC-SHA256";
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
const NEEDS_COLLAPSE = /\s\s|[\t\n\r\f\v]/;
const byName = (a: readonly [string, string], b: readonly [string, string]) =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;

/**
 * Creates a SigV4 query presigner for one set of credentials. The derived signing key is cached per date, so the
 * steady state costs one SHA-256 and one HMAC per URL, and no URL, Headers or Request objects are built.
 */
export function createQueryPresigner(config: QuerySignerConfig): QueryPresigner {
  const { accessKeyId, secretAccessKey, sessionToken, region, service, backend = "auto" } = config;
  const scopeSuffix = `/${region}/${service}/aws4_request`;
  const tokenParam = sessionToken ? `&X-Amz-Security-Token=${uriEncode(sessionToken)}` : "";
  const encodedKeyId = uriEncode(accessKeyId);
  const encodedScopeSuffix = uriEncode(scopeSuffix);
  // Dates change once a day, so one entry is the whole cache. The promise is shared so concurrent first calls
  // derive once; `ready` lets the steady state skip the await.
  let cache: { date: string; key: Promise<SigningKey>; ready?: SigningKey } | undefined;

  return function presignQuery(input) {
    const date = input.datetime.slice(0, 8);
    if (cache?.date !== date) {
      const entry: NonNullable<typeof cache> = {
        date,
        key: deriveSigningKey(secretAccessKey, date, region, service, backend),
      };
      entry.key.then(
        (key) => {
          entry.ready = key;
        },
        () => {
          if (cache === entry) cache = undefined;
        },
      );
      cache = entry;
    }
    return cache.ready ? signWith(cache.ready, input) : cache.key.then((key) => signWith(key, input));
  };

  function signWith(key: SigningKey, input: QueryPresignInput): string | Promise<string> {
    const date = input.datetime.slice(0, 8);
    let canonicalHeaders = "";
    let signedHeaders = "";
    let hostDone = false;
    for (const [name, raw] of sortedHeaders(input.headers)) {
      // Emitting host in its sorted place avoids copying and re-sorting the caller's (usually sorted) list.
      if (!hostDone && name > "host") {
        canonicalHeaders += `host:${input.host}\n`;
        signedHeaders += signedHeaders ? ";host" : "host";
        hostDone = true;
      }
      const value = NEEDS_COLLAPSE.test(raw) ? raw.trim().replace(/\s+/g, " ") : raw;
      canonicalHeaders += `${name}:${value}\n`;
      signedHeaders += signedHeaders ? `;${name}` : name;
    }
    if (!hostDone) {
      canonicalHeaders += `host:${input.host}\n`;
      signedHeaders += signedHeaders ? ";host" : "host";
    }

    const credentialScope = date + scopeSuffix;
    // Parameters below are in code-point order already (`Algorithm` < `Credential` < ... < `SignedHeaders`).
    let query =
      `X-Amz-Algorithm=${ALGORITHM}&X-Amz-Credential=${encodedKeyId}%2F${date}${encodedScopeSuffix}` +
      `&X-Amz-Date=${input.datetime}&X-Amz-Expires=${input.expiresIn}${tokenParam}` +
      `&X-Amz-SignedHeaders=${signedHeaders.replaceAll(";", "%3B")}`;
    if (input.query && input.query.length > 0) {
      const pairs: [string, string][] = query.split("&").map((p) => p.split("=") as [string, string]);
      for (const [name, value] of input.query) pairs.push([uriEncode(name), uriEncode(value)]);
      query = pairs
        .sort(byName)
        .map(([n, v]) => `${n}=${v}`)
        .join("&");
    }

    const canonicalRequest =
      `${input.method}\n${input.path}\n${query}\n${canonicalHeaders}\n${signedHeaders}\n` +
      (input.payloadHash ?? UNSIGNED_PAYLOAD);
    const prefix = `${ALGORITHM}\n${input.datetime}\n${credentialScope}\n`;
    const signed = key.sign(prefix, canonicalRequest);
    return typeof signed === "string"
      ? `${query}&X-Amz-Signature=${signed}`
      : signed.then((signature) => `${query}&X-Amz-Signature=${signature}`);
  }
}

const NONE: ReadonlyArray<readonly [string, string]> = [];

function sortedHeaders(
  headers: ReadonlyArray<readonly [string, string]> | undefined,
): ReadonlyArray<readonly [string, string]> {
  if (!headers) return NONE;
  for (let i = 1; i < headers.length; i++) {
    if (byName(headers[i - 1]!, headers[i]!) > 0) return [...headers].sort(byName);
  }
  return headers;
}

/** `YYYYMMDDTHHMMSSZ` for a Date (SigV4's X-Amz-Date format). */
export function amzDate(date: Date): string {
  const iso = date.toISOString(); // 2013-05-24T00:00:00.000Z
  return (
    iso.slice(0, 4) +
    iso.slice(5, 7) +
    iso.slice(8, 10) +
    "T" +
    iso.slice(11, 13) +
    iso.slice(14, 16) +
    iso.slice(17, 19) +
    "Z"
  );
}
