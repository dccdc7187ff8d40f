/**
 * Configuration: the only module that reads `process.env`. Everything else receives a parsed `Config`.
 */
import { z } from "zod";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const TiB = 1024 ** 4;

/** "image/*, application/pdf": a comma-separated list of MIME types, each `type/subtype` or `type/*`. */
const contentTypeList = z
  .string()
  .transform((v) =>
    v
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(
        z.string().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$/, {
          error: (issue) => `"${issue.input}" is not a MIME type such as image/png or image/*`,
        }),
      )
      .min(1, "must list at least one MIME type such as image/* or application/pdf"),
  );

/** The limits and lifetimes the services enforce (seconds and bytes). */
export interface Limits {
  uploadUrlTtl: number;
  downloadUrlTtl: number;
  profileImageDownloadTtl: number;
  shareUrlMaxTtl: number;
  /** Longest lifetime of a share link (`/s/<token>`) in seconds; null lets links live until revoked. */
  shareLinkMaxTtl: number | null;
  maxFileBytes: number;
  /** Files of at least this size are uploaded in parts (multipart); smaller ones in one PUT. */
  multipartThresholdBytes: number;
  /** How long a multipart upload may take in all, in seconds; each part URL still lives `uploadUrlTtl`. */
  multipartUploadTtl: number;
  maxAvatarBytes: number;
  userQuotaBytes: number;
  rateLimitPerMinute: number;
  /** Earlier profile images kept as versions beside the current one; 0 keeps only the current image. */
  profileImageHistory: number;
  /** The file types uploads may declare (`type/subtype` or `type/*`); unset accepts any MIME type. */
  allowedContentTypes: string[] | null;
}

/** Where traces go: the standard OTEL_* variables. */
export interface OtelConfig {
  /** OTLP/HTTP traces URL (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces). */
  tracesEndpoint: string;
  headers: Record<string, string>;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  /** Which traces are kept (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG); unset, parentbased_always_on. */
  sampler?: TraceSampler | undefined;
}

/** The standard OTEL_TRACES_SAMPLER values Signet takes (the remote samplers need a service it does not talk to). */
export const TRACE_SAMPLERS = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;

export interface TraceSampler {
  name: (typeof TRACE_SAMPLERS)[number];
  /** The share of traces kept by the ratio samplers, 0 to 1. */
  ratio: number;
}

/** Metrics, readiness and traces (METRICS_ENABLED, METRICS_TOKEN, DOCTOR_INTERVAL, OTEL_*). */
export interface ObservabilityConfig {
  /** Off: no registry and no measuring; /metrics answers 404. */
  metricsEnabled: boolean;
  /** When set, /metrics answers only `Authorization: Bearer <token>`; unset, only loopback peers. */
  metricsToken?: string | undefined;
  /** Seconds between runs of the storage doctor's probes behind `signet_bucket_check` (0: never). */
  doctorIntervalSeconds: number;
  /** Set when an OTLP endpoint is: traces on. */
  otel?: OtelConfig | undefined;
}

/** Parsed, validated configuration. */
export interface Config {
  port: number;
  host: string;
  /** Origin of the SPA (no trailing slash). Unset means `http://localhost:<bound port>`, decided at start-up. */
  publicUrl: string | undefined;
  databaseUrl: string;
  databaseAuthToken: string | undefined;
  s3: {
    /** Unset: the embedded local-s3 endpoint is started. */
    endpoint: string | undefined;
    bucket: string;
    region: string;
    accessKeyId: string | undefined;
    secretAccessKey: string | undefined;
  };
  localS3: { port: number; dir: string };
  betterAuthSecret: string | undefined;
  dataDir: string;
  /** The built SPA to serve; unset means apps/web/dist beside this package (`builtSpaDir`). */
  webDistDir: string | undefined;
  /** Whether X-Forwarded-For was set by a proxy in front of Signet (TRUST_PROXY=true) and may be believed. */
  trustProxy: boolean;
  limits: Limits;
  accounts: AccountsConfig;
  observability: ObservabilityConfig;
  /** Scheduled backups of the database (BACKUP_DIR); unset: off. */
  backup: BackupConfig | undefined;
  webhooks: WebhooksConfig;
}

/** Where and how often the server snapshots its database (`signet backup` on a timer). */
export interface BackupConfig {
  dir: string;
  intervalSeconds: number;
  /** Backups kept in `dir`; older ones are deleted after each new one. */
  keep: number;
}

/** Webhook delivery (services/webhook-delivery.ts) and which receivers are allowed (services/webhook-url.ts). */
export interface WebhooksConfig {
  /** WEBHOOKS_ALLOW_PRIVATE: receivers on loopback, private or link-local addresses, and plain http (development). */
  allowPrivate: boolean;
  /** WEBHOOK_LOG_DAYS: how long the delivery log keeps its attempts. */
  logDays: number;
  /** WEBHOOK_TIMEOUT_MS: how long one attempt may take before it counts as failed. */
  timeoutMs: number;
}

