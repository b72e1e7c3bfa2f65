CREATE TABLE IF NOT EXISTS `orders` (
  `order_id` VARCHAR(36) COLLATE utf8mb4_0900_bin NOT NULL,
  `status` VARCHAR(20) NULL,
  `event_id` CHAR(36) NOT NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  `shipped_at` DATETIME(6) NULL,
  `last_shipment_id` VARCHAR(36) NULL,
  PRIMARY KEY (`order_id`),
  KEY `idx_orders_shipped_at` (`shipped_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- order.completed
UPDATE `orders` AS t JOIN (SELECT ? AS `k0`, ? AS `v0`, ? AS `v1`, ? AS `v2`) AS u ON t.`order_id` = u.`k0` SET t.`status` = u.`v0`, t.`event_id` = u.`v1`, t.`event_timestamp` = u.`v2` WHERE (t.`event_timestamp` IS NULL OR t.`event_timestamp` <= u.`v2`);

-- order.created
INSERT INTO `orders` (`order_id`,`status`,`event_id`,`event_timestamp`) VALUES (?,?,?,?) AS `projector_new` ON DUPLICATE KEY UPDATE `status` = IF(`orders`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `orders`.`event_timestamp`, `projector_new`.`status`, `orders`.`status`), `event_id` = IF(`orders`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `orders`.`event_timestamp`, `projector_new`.`event_id`, `orders`.`event_id`), `event_timestamp` = IF(`orders`.`event_timestamp` IS NULL OR `projector_new`.`event_timestamp` >= `orders`.`event_timestamp`, `projector_new`.`event_timestamp`, `orders`.`event_timestamp`);

-- shipment.shipped
UPDATE `orders` AS t JOIN (SELECT ? AS `k0`, ? AS `v0`, ? AS `v1`) AS u ON t.`order_id` = u.`k0` SET t.`shipped_at` = COALESCE(t.`shipped_at`, u.`v0`), t.`last_shipment_id` = u.`v1`;
