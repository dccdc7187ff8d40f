ALTER TABLE `file` ADD `purge_after` integer;--> statement-breakpoint
CREATE INDEX `file_purge_after_idx` ON `file` (`purge_after`);