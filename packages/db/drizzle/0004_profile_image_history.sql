CREATE TABLE `profile_image_version` (
	`user_id` text NOT NULL,
	`version` integer NOT NULL,
	`key` text NOT NULL,
	`content_type` text NOT NULL,
	`size` integer NOT NULL,
	`etag` text,
	`created_at` integer NOT NULL,
	`archived_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `version`),
	FOREIGN KEY (`user_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `profile_image_version_key_unique` ON `profile_image_version` (`key`);