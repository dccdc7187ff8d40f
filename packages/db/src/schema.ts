/**
 * Drizzle schema for Signet's libSQL database.
 *
 * The four Better Auth tables carry exactly the fields Better Auth 1.7 reads and writes (email + password and the
 * bearer plugin add none). Property names are Better Auth's field names because its Drizzle adapter looks columns
 * up by property; the SQL column names are snake_case.
 */
import { sql } from "drizzle-orm";
import {
  type AnySQLiteColumn,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/** A moment stored as epoch milliseconds and read as a Date. */
const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });

/** The database's own clock, in milliseconds: the default of the times Better Auth may leave unset. */
const NOW_MS = sql`(cast(unixepoch('subsecond') * 1000 as integer))`;

/** When the row was made: Signet writes it from its own (injected) clock; Better Auth's tables default it. */
const createdAt = () => timestamp("created_at").notNull();

/** When what an append-only row records happened (an audit entry, an event, a delivery attempt), by Signet's clock. */
const happenedAt = () => timestamp("at").notNull();

/** A reference to the row this one belongs to: the row is deleted with it. */
const belongsTo = (name: string, parent: () => AnySQLiteColumn) =>
  text(name).notNull().references(parent, { onDelete: "cascade" });

/** The user a row belongs to; the row is deleted with its user. */
const ownerColumn = (name = "user_id") => belongsTo(name, () => user.id);

/** The file a row belongs to; the row is deleted with its file. */
const fileColumn = () => belongsTo("file_id", () => file.id);

/** The webhook endpoint a row belongs to; the row is deleted with its endpoint. */
const endpointColumn = () => belongsTo("endpoint_id", () => webhookEndpoint.id);

/** A table keyed by its user (one row per user), deleted with the user. */
const userKeyColumn = () => ownerColumn().primaryKey();

export const user = sqliteTable("user", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  email: text("email").notNull().unique(),
  emailVerified: integer("email_verified", { mode: "boolean" }).notNull().default(false),
  /** Object key of the profile image: a UUID without extension, assigned once and reused. */
  image: text("image"),
  createdAt: createdAt().default(NOW_MS),
  updatedAt: timestamp("updated_at").notNull().default(NOW_MS),
});

export const session = sqliteTable(
  "session",
  {
    id: text("id").primaryKey(),
    expiresAt: timestamp("expires_at").notNull(),
    token: text("token").notNull().unique(),
    createdAt: createdAt().default(NOW_MS),
    updatedAt: timestamp("updated_at").notNull(),
    ipAddress: text("ip_address"),
    userAgent: text("user_agent"),
    userId: ownerColumn(),
  },
  (t) => [index("session_user_id_idx").on(t.userId)],
);

/** What an OAuth provider hands Better Auth: Signet signs in with email + password only, so these stay empty. */
const oauthTokens = {
  accessToken: text("access_token"),
  refreshToken: text("refresh_token"),
  idToken: text("id_token"),
  accessTokenExpiresAt: timestamp("access_token_expires_at"),
  refreshTokenExpiresAt: timestamp("refresh_token_expires_at"),
  scope: text("scope"),
};

export const account = sqliteTable(
  "account",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    providerId: text("provider_id").notNull(),
    userId: ownerColumn(),
    ...oauthTokens,
    password: text("password"),
    createdAt: createdAt().default(NOW_MS),
    updatedAt: timestamp("updated_at").notNull(),
  },
  (t) => [index("account_user_id_idx").on(t.userId)],
);

export const verification = sqliteTable(
  "verification",
  {
    id: text("id").primaryKey(),
    identifier: text("identifier").notNull(),
    value: text("value").notNull(),
    expiresAt: timestamp("expires_at").notNull(),
    createdAt: createdAt().default(NOW_MS),
    updatedAt: timestamp("updated_at").notNull().default(NOW_MS),
  },
  (t) => [index("verification_identifier_idx").on(t.identifier)],
);