/** Outgoing mail and email verification (password reset, verification and change-email mails). */
export interface AccountsConfig {
  /** `smtp://` or `smtps://` URL of the mail server; unset keeps mail in the development mailbox at /dev/mail. */
  smtpUrl: string | undefined;
  /** The From address of Signet's mails; required with SMTP_URL. */
  mailFrom: string | undefined;
  /** Unverified accounts may sign in but not issue upload URLs. */
  requireEmailVerification: boolean;
}

/** A configuration error naming the variable, shown to the operator at start-up. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

type Source = Record<string, string | undefined>;

const ttl = z.coerce.number().int("must be a whole number of seconds").min(1).max(604800);
const port = z.coerce.number().int("must be an integer").min(0).max(65535);
const bytes = z.coerce.number().int("must be a whole number of bytes").min(1).max(Number.MAX_SAFE_INTEGER);
const flag = z
  .string()
  .transform((v) => v.toLowerCase())
  .pipe(z.enum(["true", "false", "1", "0"], { error: 'must be "true" or "false"' }))
  .transform((v) => v === "true" || v === "1");
const url = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

function pick(source: Source, ...names: string[]): [string, string] | undefined {
  for (const name of names) {
    const value = source[name];
    if (value !== undefined && value.trim() !== "") return [name, value.trim()];
  }
  return undefined;
}

function parse<T>(schema: z.ZodType<T>, name: string, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const reason = result.error.issues.map((i) => i.message).join("; ");
    throw new ConfigError(`${name}: ${reason} (got ${JSON.stringify(value)})`);
  }
  return result.data;
}

function optional<T>(source: Source, schema: z.ZodType<T>, fallback: T, ...names: string[]): T {
  const found = pick(source, ...names);
  return found ? parse(schema, found[0], found[1]) : fallback;
}

function joinPath(base: string, child: string): string {
  return `${base.replace(/\/+$/, "")}/${child}`;
}

/**
 * Validates an environment. Throws `ConfigError` naming the first bad variable. Accepts the R2 guides' names as
 * aliases of the `S3_*` variables.
 */
