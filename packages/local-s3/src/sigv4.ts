// Verifies AWS Signature Version 4 in both of S3's forms (Authorization header and presigned query), with the
// checks S3 and R2 make, in the order that gives the most useful error first.
import { hash, hmacSha256, safeEqual, toHex } from "./digest.ts";
import { S3Error } from "./errors.ts";
import type { XmlNode } from "./xml.ts";

const ALGORITHM = "AWS4-HMAC-SHA256";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
/** An aws-chunked body with an unsigned checksum trailer, which current AWS SDKs send for streamed uploads. */
export const STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/** S3 tolerates 15 minutes of clock difference; so does R2. */
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_EXPIRES = 604800;
const QUERY_PARAMS = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
] as const;

/** The request target split the way S3 reads it: the raw path and the decoded query. */
export interface Target {
  /** Path exactly as it arrived (still percent-encoded, `//` kept). */
  rawPath: string;
  /** Query parameters in arrival order, decoded once, `+` read as a space. */
  query: [string, string][];
}

export interface AuthConfig {
  secrets: ReadonlyMap<string, string>;
  region: string;
  now: () => Date;
}

export interface AuthResult {
  accessKeyId: string;
  form: "header" | "query";
  /** `UNSIGNED-PAYLOAD` or the lower-case hex SHA-256 the body must have. */
  payloadHash: string;
  signedHeaders: ReadonlySet<string>;
}

/** Decodes one percent-encoded component; S3 answers malformed encodings with InvalidURI. */
export function decodeComponent(text: string, plusIsSpace: boolean): string {
  try {
    return decodeURIComponent(plusIsSpace ? text.replace(/\+/g, " ") : text);
  } catch {
    throw new S3Error("InvalidURI", "Couldn't parse the specified URI.");
  }
}

/** Splits a request URL into its raw path and decoded query without normalizing anything. */
export function parseTarget(url: string): Target {
  const afterScheme = url.indexOf("//");
  const pathStart = url.indexOf("/", afterScheme >= 0 ? afterScheme + 2 : 0);
  const rest = pathStart >= 0 ? url.slice(pathStart) : "/";
  const hashAt = rest.indexOf("#");
  const noFragment = hashAt >= 0 ? rest.slice(0, hashAt) : rest;
  const q = noFragment.indexOf("?");
  const rawPath = q >= 0 ? noFragment.slice(0, q) : noFragment;
  const rawQuery = q >= 0 ? noFragment.slice(q + 1) : "";
  const query: [string, string][] = [];
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq >= 0 ? part.slice(0, eq) : part;
    const value = eq >= 0 ? part.slice(eq + 1) : "";
    query.push([decodeComponent(name, true), decodeComponent(value, true)]);
  }
  return { rawPath, query };
}

