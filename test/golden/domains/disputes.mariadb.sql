CREATE TABLE IF NOT EXISTS `payments` (
  `payment_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `status` VARCHAR(16) NULL,
  `amount` DECIMAL(12,2) NULL,
  `dispute_status` VARCHAR(16) NULL,
  `dispute_reason` VARCHAR(64) NULL,
  `dispute_at` DATETIME(6) NULL,
  `refunded_amount` DECIMAL(12,2) NULL,
  `refund_at` DATETIME(6) NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`payment_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- dispute.opened
UPDATE `payments` AS t JOIN (SELECT ? AS `k0`, ? AS `v0`, ? AS `v1`, ? AS `v2`) AS u ON t.`payment_id` = u.`k0` SET t.`dispute_status` = u.`v0`, t.`dispute_reason` = u.`v1`, t.`dispute_at` = u.`v2`;

-- dispute.resolved
UPDATE `payments` AS t JOIN (SELECT ? AS `k0`, ? AS `v0`, ? AS `v1`) AS u ON t.`payment_id` = u.`k0` SET t.`dispute_status` = u.`v0`, t.`dispute_at` = u.`v1`;

-- payment.captured
INSERT INTO `payments` (`payment_id`,`status`,`amount`,`event_timestamp`) VALUES (?,?,?,?) ON DUPLICATE KEY UPDATE `status` = IF(`event_timestamp` IS NULL OR VALUES(`event_timestamp`) >= `event_timestamp`, VALUES(`status`), `status`), `amount` = IF(`event_timestamp` IS NULL OR VALUES(`event_timestamp`) >= `event_timestamp`, VALUES(`amount`), `amount`), `event_timestamp` = IF(`event_timestamp` IS NULL OR VALUES(`event_timestamp`) >= `event_timestamp`, VALUES(`event_timestamp`), `event_timestamp`);

-- payment.settled
UPDATE `payments` AS t JOIN (SELECT ? AS `k0`, ? AS `v0`, ? AS `v1`) AS u ON t.`payment_id` = u.`k0` SET t.`status` = u.`v0`, t.`event_timestamp` = u.`v1` WHERE (t.`event_timestamp` IS NULL OR t.`event_timestamp` <= u.`v1`);

-- refund.issued
UPDATE `payments` AS t JOIN (SELECT ? AS `k0`, ? AS `v0`, ? AS `v1`) AS u ON t.`payment_id` = u.`k0` SET t.`refunded_amount` = u.`v0`, t.`refund_at` = u.`v1`;
