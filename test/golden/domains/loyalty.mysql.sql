CREATE TABLE IF NOT EXISTS `carts` (
  `cart_id` VARCHAR(24) COLLATE utf8mb4_0900_bin NOT NULL,
  `user_id` VARCHAR(24) NOT NULL,
  `line_count` INT NOT NULL DEFAULT 0,
  `item_count` BIGINT NULL DEFAULT 0,
  `total` DECIMAL(14,2) NULL DEFAULT '0.00',
  PRIMARY KEY (`cart_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `cart_lines` (
  `cart_id` VARCHAR(24) COLLATE utf8mb4_0900_bin NOT NULL,
  `sku` VARCHAR(24) COLLATE utf8mb4_0900_bin NOT NULL,
  `quantity` INT NOT NULL DEFAULT 0,
  `unit_price` DECIMAL(12,2) NULL,
  PRIMARY KEY (`cart_id`, `sku`),
  CONSTRAINT `fk_cart_lines_carts` FOREIGN KEY (`cart_id`) REFERENCES `carts` (`cart_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `loyalty_accounts` (
  `user_id` VARCHAR(24) COLLATE utf8mb4_0900_bin NOT NULL,
  `tier` VARCHAR(16) NULL,
  `points` INT NOT NULL DEFAULT 0,
  `renewals` INT NOT NULL DEFAULT 0,
  `largest_order` DECIMAL(12,2) NULL,
  `first_seen` DATETIME(6) NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `cart_lines__counted` (
  `op_hash` BINARY(20) NOT NULL,
  PRIMARY KEY (`op_hash`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `loyalty_accounts__counted` (
  `op_hash` BINARY(20) NOT NULL,
  PRIMARY KEY (`op_hash`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- cart.created
INSERT INTO `carts` (`cart_id`,`user_id`) VALUES (?,?) AS `projector_new` ON DUPLICATE KEY UPDATE `user_id` = `projector_new`.`user_id`;

-- cart.item_added
INSERT INTO `cart_lines` (`cart_id`,`sku`,`quantity`,`unit_price`) VALUES (?,?,?,?) AS `projector_new` ON DUPLICATE KEY UPDATE `quantity` = COALESCE(`cart_lines`.`quantity`, 0) + `projector_new`.`quantity`, `unit_price` = `projector_new`.`unit_price`;
SELECT op_hash FROM `cart_lines__counted` WHERE op_hash IN (?);
INSERT INTO `cart_lines__counted` (`op_hash`) VALUES (?);

-- cart.item_removed
UPDATE `cart_lines` AS t JOIN (SELECT ? AS `k0`, ? AS `k1`, ? AS `v0`) AS u ON t.`cart_id` = u.`k0` AND t.`sku` = u.`k1` SET t.`quantity` = COALESCE(t.`quantity`, 0) + u.`v0`;
SELECT op_hash FROM `cart_lines__counted` WHERE op_hash IN (?);
INSERT INTO `cart_lines__counted` (`op_hash`) VALUES (?);

-- loyalty.joined
INSERT INTO `loyalty_accounts` (`user_id`,`tier`,`first_seen`,`event_timestamp`) VALUES (?,?,?,?) AS `projector_new` ON DUPLICATE KEY UPDATE `tier` = IF(`loyalty_accounts`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `loyalty_accounts`.`event_timestamp`, `projector_new`.`tier`, `loyalty_accounts`.`tier`), `first_seen` = IF(`loyalty_accounts`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `loyalty_accounts`.`event_timestamp`, LEAST(COALESCE(`loyalty_accounts`.`first_seen`, `projector_new`.`first_seen`), `projector_new`.`first_seen`), `loyalty_accounts`.`first_seen`), `event_timestamp` = IF(`loyalty_accounts`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `loyalty_accounts`.`event_timestamp`, `projector_new`.`event_timestamp`, `loyalty_accounts`.`event_timestamp`);

-- loyalty.points_earned
UPDATE `loyalty_accounts` AS t JOIN (SELECT ? AS `k0`, ? AS `v0`, ? AS `v1`) AS u ON t.`user_id` = u.`k0` SET t.`points` = COALESCE(t.`points`, 0) + u.`v0`, t.`largest_order` = GREATEST(COALESCE(t.`largest_order`, CAST(u.`v1` AS DECIMAL(12,2))), CAST(u.`v1` AS DECIMAL(12,2)));
SELECT op_hash FROM `loyalty_accounts__counted` WHERE op_hash IN (?);
INSERT INTO `loyalty_accounts__counted` (`op_hash`) VALUES (?);

-- loyalty.points_redeemed
UPDATE `loyalty_accounts` AS t JOIN (SELECT ? AS `k0`, ? AS `v0`) AS u ON t.`user_id` = u.`k0` SET t.`points` = COALESCE(t.`points`, 0) + u.`v0`;
SELECT op_hash FROM `loyalty_accounts__counted` WHERE op_hash IN (?);
INSERT INTO `loyalty_accounts__counted` (`op_hash`) VALUES (?);

-- subscription.renewed
UPDATE `loyalty_accounts` AS t JOIN (SELECT ? AS `k0`, ? AS `v0`) AS u ON t.`user_id` = u.`k0` SET t.`renewals` = COALESCE(t.`renewals`, 0) + u.`v0`;
SELECT op_hash FROM `loyalty_accounts__counted` WHERE op_hash IN (?);
INSERT INTO `loyalty_accounts__counted` (`op_hash`) VALUES (?);
