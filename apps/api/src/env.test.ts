import { describe, expect, it } from "vitest";
import { ConfigError, parseBindings, parseEnv } from "./env.ts";

const SECRET = "s".repeat(32);

describe("parseEnv", () => {
  it("has working defaults with no configuration at all", () => {
    const config = parseEnv({});
    expect(config).toMatchObject({
      port: 8787,
      host: "127.0.0.1",
      publicUrl: undefined,
      databaseUrl: "file:./data/signet.db",
      s3: { endpoint: undefined, bucket: "signet", region: "auto" },
      localS3: { port: 9000, dir: "./data/s3" },
      limits: {
        uploadUrlTtl: 600,
        downloadUrlTtl: 900,
        profileImageDownloadTtl: 3600,
        shareUrlMaxTtl: 604800,
        shareLinkMaxTtl: null,
        maxFileBytes: 50 * 1024 ** 3,
        multipartThresholdBytes: 64 * 1024 ** 2,
        multipartUploadTtl: 86400,
        maxAvatarBytes: 5 * 1024 ** 2,
        userQuotaBytes: 10 * 1024 ** 3,
        rateLimitPerMinute: 120,
        profileImageHistory: 5,
        allowedContentTypes: null,
      },
      trustProxy: false,
    });
    expect(config.webDistDir).toBeUndefined();
  });

  it("reads ALLOWED_CONTENT_TYPES as a list of types and families, and names a bad entry", () => {
    expect(
      parseEnv({ ALLOWED_CONTENT_TYPES: " image/*, Application/PDF ,," }).limits.allowedContentTypes,
    ).toEqual(["image/*", "application/pdf"]);
    expect(() => parseEnv({ ALLOWED_CONTENT_TYPES: "image/*, pdf" })).toThrow(
      /ALLOWED_CONTENT_TYPES.*"pdf" is not a MIME type/,
    );
  });

  it("derives the data paths from DATA_DIR and normalizes PUBLIC_URL to an origin", () => {
    const config = parseEnv({ DATA_DIR: "/tmp/x/", PUBLIC_URL: "https://files.example.com/", PORT: "0" });
    expect(config.databaseUrl).toBe("file:/tmp/x/signet.db");
    expect(config.localS3.dir).toBe("/tmp/x/s3");
    expect(config.publicUrl).toBe("https://files.example.com");
    expect(config.port).toBe(0);
  });

  it("accepts the R2 guides' names", () => {
    const config = parseEnv({
      CLOUDFLARE_ACCOUNT_ID: "abc123",
      R2_BUCKET_NAME: "my-bucket",
      R2_ACCESS_KEY: "AKID",
      R2_SECRET_KEY: "SECRET",
      BETTER_AUTH_SECRET: SECRET,
    });
    expect(config.s3).toEqual({
      endpoint: "https://abc123.r2.cloudflarestorage.com",
      bucket: "my-bucket",
      region: "auto",
      accessKeyId: "AKID",
      secretAccessKey: "SECRET",
    });
  });

  it.each([
    [{ PORT: "eighty" }, /^PORT:/],
    [{ PORT: "70000" }, /^PORT:/],
    [{ UPLOAD_URL_TTL: "0" }, /^UPLOAD_URL_TTL:/],
    [{ DOWNLOAD_URL_TTL: "604801" }, /^DOWNLOAD_URL_TTL:/],
    [{ PROFILE_IMAGE_DOWNLOAD_TTL: "1.5" }, /^PROFILE_IMAGE_DOWNLOAD_TTL:/],
    [{ SHARE_URL_MAX_TTL: "30" }, /^SHARE_URL_MAX_TTL:/],
    [{ MAX_FILE_BYTES: "-1" }, /^MAX_FILE_BYTES:/],
    [{ MAX_FILE_BYTES: String(5 * 1024 ** 4 + 1) }, /^MAX_FILE_BYTES: must be at most 5 TiB/],
    [
      { MULTIPART_THRESHOLD_BYTES: String(6 * 1024 ** 3) },
      /^MULTIPART_THRESHOLD_BYTES: must be at most 5 GiB/,
    ],
    [{ USER_QUOTA_BYTES: "lots" }, /^USER_QUOTA_BYTES:/],
    [{ RATE_LIMIT_PER_MINUTE: "0" }, /^RATE_LIMIT_PER_MINUTE:/],
    [{ PROFILE_IMAGE_HISTORY: "-1" }, /^PROFILE_IMAGE_HISTORY:/],
    [{ PUBLIC_URL: "localhost:8787" }, /^PUBLIC_URL:/],
    [{ DATABASE_URL: "postgres://db" }, /^DATABASE_URL:/],
    [{ S3_BUCKET: "Bad_Bucket" }, /^S3_BUCKET:/],
    [{ R2_ENDPOINT: "not a url" }, /^R2_ENDPOINT:/],
    [{ S3_ENDPOINT: "https://s3.example.com" }, /^S3_ACCESS_KEY_ID: required/],
    [
      { S3_ENDPOINT: "https://s3.example.com", S3_ACCESS_KEY_ID: "a", S3_SECRET_ACCESS_KEY: "b" },
      /^BETTER_AUTH_SECRET: required/,
    ],
    [{ BETTER_AUTH_SECRET: "short" }, /^BETTER_AUTH_SECRET: must be at least 32/],
  ])("refuses %j naming the variable", (env, message) => {
    expect(() => parseEnv(env)).toThrow(ConfigError);
    expect(() => parseEnv(env)).toThrow(message);
  });

  it("trusts X-Forwarded-For only when TRUST_PROXY says so", () => {
    expect(parseEnv({}).trustProxy).toBe(false);
    expect(parseEnv({ TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(parseEnv({ TRUST_PROXY: "0" }).trustProxy).toBe(false);
    expect(() => parseEnv({ TRUST_PROXY: "yes please" })).toThrow(/^TRUST_PROXY: /);
  });
});

describe("parseBindings (Cloudflare Workers)", () => {
  it("reads vars and secrets like variables, numbers and booleans included, and ignores binding objects", () => {
    const config = parseBindings({
      DB: { prepare() {} },
      ASSETS: { fetch() {} },
      R2_ENDPOINT: "https://account.r2.cloudflarestorage.com",
      R2_ACCESS_KEY_ID: "key",
      R2_SECRET_ACCESS_KEY: "secret",
      BETTER_AUTH_SECRET: "s".repeat(32),
      RATE_LIMIT_PER_MINUTE: 60,
      TRUST_PROXY: true,
    });
    expect(config.s3).toMatchObject({
      endpoint: "https://account.r2.cloudflarestorage.com",
      accessKeyId: "key",
      secretAccessKey: "secret",
    });
    expect(config.limits.rateLimitPerMinute).toBe(60);
    expect(config.trustProxy).toBe(true);
  });

  it("names a bad var", () => {
    expect(() => parseBindings({ UPLOAD_URL_TTL: 0 })).toThrow(/^UPLOAD_URL_TTL:/);
    expect(() => parseBindings({ UPLOAD_URL_TTL: 0 })).toThrow(ConfigError);
  });
});
