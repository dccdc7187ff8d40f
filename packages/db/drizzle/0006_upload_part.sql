CREATE TABLE `upload_part` (
	`file_id` text NOT NULL,
	`part_number` integer NOT NULL,
	`checksum_sha256` text NOT NULL,
	PRIMARY KEY(`file_id`, `part_number`),
	FOREIGN KEY (`file_id`) REFERENCES `file`(`id`) ON UPDATE no action ON DELETE cascade
);
