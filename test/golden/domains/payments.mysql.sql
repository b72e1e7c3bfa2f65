CREATE TABLE IF NOT EXISTS `payment_events` (
  `event_id` CHAR(36) COLLATE utf8mb4_0900_bin NOT NULL,
  `payment_id` VARCHAR(36) NOT NULL,
  `event_type` VARCHAR(100) NOT NULL,
  `amount` DECIMAL(12,2) NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`event_timestamp`, `event_id`),
  UNIQUE KEY `uq_payment_events_event_id` (`event_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `payments` (
  `payment_id` VARCHAR(36) COLLATE utf8mb4_0900_bin NOT NULL,
  `order_id` VARCHAR(36) NULL,
  `amount` DECIMAL(12,2) NULL,
  `refunded_amount` DECIMAL(12,2) NULL,
  `currency` CHAR(3) NULL,
  `status` VARCHAR(20) NULL,
  `payer_name` VARCHAR(200) NULL,
  `channel` VARCHAR(20) NULL,
  `created_at` DATETIME(6) NULL,
  `event_id` CHAR(36) NOT NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`payment_id`),
  KEY `idx_payments_order_id` (`order_id`),
  KEY `idx_payments_status` (`status`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `payment_refunds` (
  `payment_id` VARCHAR(36) COLLATE utf8mb4_0900_bin NOT NULL,
  `refund_id` VARCHAR(36) COLLATE utf8mb4_0900_bin NOT NULL,
  `amount` DECIMAL(12,2) NULL,
  `reason` VARCHAR(100) NULL,
  PRIMARY KEY (`payment_id`, `refund_id`),
  CONSTRAINT `fk_payment_refunds_payments` FOREIGN KEY (`payment_id`) REFERENCES `payments` (`payment_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- payment.created
INSERT INTO `payments` (`payment_id`,`order_id`,`amount`,`currency`,`status`,`payer_name`,`channel`,`created_at`,`event_id`,`event_timestamp`) VALUES (?,?,?,?,?,?,?,?,?,?) AS `projector_new` ON DUPLICATE KEY UPDATE `order_id` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`order_id`, `payments`.`order_id`), `amount` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`amount`, `payments`.`amount`), `currency` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`currency`, `payments`.`currency`), `status` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`status`, `payments`.`status`), `payer_name` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`payer_name`, `payments`.`payer_name`), `channel` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`channel`, `payments`.`channel`), `event_id` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`event_id`, `payments`.`event_id`), `event_timestamp` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`event_timestamp`, `payments`.`event_timestamp`);
DELETE FROM `payment_refunds` WHERE `payment_id` IN (?);
INSERT INTO `payment_refunds` (`payment_id`,`refund_id`,`amount`,`reason`) VALUES (?,?,?,?);
INSERT INTO `payment_events` (`payment_id`,`event_type`,`amount`,`event_id`,`event_timestamp`) VALUES (?,?,?,?,?) ON DUPLICATE KEY UPDATE `event_timestamp` = `event_timestamp`;

-- payment.refund_recorded
INSERT INTO `payment_refunds` (`payment_id`,`refund_id`,`amount`,`reason`) VALUES (?,?,?,?) AS `projector_new` ON DUPLICATE KEY UPDATE `amount` = `projector_new`.`amount`, `reason` = `projector_new`.`reason`;

-- payment.refunded
UPDATE `payments` AS t JOIN (SELECT ? AS `k0`, ? AS `v0`, ? AS `v1`, ? AS `v2`, ? AS `v3`) AS u ON t.`payment_id` = u.`k0` SET t.`refunded_amount` = u.`v0`, t.`status` = u.`v1`, t.`event_id` = u.`v2`, t.`event_timestamp` = u.`v3` WHERE (t.`event_timestamp` IS NULL OR t.`event_timestamp` <= u.`v3`);
INSERT INTO `payment_events` (`payment_id`,`event_type`,`amount`,`event_id`,`event_timestamp`) VALUES (?,?,?,?,?) ON DUPLICATE KEY UPDATE `event_timestamp` = `event_timestamp`;

-- payment.updated
INSERT INTO `payments` (`payment_id`,`order_id`,`amount`,`currency`,`status`,`payer_name`,`channel`,`created_at`,`event_id`,`event_timestamp`) VALUES (?,?,?,?,?,?,?,?,?,?) AS `projector_new` ON DUPLICATE KEY UPDATE `order_id` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`order_id`, `payments`.`order_id`), `amount` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`amount`, `payments`.`amount`), `currency` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`currency`, `payments`.`currency`), `status` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`status`, `payments`.`status`), `payer_name` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`payer_name`, `payments`.`payer_name`), `channel` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`channel`, `payments`.`channel`), `event_id` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`event_id`, `payments`.`event_id`), `event_timestamp` = IF(`payments`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `payments`.`event_timestamp`, `projector_new`.`event_timestamp`, `payments`.`event_timestamp`);
DELETE FROM `payment_refunds` WHERE `payment_id` IN (?);
INSERT INTO `payment_refunds` (`payment_id`,`refund_id`,`amount`,`reason`) VALUES (?,?,?,?);
INSERT INTO `payment_events` (`payment_id`,`event_type`,`amount`,`event_id`,`event_timestamp`) VALUES (?,?,?,?,?) ON DUPLICATE KEY UPDATE `event_timestamp` = `event_timestamp`;
