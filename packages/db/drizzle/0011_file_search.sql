-- Written by hand: drizzle-kit cannot declare FTS5 tables or triggers. Plain SQLite FTS5, so it applies on libSQL and
-- on D1 alike. `file_search` keeps its own copy of the searched text (name, folder path, tags, description), kept in
-- step by the triggers below; a file's row in it is `file.search_rowid` (a stable integer: the file table's own
-- rowid may be renumbered by VACUUM), given in upload order, so newest-first is the index's own reverse order.
-- `owner` (the owner's id as one token) lets a search match only the caller's rows inside the index, so it reads
-- the newest matches first and stops after a page. Prefix indexes of 2 and 3 characters keep short prefixes cheap.
CREATE VIRTUAL TABLE `file_search` USING fts5(
	`owner`, `name`, `path`, `tags`, `description`,
	tokenize = 'unicode61 remove_diacritics 2',
	prefix = '2 3'
);
--> statement-breakpoint
INSERT INTO `file_search` (`rowid`, `owner`, `name`, `path`, `tags`, `description`)
	SELECT `rowid`, `owner_id`, `original_filename`, '', '', `description` FROM `file`;
--> statement-breakpoint
UPDATE `file` SET `search_rowid` = `rowid`;
--> statement-breakpoint
CREATE TRIGGER `file_search_insert` AFTER INSERT ON `file` BEGIN
	INSERT INTO `file_search` (`owner`, `name`, `path`, `tags`, `description`) VALUES (
		new.`owner_id`,
		new.`original_filename`,
		coalesce((SELECT `path` FROM `folder` WHERE `id` = new.`folder_id`), ''),
		(SELECT coalesce(group_concat(`value`, ' '), '') FROM json_each(new.`tags`)),
		new.`description`
	);
	UPDATE `file` SET `search_rowid` = last_insert_rowid() WHERE `id` = new.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `file_search_update` AFTER UPDATE OF `original_filename`, `folder_id`, `tags`, `description` ON `file` BEGIN
	UPDATE `file_search` SET
		`name` = new.`original_filename`,
		`path` = coalesce((SELECT `path` FROM `folder` WHERE `id` = new.`folder_id`), ''),
		`tags` = (SELECT coalesce(group_concat(`value`, ' '), '') FROM json_each(new.`tags`)),
		`description` = new.`description`
	WHERE `rowid` = new.`search_rowid`;
END;
--> statement-breakpoint
CREATE TRIGGER `file_search_delete` AFTER DELETE ON `file` BEGIN
	DELETE FROM `file_search` WHERE `rowid` = old.`search_rowid`;
END;
--> statement-breakpoint
CREATE TRIGGER `file_search_folder_path` AFTER UPDATE OF `path` ON `folder` BEGIN
	UPDATE `file_search` SET `path` = new.`path` WHERE `rowid` IN (
		SELECT `search_rowid` FROM `file` WHERE `owner_id` = new.`owner_id` AND `folder_id` = new.`id`
	);
END;