export function parseEnv(source: Source): Config {
  const dataDir = optional(source, z.string(), "./data", "DATA_DIR");

  let endpoint = optional(source, url, undefined as string | undefined, "S3_ENDPOINT", "R2_ENDPOINT");
  const account = pick(source, "CLOUDFLARE_ACCOUNT_ID");
  if (!endpoint && account) {
    const id = parse(z.string().regex(/^[a-zA-Z0-9]{1,64}$/, "must be a Cloudflare account id"), ...account);
    endpoint = `https://${id}.r2.cloudflarestorage.com`;
  }
  if (endpoint) endpoint = endpoint.replace(/\/+$/, "");

  const accessKeyId = pick(source, "S3_ACCESS_KEY_ID", "R2_ACCESS_KEY_ID", "R2_ACCESS_KEY")?.[1];
  const secretAccessKey = pick(source, "S3_SECRET_ACCESS_KEY", "R2_SECRET_ACCESS_KEY", "R2_SECRET_KEY")?.[1];
  const betterAuthSecret = pick(source, "BETTER_AUTH_SECRET")?.[1];
  if (endpoint) {
    // A real bucket means a real deployment: nothing may be generated.
    if (!accessKeyId) throw new ConfigError("S3_ACCESS_KEY_ID: required when S3_ENDPOINT is set");
    if (!secretAccessKey) throw new ConfigError("S3_SECRET_ACCESS_KEY: required when S3_ENDPOINT is set");
    if (!betterAuthSecret) throw new ConfigError("BETTER_AUTH_SECRET: required when S3_ENDPOINT is set");
  }
  if (betterAuthSecret !== undefined && betterAuthSecret.length < 32) {
    throw new ConfigError("BETTER_AUTH_SECRET: must be at least 32 characters");
  }

  const publicUrlRaw = optional(source, url, undefined as string | undefined, "PUBLIC_URL");
  const publicUrl = publicUrlRaw ? new URL(publicUrlRaw).origin : undefined;

  const bucket = optional(
    source,
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid bucket name (3-63 of a-z 0-9 . -)"),
    "signet",
    "S3_BUCKET",
    "R2_BUCKET_NAME",
    "R2_BUCKET",
  );

  return {
    port: optional(source, port, 8787, "PORT"),
    host: optional(source, z.string().min(1), "127.0.0.1", "HOST"),
    publicUrl,
    databaseUrl: optional(
      source,
      z.string().regex(/^(file|libsql|https?|wss?):/, "must be a file:, libsql:, http(s): or ws(s): URL"),
      `file:${joinPath(dataDir, "signet.db")}`,
      "DATABASE_URL",
    ),
    databaseAuthToken: pick(source, "DATABASE_AUTH_TOKEN")?.[1],
    s3: {
      endpoint,
      bucket,
      region: optional(
        source,
        z.string().regex(/^[a-z0-9-]*$/, "must be a region name"),
        "auto",
        "S3_REGION",
      ),
      accessKeyId,
      secretAccessKey,
    },
    localS3: {
      port: optional(source, port, 9000, "LOCAL_S3_PORT"),
      dir: optional(source, z.string().min(1), joinPath(dataDir, "s3"), "LOCAL_S3_DIR"),
    },
    betterAuthSecret,
    dataDir,
    webDistDir: optional(source, z.string().min(1), undefined as string | undefined, "WEB_DIST_DIR"),
    trustProxy: optional(source, flag, false, "TRUST_PROXY"),
    limits: {
      uploadUrlTtl: optional(source, ttl, 600, "UPLOAD_URL_TTL"),
      downloadUrlTtl: optional(source, ttl, 900, "DOWNLOAD_URL_TTL"),
      profileImageDownloadTtl: optional(source, ttl, 3600, "PROFILE_IMAGE_DOWNLOAD_TTL"),
      shareUrlMaxTtl: optional(source, ttl.min(60, "must be at least 60"), 604800, "SHARE_URL_MAX_TTL"),
      // 0 (the default) means no cap: an owner may make a link that lives until revoked.
      shareLinkMaxTtl:
        optional(
          source,
          z.coerce
            .number()
            .int("must be a whole number of seconds")
            .min(0)
            .max(3650 * 86400, "must be at most 315360000 (10 years)"),
          0,
          "SHARE_LINK_MAX_TTL",
        ) || null,
      // S3's object limit; past MULTIPART_THRESHOLD_BYTES a file goes in parts, so the 5 GiB PUT limit no longer binds.
      maxFileBytes: optional(source, bytes.max(5 * TiB, "must be at most 5 TiB"), 50 * GiB, "MAX_FILE_BYTES"),
      // A single PUT carries at most 5 GiB, so every file at or past that size must go in parts.
      multipartThresholdBytes: optional(
        source,
        bytes.max(5 * GiB, "must be at most 5 GiB (the largest single PUT)"),
        64 * MiB,
        "MULTIPART_THRESHOLD_BYTES",
      ),
      multipartUploadTtl: optional(
        source,
        z.coerce
          .number()
          .int("must be a whole number of seconds")
          .min(60)
          .max(7 * 86400),
        86400,
        "MULTIPART_UPLOAD_TTL",
      ),
      maxAvatarBytes: optional(source, bytes, 5 * MiB, "MAX_AVATAR_BYTES"),
      userQuotaBytes: optional(source, bytes, 10 * GiB, "USER_QUOTA_BYTES"),
      rateLimitPerMinute: optional(source, z.coerce.number().int().min(1), 120, "RATE_LIMIT_PER_MINUTE"),
      profileImageHistory: optional(
        source,
        z.coerce.number().int("must be a whole number").min(0).max(100),
        5,
        "PROFILE_IMAGE_HISTORY",
      ),
      allowedContentTypes: optional(
        source,
        contentTypeList,
        null as string[] | null,
        "ALLOWED_CONTENT_TYPES",
      ),
    },
    accounts: parseAccounts(source),
    backup: parseBackup(source),
    observability: parseObservability(source),
    webhooks: {
      allowPrivate: optional(source, flag, false, "WEBHOOKS_ALLOW_PRIVATE"),
      logDays: optional(
        source,
        z.coerce.number().int("must be a whole number of days").min(1).max(365),
        14,
        "WEBHOOK_LOG_DAYS",
      ),
      timeoutMs: optional(
        source,
        z.coerce.number().int("must be a whole number of milliseconds").min(100).max(30_000),
        10_000,
        "WEBHOOK_TIMEOUT_MS",
      ),
    },
  };
}

/** "k=v,k2=v2" (percent-encoded values), the OTel list format of OTEL_EXPORTER_OTLP_HEADERS and friends. */
function keyValueList(source: Source, name: string): Record<string, string> {
  const found = pick(source, name);
  const out: Record<string, string> = {};
  if (!found) return out;
  for (const item of found[1].split(",")) {
    const at = item.indexOf("=");
    const key = item.slice(0, at).trim();
    if (at <= 0 || !key)
      throw new ConfigError(`${name}: must be a list of key=value pairs separated by commas`);
    try {
      out[key] = decodeURIComponent(item.slice(at + 1).trim());
    } catch {
      throw new ConfigError(`${name}: the value of "${key}" is not valid percent-encoding`);
    }
  }
  return out;
}

