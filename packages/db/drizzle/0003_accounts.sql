CREATE TABLE `account_deletion` (
	`user_id` text PRIMARY KEY NOT NULL,
	`image_key` text,
	`requested_at` integer NOT NULL,
	`attempted_at` integer NOT NULL,
	`finished_at` integer,
	`purge_after` integer
);
--> statement-breakpoint
CREATE INDEX `account_deletion_attempted_idx` ON `account_deletion` (`finished_at`,`attempted_at`);--> statement-breakpoint
CREATE TABLE `auth_rate_limit` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`count` integer NOT NULL,
	`last_request` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `auth_rate_limit_key_unique` ON `auth_rate_limit` (`key`);