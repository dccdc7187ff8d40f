CREATE TABLE `folder` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`parent_id` text,
	`name` text NOT NULL,
	`path` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `user`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`parent_id`) REFERENCES `folder`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `folder_owner_parent_name_unique` ON `folder` (`owner_id`,`parent_id`,`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `folder_root_name_unique` ON `folder` (`owner_id`,`name`) WHERE "folder"."parent_id" is null;--> statement-breakpoint
CREATE INDEX `folder_parent_idx` ON `folder` (`parent_id`);--> statement-breakpoint
ALTER TABLE `file` ADD `folder_id` text REFERENCES folder(id) ON DELETE set null;--> statement-breakpoint
ALTER TABLE `file` ADD `description` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `file` ADD `tags` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `file` ADD `search_rowid` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `file_search_rowid_unique` ON `file` (`search_rowid`);--> statement-breakpoint
CREATE INDEX `file_owner_folder_created_idx` ON `file` (`owner_id`,`folder_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `file_owner_folder_name_idx` ON `file` (`owner_id`,`folder_id`,"original_filename" collate nocase,`id`);--> statement-breakpoint
CREATE INDEX `file_owner_folder_size_idx` ON `file` (`owner_id`,`folder_id`,`size`,`id`);--> statement-breakpoint
CREATE INDEX `file_owner_folder_type_idx` ON `file` (`owner_id`,`folder_id`,`content_type`,`id`);