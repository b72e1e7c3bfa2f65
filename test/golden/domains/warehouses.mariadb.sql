CREATE TABLE IF NOT EXISTS `warehouses` (
  `warehouse_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `name` VARCHAR(100) NULL,
  `bin_count` INT NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`warehouse_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `racks` (
  `warehouse_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `rack_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `aisle` VARCHAR(10) NULL,
  PRIMARY KEY (`warehouse_id`, `rack_id`),
  CONSTRAINT `fk_racks_warehouses` FOREIGN KEY (`warehouse_id`) REFERENCES `warehouses` (`warehouse_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `bins` (
  `warehouse_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `rack_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `bin_no` INT NOT NULL,
  `sku` VARCHAR(24) NULL,
  `capacity` INT NULL,
  PRIMARY KEY (`warehouse_id`, `rack_id`, `bin_no`),
  CONSTRAINT `fk_bins_racks` FOREIGN KEY (`warehouse_id`, `rack_id`) REFERENCES `racks` (`warehouse_id`, `rack_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- warehouse.stocked
INSERT INTO `warehouses` (`warehouse_id`,`name`,`bin_count`,`event_timestamp`) VALUES (?,?,?,?) ON DUPLICATE KEY UPDATE `name` = IF(`event_timestamp` IS NULL OR VALUES(`event_timestamp`) >= `event_timestamp`, VALUES(`name`), `name`), `bin_count` = IF(`event_timestamp` IS NULL OR VALUES(`event_timestamp`) >= `event_timestamp`, VALUES(`bin_count`), `bin_count`), `event_timestamp` = IF(`event_timestamp` IS NULL OR VALUES(`event_timestamp`) >= `event_timestamp`, VALUES(`event_timestamp`), `event_timestamp`);
DELETE FROM `racks` WHERE `warehouse_id` IN (?);
INSERT INTO `racks` (`warehouse_id`,`rack_id`,`aisle`) VALUES (?,?,?);
DELETE FROM `bins` WHERE (`warehouse_id`,`rack_id`) IN ((?,?));
INSERT INTO `bins` (`warehouse_id`,`rack_id`,`bin_no`,`sku`,`capacity`) VALUES (?,?,?,?,?);
