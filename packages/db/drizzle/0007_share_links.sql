CREATE TABLE `share_link` (
	`id` text PRIMARY KEY NOT NULL,
	`file_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` integer,
	`max_downloads` integer,
	`downloads` integer DEFAULT 0 NOT NULL,
	`last_used_at` integer,
	`password_hash` text,
	`signed_in_only` integer DEFAULT false NOT NULL,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`file_id`) REFERENCES `file`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `share_link_token_hash_unique` ON `share_link` (`token_hash`);--> statement-breakpoint
CREATE INDEX `share_link_owner_created_idx` ON `share_link` (`owner_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `share_link_file_idx` ON `share_link` (`file_id`);