/**
 * A folder of a user's files. Folders are metadata only: object keys never name them, so renaming or moving a
 * folder (or a file between folders) is a row update and never copies an object. `parentId` null: at the root.
 * Root folders' names are unique per user through `folder_root_name_unique` (SQLite treats NULLs as distinct).
 */
export const folder = sqliteTable(
  "folder",
  {
    id: text("id").primaryKey(),
    ownerId: ownerColumn("owner_id"),
    parentId: text("parent_id").references((): AnySQLiteColumn => folder.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /**
     * The names from the root down to this folder joined by `/` (breadcrumbs and search read it); a rename or move
     * rewrites it for the whole subtree in one UPDATE (apps/api services/folders.ts).
     */
    path: text("path").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("folder_owner_parent_name_unique").on(t.ownerId, t.parentId, t.name),
    uniqueIndex("folder_root_name_unique").on(t.ownerId, t.name).where(sql`${t.parentId} is null`),
    index("folder_parent_idx").on(t.parentId),
  ],
);

export const FILE_STATUSES = ["pending", "ready", "rejected", "deleted", "quarantined"] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/**
 * One uploaded (or announced) object: `pending` → `ready` | `rejected` | `deleted`, or, when a blocking webhook
 * endpoint must judge it first, `pending` → `quarantined` → `ready` | `rejected`.
 */
export const file = sqliteTable(
  "file",
  {
    id: text("id").primaryKey(),
    ownerId: ownerColumn("owner_id"),
    key: text("key").notNull(),
    originalFilename: text("original_filename").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    checksumSha256: text("checksum_sha256"),
    etag: text("etag"),
    status: text("status", { enum: FILE_STATUSES }).notNull().default("pending"),
    uploadId: text("upload_id"),
    createdAt: createdAt(),
    uploadExpiresAt: timestamp("upload_expires_at").notNull(),
    completedAt: timestamp("completed_at"),
    /**
     * Set when a row leaves `pending` while its upload URL could still be used: after this time the sweeper
     * deletes the key once more, so a PUT that raced the abort leaves no orphan object.
     */
    purgeAfter: timestamp("purge_after"),
    /** The upload request (reverse share) a guest uploaded this file through; null for the owner's own uploads. */
    uploadRequestId: text("upload_request_id"),
    /** The folder the file is shown in (null: the root). Deleting a folder deletes its files first (services). */
    folderId: text("folder_id").references(() => folder.id, { onDelete: "set null" }),
    /** At most 1000 characters (services/file-metadata.ts). */
    description: text("description").notNull().default(""),
    /** Normalised tags (lower case, trimmed, unique; at most 20 of 40 characters each), as a JSON array. */
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default([]),
    /**
     * The row of this file in the FTS5 index `file_search`, set by the triggers of the file_search migration: a
     * stable integer, unlike this table's implicit rowid, which VACUUM may renumber.
     */
    searchRowid: integer("search_rowid"),
  },
  (t) => [
    uniqueIndex("file_key_unique").on(t.key),
    uniqueIndex("file_search_rowid_unique").on(t.searchRowid),
    // One per sort of a folder's listing (date, name, size, type), so its first page reads 50 rows, not the folder.
    index("file_owner_folder_created_idx").on(t.ownerId, t.folderId, t.createdAt, t.id),
    index("file_owner_folder_name_idx").on(
      t.ownerId,
      t.folderId,
      sql`${t.originalFilename} collate nocase`,
      t.id,
    ),
    index("file_owner_folder_size_idx").on(t.ownerId, t.folderId, t.size, t.id),
    index("file_owner_folder_type_idx").on(t.ownerId, t.folderId, t.contentType, t.id),
    index("file_purge_after_idx").on(t.purgeAfter),
    index("file_owner_created_idx").on(t.ownerId, t.createdAt, t.id),
    index("file_status_expires_idx").on(t.status, t.uploadExpiresAt),
  ],
);

/**
 * The SHA-256 a client declared for one part of a pending multipart upload, signed into that part's URL:
 * completion checks that the part the storage holds carries it. Removed when the file leaves `pending`.
 */
export const uploadPart = sqliteTable(
  "upload_part",
  {
    fileId: fileColumn(),
    partNumber: integer("part_number").notNull(),
    checksumSha256: text("checksum_sha256").notNull(),
  },
  (t) => [primaryKey({ columns: [t.fileId, t.partNumber] })],
);

/**
 * A file's thumbnail: a small WebP the browser rendered and uploaded beside the file (`<file key>.thumb.webp`).
 * `pending` from the signed PUT until completion sniffs it; its bytes are reserved in the owner's quota until it
 * is deleted with its file.
 */
export const fileThumbnail = sqliteTable("file_thumbnail", {
  fileId: fileColumn().primaryKey(),
  userId: ownerColumn(),
  key: text("key").notNull().unique(),
  size: integer("size").notNull(),
  checksumSha256: text("checksum_sha256"),
  status: text("status", { enum: ["pending", "ready"] })
    .notNull()
    .default("pending"),
  createdAt: createdAt(),
});

/**
 * A profile image upload in flight. The browser PUTs to `stagingKey`; only a verified upload is copied over the
 * user's stable key, so a refused upload never destroys the previous image.
 */
export const profileImageUpload = sqliteTable(
  "profile_image_upload",
  {
    id: text("id").primaryKey(),
    userId: ownerColumn(),
    stagingKey: text("staging_key").notNull().unique(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    checksumSha256: text("checksum_sha256"),
    originalFilename: text("original_filename").notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at").notNull(),
    /**
     * Set by the one completion that verifies this upload. The row stays until its URL has expired, so the
     * sweeper deletes the staging key once more then: a replayed PUT to a still-valid URL leaves no orphan.
     */
    claimedAt: timestamp("claimed_at"),
  },
  (t) => [
    index("profile_image_upload_user_idx").on(t.userId, t.createdAt),
    index("profile_image_upload_expires_idx").on(t.expiresAt),
  ],
);

/** Append-only record of what was signed, verified and removed. Never a secret, signature or full URL. */
export const auditEvent = sqliteTable(
  "audit_event",
  {
    id: text("id").primaryKey(),
    at: happenedAt(),
    // No foreign key: the trail outlives the rows it describes.
    actorId: text("actor_id"),
    action: text("action").notNull(),
    objectKey: text("object_key").notNull(),
    fileId: text("file_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index("audit_event_actor_at_idx").on(t.actorId, t.at, t.id)],
);

/** Fixed-window counters shared by every API instance (key is e.g. `issue:<userId>`). */
export const rateLimit = sqliteTable("rate_limit", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  count: integer("count").notNull(),
});

/** Bytes a user has reserved (pending uploads) or stored (ready files). */
export const userQuota = sqliteTable("user_quota", {
  userId: userKeyColumn(),
  reservedBytes: integer("reserved_bytes").notNull().default(0),
});

/** The user's current (verified) profile image; `user.image` holds its key. Its `version` changes per upload. */
export const profileImage = sqliteTable("profile_image", {
  userId: userKeyColumn(),
  contentType: text("content_type").notNull(),
  size: integer("size").notNull(),
  etag: text("etag"),
  version: integer("version").notNull(),
  updatedAt: timestamp("updated_at").notNull(),
});

/**
 * An earlier profile image kept as a version (PROFILE_IMAGE_HISTORY): its object lives at `key`, which is
 * `<stable key>/v/<version>` of the stable key it was archived from; `version` is the `profile_image.version` it
 * had while it was current. Its bytes count against the user's quota (`user_quota.reserved_bytes`).
 */
export const profileImageVersion = sqliteTable(
  "profile_image_version",
  {
    userId: ownerColumn(),
    version: integer("version").notNull(),
    key: text("key").notNull().unique(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    etag: text("etag"),
    /** When this image became the profile image (its upload or restore). */
    createdAt: createdAt(),
    /** When it stopped being the current image and became a version. */
    archivedAt: timestamp("archived_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.version] })],
);

/**
 * An account deletion that was asked for and not yet finished. The row holds no personal data (the user id is a
 * random id): it outlives the user row so that a deletion interrupted midway is finished by the next attempt or
 * by the sweeper, and so that the person's key prefixes are swept once more after every upload URL they were
 * given has expired (a PUT with a still-valid URL could land after the first pass).
 */
export const accountDeletion = sqliteTable(
  "account_deletion",
  {
    userId: text("user_id").primaryKey(),
    /** The profile image key (a UUID), kept because the user row that names it is deleted. */
    imageKey: text("image_key"),
    requestedAt: timestamp("requested_at").notNull(),
    /** Last time a pass started; the sweeper leaves a deletion alone while a pass may still be running. */
    attemptedAt: timestamp("attempted_at").notNull(),
    /** Set once every row and object is gone; the row stays until `purgeAfter` for the last sweep. */
    finishedAt: timestamp("finished_at"),
    /** When the last upload URL issued to the person expires: the prefixes are swept once more after it. */
    purgeAfter: timestamp("purge_after"),
  },
  (t) => [index("account_deletion_attempted_idx").on(t.finishedAt, t.attemptedAt)],
);

/**
 * Better Auth's own rate-limit counters, unused since Signet counts its account routes itself in `rate_limit`
 * (apps/api services/limits.ts AUTH_LIMITS); kept so that Better Auth's limiter can be switched back on.
 */
export const authRateLimit = sqliteTable("auth_rate_limit", {
  id: text("id").primaryKey(),
  key: text("key").notNull().unique(),
  count: integer("count").notNull(),
  lastRequest: integer("last_request").notNull(),
});

export const API_KEY_SCOPES = ["read", "upload", "full"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * Personal API keys for scripts and CI. Only the SHA-256 of a key is stored (the key itself is shown once, at
 * creation); `prefix` is its first characters, enough for a person to tell keys apart in a list.
 */
export const apiKey = sqliteTable(
  "api_key",
  {
    id: text("id").primaryKey(),
    userId: ownerColumn(),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    scope: text("scope", { enum: API_KEY_SCOPES }).notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at"),
    revokedAt: timestamp("revoked_at"),
  },
  (t) => [index("api_key_user_idx").on(t.userId, t.createdAt)],
);

/**
 * A share link on Signet's own origin (`/s/<token>`): its policy is checked on every request before a short
 * presigned GET is handed out. Only the SHA-256 of the token is stored (base64url), so a database leak yields no
 * usable link. `downloads` is counted by one conditional UPDATE that also checks the policy, so the limit holds
 * exactly across instances.
 */
export const shareLink = sqliteTable(
  "share_link",
  {
    id: text("id").primaryKey(),
    fileId: fileColumn(),
    ownerId: ownerColumn("owner_id"),
    tokenHash: text("token_hash").notNull().unique(),
    /** Null: the link never expires (when the operator allows it). */
    expiresAt: timestamp("expires_at"),
    /** Null: no limit on downloads. */
    maxDownloads: integer("max_downloads"),
    downloads: integer("downloads").notNull().default(0),
    lastUsedAt: timestamp("last_used_at"),
    /** scrypt hash in PHC-like form (`scrypt$N$r$p$salt$hash`), or null when the link has no password. */
    passwordHash: text("password_hash"),
    signedInOnly: integer("signed_in_only", { mode: "boolean" }).notNull().default(false),
    revokedAt: timestamp("revoked_at"),
    createdAt: createdAt(),
  },
  (t) => [
    index("share_link_owner_created_idx").on(t.ownerId, t.createdAt, t.id),
    index("share_link_file_idx").on(t.fileId),
  ],
);

/**
 * An upload request (a reverse share): a link through which guests without an account upload into the owner's
 * space, through the same verified pipeline and the owner's quota. Only the token's SHA-256 is stored. `files`
 * counts the uploads started through it, claimed by one conditional UPDATE against `maxFiles`.
 */
export const uploadRequest = sqliteTable(
  "upload_request",
  {
    id: text("id").primaryKey(),
    ownerId: ownerColumn("owner_id"),
    tokenHash: text("token_hash").notNull().unique(),
    /** Shown to guests: what the owner asks for. */
    title: text("title").notNull(),
    /** MIME types (`type/subtype` or `type/*`) guests may upload; null: whatever the server accepts. */
    allowedTypes: text("allowed_types", { mode: "json" }).$type<string[]>(),
    maxFileBytes: integer("max_file_bytes"),
    maxFiles: integer("max_files"),
    files: integer("files").notNull().default(0),
    expiresAt: timestamp("expires_at"),
    passwordHash: text("password_hash"),
    revokedAt: timestamp("revoked_at"),
    createdAt: createdAt(),
  },
  (t) => [index("upload_request_owner_created_idx").on(t.ownerId, t.createdAt, t.id)],
);

/**
 * The outbox: one row per thing that happened to a file or an account, written in the same batch as the change
 * itself, so an event exists exactly when its change committed. No foreign keys: `account.deleted` outlives its
 * user, and the events outlive the files they describe.
 */
export const event = sqliteTable(
  "event",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    at: happenedAt(),
    ownerId: text("owner_id").notNull(),
    fileId: text("file_id"),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index("event_file_type_idx").on(t.fileId, t.type), index("event_at_idx").on(t.at)],
);

/**
 * Where events are POSTed (Standard Webhooks). `ownerId` null: an operator-wide endpoint that receives every
 * user's events. `eventTypes` empty: every type. During a rotation the previous secret still signs until
 * `previousSecretUntil`, so receivers can switch without missing a delivery.
 */
export const webhookEndpoint = sqliteTable(
  "webhook_endpoint",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id").references(() => user.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    description: text("description").notNull().default(""),
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull().default([]),
    secret: text("secret").notNull(),
    previousSecret: text("previous_secret"),
    previousSecretUntil: timestamp("previous_secret_until"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    /** Why it was switched off when Signet did it (a receiver answering 410); null when a person did. */
    disabledReason: text("disabled_reason"),
    /** Reserved for the quarantine verdict: verified files wait for this endpoint's answer. */
    blocking: integer("blocking", { mode: "boolean" }).notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [index("webhook_endpoint_owner_idx").on(t.ownerId, t.createdAt)],
);

export const DELIVERY_STATUSES = ["pending", "delivered", "dead"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One event owed to one endpoint, fanned out in the event's own batch. `leaseUntil`/`leaseOwner` are claimed by
 * one conditional UPDATE, so two instances (or a cron and a request) never attempt it at the same time.
 */
export const webhookDelivery = sqliteTable(
  "webhook_delivery",
  {
    eventId: text("event_id")
      .notNull()
      .references(() => event.id, { onDelete: "cascade" }),
    endpointId: endpointColumn(),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at").notNull(),
    leaseUntil: timestamp("lease_until"),
    leaseOwner: text("lease_owner"),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    createdAt: createdAt(),
    deliveredAt: timestamp("delivered_at"),
  },
  (t) => [
    primaryKey({ columns: [t.eventId, t.endpointId] }),
    index("webhook_delivery_due_idx").on(t.status, t.nextAttemptAt),
    index("webhook_delivery_endpoint_idx").on(t.endpointId, t.createdAt),
  ],
);

/** The delivery log: one row per attempt, kept for WEBHOOK_LOG_DAYS. Never the body or the signature. */
export const webhookAttempt = sqliteTable(
  "webhook_attempt",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id").notNull(),
    endpointId: endpointColumn(),
    at: happenedAt(),
    /** The HTTP status the receiver answered; null when it never answered (timeout, reset, refused). */
    status: integer("status"),
    latencyMs: integer("latency_ms").notNull(),
    error: text("error"),
  },
  (t) => [
    index("webhook_attempt_endpoint_at_idx").on(t.endpointId, t.at),
    index("webhook_attempt_at_idx").on(t.at),
  ],
);