/** S3's URI encoding: everything but unreserved characters, optionally keeping `/`. */
export function uriEncode(text: string, keepSlash: boolean): string {
  const encoded = encodeURIComponent(text).replace(
    /[!'()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return keepSlash ? encoded.replace(/%2F/g, "/") : encoded;
}

function canonicalQuery(query: [string, string][]): string {
  return query
    .filter(([name]) => name !== "X-Amz-Signature")
    .map(([name, value]) => [uriEncode(name, false), uriEncode(value, false)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

function headerValue(request: Request, name: string): string | null {
  const value = request.headers.get(name);
  // A Request built in process (not from a socket) has no Host header; its URL carries the host instead.
  if (value === null && name === "host") return new URL(request.url).host;
  return value;
}

const signingKeys = new Map<string, Uint8Array>();

function signingKey(secret: string, date: string, region: string): Uint8Array {
  const id = `${secret}\n${date}\n${region}`;
  let key = signingKeys.get(id);
  if (!key) {
    key = hmacSha256(hmacSha256(hmacSha256(hmacSha256(`AWS4${secret}`, date), region), "s3"), "aws4_request");
    if (signingKeys.size > 64) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

function parseAmzDate(text: string | null | undefined): Date | undefined {
  const m = text ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 20240230 over to March; S3 refuses such dates, and so do we.
  return date.getUTCDate() === d && date.getUTCMonth() === mo - 1 && date.getUTCHours() === h
    ? date
    : undefined;
}

function bytesOf(text: string): string {
  return hexBytes(new TextEncoder().encode(text));
}

function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** The bytes a request's text stands for: latin1 when every character fits a byte (as socket headers do), else UTF-8. */
function requestBytes(text: string): Uint8Array {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for any character beyond one byte
  return /^[\u0000-\u00ff]*$/.test(text)
    ? Uint8Array.from(text, (ch) => ch.charCodeAt(0))
    : new TextEncoder().encode(text);
}

interface Parsed {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
}

/**
 * Authenticates a request by SigV4 header or query, or throws the S3Error S3 would answer with.
 * Anonymous requests are refused: this endpoint has no public buckets.
 */
export function authenticate(request: Request, target: Target, config: AuthConfig): AuthResult {
  const authorization = request.headers.get("authorization");
  const hasQueryAuth = target.query.some(
    ([name]) => name.startsWith("X-Amz-") && name !== "X-Amz-Content-Sha256",
  );
  if (authorization !== null && hasQueryAuth) {
    throw new S3Error(
      "InvalidArgument",
      "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
    );
  }
  // Only long-term keys exist here; a session token could never be valid, so refuse it rather than ignore it.
  if (
    request.headers.has("x-amz-security-token") ||
    target.query.some(([name]) => name === "X-Amz-Security-Token")
  ) {
    throw new S3Error("InvalidToken", "The provided token is malformed or otherwise invalid.");
  }
  // Signature Version 2 presigned URLs (what s3cmd signurl makes): R2, like S3 in newer regions, takes only SigV4.
  if (!hasQueryAuth && authorization === null && target.query.some(([name]) => name === "AWSAccessKeyId")) {
    throw new S3Error(
      "InvalidRequest",
      `The authorization mechanism you have provided is not supported. Please use ${ALGORITHM}.`,
    );
  }
  if (hasQueryAuth) return verify(request, target, config, parseQueryAuth(target, config));
  if (authorization !== null)
    return verify(request, target, config, parseHeaderAuth(request, authorization, config));
  throw new S3Error("AccessDenied", "Access Denied");
}

function parseQueryAuth(target: Target, config: AuthConfig): Parsed & { form: "query"; expires: number } {
  const params = new Map(target.query);
  const missing = QUERY_PARAMS.filter((name) => !params.has(name));
  if (missing.length > 0) {
    throw new S3Error(
      "AuthorizationQueryParametersError",
      `Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters; missing ${missing.join(", ")}.`,
    );
  }
  const get = (name: (typeof QUERY_PARAMS)[number]) => params.get(name) ?? "";
  if (get("X-Amz-Algorithm") !== ALGORITHM) {
    throw new S3Error("AuthorizationQueryParametersError", `X-Amz-Algorithm only supports "${ALGORITHM}"`);
  }
  const credential = parseCredential(
    get("X-Amz-Credential"),
    "AuthorizationQueryParametersError",
    "Error parsing the X-Amz-Credential parameter; ",
  );
  const amzDate = get("X-Amz-Date");
  if (!parseAmzDate(amzDate)) {
    throw new S3Error(
      "AuthorizationQueryParametersError",
      `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`,
    );
  }
  const expiresText = get("X-Amz-Expires");
  if (!/^-?\d+$/.test(expiresText)) {
    throw new S3Error("AuthorizationQueryParametersError", "X-Amz-Expires should be a number");
  }
  // Zero or a negative lifetime is well formed but over before the URL is used: S3 and R2 answer that with
  // AccessDenied "Request has expired" (in verify), as for any other expired URL.
  const expires = Number(expiresText);
  if (expires > MAX_EXPIRES) {
    throw new S3Error(
      "AuthorizationQueryParametersError",
      `X-Amz-Expires must be less than a week (in seconds) that is ${MAX_EXPIRES}`,
    );
  }
  checkScope(
    credential,
    amzDate,
    config,
    "AuthorizationQueryParametersError",
    "Error parsing the X-Amz-Credential parameter; ",
  );
  return {
    ...credential,
    form: "query",
    expires,
    amzDate,
    signedHeaders: get("X-Amz-SignedHeaders").split(";"),
    signature: get("X-Amz-Signature"),
  };
}

function parseHeaderAuth(
  request: Request,
  authorization: string,
  config: AuthConfig,
): Parsed & { form: "header" } {
  if (!authorization.startsWith(`${ALGORITHM} `)) {
    throw new S3Error(
      "InvalidRequest",
      `The authorization mechanism you have provided is not supported. Please use ${ALGORITHM}.`,
    );
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(ALGORITHM.length + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credentialText = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (credentialText === undefined || signedHeaders === undefined || signature === undefined) {
    throw new S3Error(
      "AuthorizationHeaderMalformed",
      "The authorization header is malformed; it must contain Credential, SignedHeaders and Signature.",
    );
  }
  const credential = parseCredential(
    credentialText,
    "AuthorizationHeaderMalformed",
    "The authorization header is malformed; ",
  );
  const amzDate = requestTime(request);
  if (!parseAmzDate(amzDate)) {
    throw new S3Error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  }
  checkScope(
    credential,
    amzDate ?? "",
    config,
    "AuthorizationHeaderMalformed",
    "The authorization header is malformed; ",
  );
  return {
    ...credential,
    form: "header",
    amzDate: amzDate ?? "",
    signedHeaders: signedHeaders.split(";"),
    signature,
  };
}

/**
 * A header-signed request's time: x-amz-date, or the Date header when there is no x-amz-date (botocore signs that
 * way once a caller sets Date). With both, x-amz-date is the one SigV4 uses and Date is an ordinary header.
 */
function requestTime(request: Request): string | undefined {
  const amzDate = request.headers.get("x-amz-date");
  if (amzDate !== null) return amzDate;
  const ms = Date.parse(request.headers.get("date") ?? "");
  return Number.isNaN(ms) ? undefined : compactTime(new Date(ms));
}

/** SigV4's compact ISO 8601 form, `yyyyMMdd'T'HHmmss'Z'`. */
function compactTime(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

type Credential = Pick<Parsed, "accessKeyId" | "date" | "region" | "service" | "terminator">;

function parseCredential(
  text: string,
  code: "AuthorizationQueryParametersError" | "AuthorizationHeaderMalformed",
  prefix: string,
): Credential {
  const parts = text.split("/");
  if (parts.length !== 5 || !parts[0]) {
    throw new S3Error(
      code,
      `${prefix}the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  return { accessKeyId, date, region, service, terminator };
}

function checkScope(
  credential: Credential,
  amzDate: string,
  config: AuthConfig,
  code: "AuthorizationQueryParametersError" | "AuthorizationHeaderMalformed",
  prefix: string,
): void {
  if (!config.secrets.has(credential.accessKeyId)) {
    throw new S3Error(
      "InvalidAccessKeyId",
      "The AWS Access Key Id you provided does not exist in our records.",
      [["AWSAccessKeyId", credential.accessKeyId]],
    );
  }
  if (credential.date !== amzDate.slice(0, 8)) {
    throw new S3Error(
      code,
      `${prefix}Invalid credential date "${credential.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`,
    );
  }
  // R2 accepts its own "auto", AWS's default "us-east-1" and an empty region as aliases of the bucket's region.
  const accepted = [config.region, "auto", "us-east-1", ""];
  if (!accepted.includes(credential.region)) {
    throw new S3Error(
      code,
      `${prefix}the region '${credential.region}' is wrong; expecting '${config.region}'`,
      [["Region", config.region]],
    );
  }
  if (credential.service !== "s3") {
    throw new S3Error(
      code,
      `${prefix}incorrect service "${credential.service}". This endpoint belongs to "s3".`,
    );
  }
  if (credential.terminator !== "aws4_request") {
    throw new S3Error(
      code,
      `${prefix}incorrect terminal "${credential.terminator}". This endpoint uses "aws4_request".`,
    );
  }
}

function verify(
  request: Request,
  target: Target,
  config: AuthConfig,
  parsed: Parsed & ({ form: "query"; expires: number } | { form: "header" }),
): AuthResult {
  const now = config.now().getTime();
  const requestTime = parseAmzDate(parsed.amzDate)?.getTime() ?? 0;
  const serverTime = new Date(now).toISOString().replace(/\.\d{3}/, "");
  if (parsed.form === "query") {
    if (parsed.expires <= 0 || now > requestTime + parsed.expires * 1000) {
      throw new S3Error("AccessDenied", "Request has expired", [
        ["X-Amz-Expires", parsed.expires],
        ["Expires", new Date(requestTime + parsed.expires * 1000).toISOString().replace(/\.\d{3}/, "")],
        ["ServerTime", serverTime],
      ]);
    }
    if (requestTime - now > MAX_SKEW_MS) {
      throw new S3Error("AccessDenied", "Request is not valid yet", [
        ["RequestTime", parsed.amzDate],
        ["ServerTime", serverTime],
      ]);
    }
  }
  let payloadHash = UNSIGNED_PAYLOAD;
  // Presigners may carry the payload hash in the query (the AWS SDK sends X-Amz-Content-Sha256=UNSIGNED-PAYLOAD).
  const contentSha =
    request.headers.get("x-amz-content-sha256") ??
    (parsed.form === "query"
      ? (target.query.find(([name]) => name === "X-Amz-Content-Sha256")?.[1] ?? null)
      : null);
  if (parsed.form === "header" && contentSha === null) {
    throw new S3Error("InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
  }
  if (contentSha !== null) {
    if (
      contentSha.startsWith("STREAMING-") &&
      !(contentSha === STREAMING_UNSIGNED_TRAILER && parsed.form === "header")
    ) {
      throw new S3Error(
        "NotImplemented",
        `x-amz-content-sha256 ${contentSha} (aws-chunked uploads) is not implemented`,
        [["Header", "x-amz-content-sha256"]],
      );
    }
    if (
      contentSha !== UNSIGNED_PAYLOAD &&
      contentSha !== STREAMING_UNSIGNED_TRAILER &&
      !/^[0-9a-f]{64}$/.test(contentSha)
    ) {
      throw new S3Error(
        "InvalidArgument",
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.",
        [
          ["ArgumentName", "x-amz-content-sha256"],
          ["ArgumentValue", contentSha],
        ],
      );
    }
    payloadHash = contentSha;
  }
  if (parsed.form === "header" && Math.abs(requestTime - now) > MAX_SKEW_MS) {
    throw new S3Error(
      "RequestTimeTooSkewed",
      "The difference between the request time and the current time is too large.",
      [
        ["RequestTime", parsed.amzDate],
        ["ServerTime", serverTime],
        ["MaxAllowedSkewMilliseconds", MAX_SKEW_MS],
      ],
    );
  }
  const signed = new Set(parsed.signedHeaders);
  const notSigned: string[] = [];
  if (!signed.has("host")) notSigned.push("host");
  for (const name of request.headers.keys()) {
    if (name.startsWith("x-amz-") && name !== "x-amz-content-sha256" && !signed.has(name))
      notSigned.push(name);
  }
  if (notSigned.length > 0) {
    throw new S3Error("AccessDenied", "There were headers present in the request which were not signed", [
      ["HeadersNotSigned", notSigned.join(", ")],
    ]);
  }

  const canonicalRequest = [
    request.method,
    uriEncode(decodeComponent(target.rawPath, false), true),
    canonicalQuery(target.query),
    ...parsed.signedHeaders.map(
      (name) => `${name}:${(headerValue(request, name) ?? "").trim().replace(/ +/g, " ")}`,
    ),
    "",
    parsed.signedHeaders.join(";"),
    parsed.form === "query" ? (contentSha ?? UNSIGNED_PAYLOAD) : payloadHash,
  ].join("\n");
  const scope = `${parsed.date}/${parsed.region}/${parsed.service}/${parsed.terminator}`;
  // Header values arrive as one character per byte (latin1); a non-ASCII value was signed as those bytes, so the
  // canonical request is hashed byte for byte rather than re-encoded as UTF-8. A value holding characters beyond
  // one byte can only come from an in-process Request, whose signer saw UTF-8.
  const canonicalBytes = requestBytes(canonicalRequest);
  const stringToSign = [ALGORITHM, parsed.amzDate, scope, toHex(hash("sha256", canonicalBytes))].join("\n");
  const secret = config.secrets.get(parsed.accessKeyId) ?? "";
  const expected = toHex(hmacSha256(signingKey(secret, parsed.date, parsed.region), stringToSign));
  if (!safeEqual(expected, parsed.signature)) {
    const details: XmlNode[] = [
      ["AWSAccessKeyId", parsed.accessKeyId],
      ["StringToSign", stringToSign],
      ["SignatureProvided", parsed.signature],
      ["StringToSignBytes", bytesOf(stringToSign)],
      ["CanonicalRequest", canonicalRequest],
      ["CanonicalRequestBytes", hexBytes(canonicalBytes)],
    ];
    throw new S3Error(
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
      details,
    );
  }
  return { accessKeyId: parsed.accessKeyId, form: parsed.form, payloadHash, signedHeaders: signed };
}