function parseObservability(source: Source): ObservabilityConfig {
  const metricsToken = optional(
    source,
    z.string().min(16, "must be at least 16 characters").regex(/^\S+$/, "must not contain spaces"),
    undefined as string | undefined,
    "METRICS_TOKEN",
  );
  const tracesUrl = optional(
    source,
    url,
    undefined as string | undefined,
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  );
  const baseUrl = optional(source, url, undefined as string | undefined, "OTEL_EXPORTER_OTLP_ENDPOINT");
  const disabled =
    optional(source, flag, false, "OTEL_SDK_DISABLED") ||
    pick(source, "OTEL_TRACES_EXPORTER")?.[1].toLowerCase() === "none";
  const tracesEndpoint = tracesUrl ?? (baseUrl ? `${baseUrl.replace(/\/+$/, "")}/v1/traces` : undefined);
  return {
    metricsEnabled: optional(source, flag, true, "METRICS_ENABLED"),
    metricsToken,
    doctorIntervalSeconds: optional(
      source,
      z.coerce
        .number()
        .int("must be a whole number of seconds")
        .min(0)
        .max(7 * 86400),
      300,
      "DOCTOR_INTERVAL",
    ),
    otel:
      tracesEndpoint && !disabled
        ? {
            tracesEndpoint,
            headers: {
              ...keyValueList(source, "OTEL_EXPORTER_OTLP_HEADERS"),
              ...keyValueList(source, "OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
            },
            serviceName: optional(source, z.string().min(1), "signet", "OTEL_SERVICE_NAME"),
            resourceAttributes: keyValueList(source, "OTEL_RESOURCE_ATTRIBUTES"),
            sampler: {
              name: optional(
                source,
                z
                  .string()
                  .transform((v) => v.toLowerCase())
                  .pipe(z.enum(TRACE_SAMPLERS, { error: `must be one of ${TRACE_SAMPLERS.join(", ")}` })),
                "parentbased_always_on",
                "OTEL_TRACES_SAMPLER",
              ),
              ratio: optional(
                source,
                z.coerce.number({ error: "must be a number" }).min(0).max(1),
                1,
                "OTEL_TRACES_SAMPLER_ARG",
              ),
            },
          }
        : undefined,
  };
}

function parseBackup(source: Source): BackupConfig | undefined {
  const dir = optional(source, z.string().min(1), undefined as string | undefined, "BACKUP_DIR");
  const intervalSeconds = optional(
    source,
    z.coerce
      .number()
      .int("must be a whole number of seconds")
      .min(60)
      .max(31 * 86400),
    86400,
    "BACKUP_INTERVAL",
  );
  const keep = optional(
    source,
    z.coerce.number().int("must be a whole number").min(1).max(10000),
    7,
    "BACKUP_KEEP",
  );
  return dir ? { dir, intervalSeconds, keep } : undefined;
}

function parseAccounts(source: Source): AccountsConfig {
  const smtpUrl = optional(
    source,
    z.url({ protocol: /^smtps?$/, error: "must be an smtp:// or smtps:// URL" }),
    undefined as string | undefined,
    "SMTP_URL",
  );
  const mailFrom = optional(
    source,
    z
      .string()
      .regex(/^[^<>@\s]+@[^<>@\s]+$|^[^<>]*<[^<>@\s]+@[^<>@\s]+>$/, "must be an address or Name <address>"),
    undefined as string | undefined,
    "MAIL_FROM",
  );
  if (smtpUrl && !mailFrom) throw new ConfigError("MAIL_FROM: required when SMTP_URL is set");
  return {
    smtpUrl,
    mailFrom,
    requireEmailVerification: optional(source, flag, false, "REQUIRE_EMAIL_VERIFICATION"),
  };
}

/**
 * Validates a Cloudflare Worker's bindings like an environment. Secrets are strings; wrangler's `vars` may also be
 * numbers or booleans (`"RATE_LIMIT_PER_MINUTE": 60`), read as their text. D1, assets and other bindings are
 * objects and ignored here.
 */
export function parseBindings(bindings: Record<string, unknown>): Config {
  const source: Source = {};
  for (const [name, value] of Object.entries(bindings)) {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      source[name] = String(value);
    }
  }
  return parseEnv(source);
}

/** Reads and validates `process.env`; `defaults` fill variables that are unset or empty. */
export function readEnv(defaults: Record<string, string> = {}): Config {
  const source: Record<string, string | undefined> = { ...process.env };
  for (const [name, value] of Object.entries(defaults)) source[name] ||= value;
  return parseEnv(source);
}
