CREATE TABLE `upload_request` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`title` text NOT NULL,
	`allowed_types` text,
	`max_file_bytes` integer,
	`max_files` integer,
	`files` integer DEFAULT 0 NOT NULL,
	`expires_at` integer,
	`password_hash` text,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `upload_request_token_hash_unique` ON `upload_request` (`token_hash`);--> statement-breakpoint
CREATE INDEX `upload_request_owner_created_idx` ON `upload_request` (`owner_id`,`created_at`,`id`);--> statement-breakpoint
ALTER TABLE `file` ADD `upload_request_id` text;