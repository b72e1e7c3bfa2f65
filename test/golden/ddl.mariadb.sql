CREATE TABLE IF NOT EXISTS `communities` (
  `community_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `name` VARCHAR(100) NULL,
  `slug` VARCHAR(100) NULL,
  `description` TEXT NULL,
  `owner_id` VARCHAR(24) NULL,
  `owner_name` VARCHAR(100) NULL,
  `visibility` VARCHAR(20) NULL,
  `requires_approval` BOOLEAN NULL,
  `member_count` INT NULL DEFAULT 0,
  `status` VARCHAR(20) NULL,
  `verified` BOOLEAN NULL DEFAULT 0,
  `created_at` DATETIME(6) NULL,
  `updated_at` DATETIME(6) NULL,
  `event_id` CHAR(36) NOT NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`community_id`),
  KEY `idx_communities_owner_id` (`owner_id`),
  KEY `idx_communities_status` (`status`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `community_events` (
  `event_id` CHAR(36) COLLATE utf8mb4_nopad_bin NOT NULL,
  `community_id` VARCHAR(24) NOT NULL,
  `event_type` VARCHAR(100) NOT NULL,
  `admin_id` VARCHAR(24) NULL,
  `reason` TEXT NULL,
  `event_data` JSON NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`event_timestamp`, `event_id`),
  UNIQUE KEY `uq_community_events_event_id` (`event_id`),
  KEY `idx_community_events_community_id` (`community_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `community_memberships` (
  `event_id` CHAR(36) COLLATE utf8mb4_nopad_bin NOT NULL,
  `community_id` VARCHAR(24) NOT NULL,
  `user_id` VARCHAR(24) NULL,
  `action` ENUM('joined','left') NOT NULL,
  `member_count` INT NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`event_timestamp`, `event_id`),
  UNIQUE KEY `uq_community_memberships_event_id` (`event_id`),
  KEY `idx_community_memberships_community_id` (`community_id`),
  KEY `idx_community_memberships_user_id` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `order_events` (
  `event_id` CHAR(36) COLLATE utf8mb4_nopad_bin NOT NULL,
  `order_id` VARCHAR(24) NOT NULL,
  `event_type` VARCHAR(100) NOT NULL,
  `reason` VARCHAR(255) NULL,
  `event_data` JSON NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`event_timestamp`, `event_id`),
  UNIQUE KEY `uq_order_events_event_id` (`event_id`),
  KEY `idx_order_events_order_id` (`order_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `orders` (
  `order_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `order_number` VARCHAR(50) COLLATE utf8mb4_nopad_bin NOT NULL,
  `customer_id` VARCHAR(24) NULL,
  `customer_name` VARCHAR(100) NULL,
  `customer_email` VARCHAR(255) NULL,
  `subtotal_cents` INT NULL,
  `discount_cents` INT NULL,
  `shipping_cents` INT NULL,
  `tax_cents` INT NULL,
  `total_cents` INT NULL,
  `currency` CHAR(3) NULL,
  `shipping_city` VARCHAR(100) NULL,
  `shipping_state` VARCHAR(100) NULL,
  `shipping_zip` VARCHAR(20) NULL,
  `shipping_country` VARCHAR(2) NULL,
  `promotion_id` VARCHAR(24) NULL,
  `status` VARCHAR(20) NULL,
  `item_count` INT NULL,
  `cancel_reason` VARCHAR(255) NULL,
  `created_at` DATETIME(6) NULL,
  `updated_at` DATETIME(6) NULL,
  `event_id` CHAR(36) NOT NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`order_id`),
  UNIQUE KEY `uq_orders_order_number` (`order_number`),
  KEY `idx_orders_customer_id` (`customer_id`),
  KEY `idx_orders_status_created_at` (`status`, `created_at`),
  KEY `idx_orders_shipping_country` (`shipping_country`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `order_items` (
  `order_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `line_no` INT NOT NULL,
  `item_id` VARCHAR(50) NULL,
  `product_id` VARCHAR(24) NULL,
  `supplier_id` VARCHAR(24) NULL,
  `product_name` VARCHAR(200) NULL,
  `variant_key` VARCHAR(100) NULL,
  `variant_name` VARCHAR(200) NULL,
  `sku` VARCHAR(100) NULL,
  `quantity` INT NULL,
  `unit_price_cents` INT NULL,
  `total_cents` INT NULL,
  `event_id` CHAR(36) NOT NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`order_id`, `line_no`),
  KEY `idx_order_items_product_id` (`product_id`),
  KEY `idx_order_items_supplier_id` (`supplier_id`),
  CONSTRAINT `fk_order_items_orders` FOREIGN KEY (`order_id`) REFERENCES `orders` (`order_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `post_events` (
  `event_id` CHAR(36) COLLATE utf8mb4_nopad_bin NOT NULL,
  `post_id` VARCHAR(24) NOT NULL,
  `event_type` VARCHAR(100) NOT NULL,
  `actor_id` VARCHAR(24) NULL,
  `reason` TEXT NULL,
  `event_data` JSON NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`event_timestamp`, `event_id`),
  UNIQUE KEY `uq_post_events_event_id` (`event_id`),
  KEY `idx_post_events_post_id` (`post_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `posts` (
  `post_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `post_type` VARCHAR(20) NULL,
  `author_id` VARCHAR(24) NULL,
  `author_name` VARCHAR(100) NULL,
  `author_type` VARCHAR(20) NULL,
  `text_content` TEXT NULL,
  `media` JSON NULL,
  `community_id` VARCHAR(24) NULL,
  `community_name` VARCHAR(100) NULL,
  `likes_count` INT NULL DEFAULT 0,
  `comments_count` INT NULL DEFAULT 0,
  `shares_count` INT NULL DEFAULT 0,
  `views_count` INT NULL DEFAULT 0,
  `engagement_rate` DOUBLE NULL,
  `status` VARCHAR(20) NULL,
  `global_status` VARCHAR(20) NULL,
  `published_at` DATETIME(6) NULL,
  `deleted_at` DATETIME(6) NULL,
  `created_at` DATETIME(6) NULL,
  `updated_at` DATETIME(6) NULL,
  `event_id` CHAR(36) NOT NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`post_id`),
  KEY `idx_posts_author_id` (`author_id`),
  KEY `idx_posts_community_id_created_at` (`community_id`, `created_at`),
  KEY `idx_posts_status_created_at` (`status`, `created_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `product_events` (
  `event_id` CHAR(36) COLLATE utf8mb4_nopad_bin NOT NULL,
  `product_id` VARCHAR(24) NOT NULL,
  `supplier_id` VARCHAR(24) NULL,
  `event_type` VARCHAR(100) NOT NULL,
  `event_data` JSON NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`event_timestamp`, `event_id`),
  UNIQUE KEY `uq_product_events_event_id` (`event_id`),
  KEY `idx_product_events_product_id` (`product_id`),
  KEY `idx_product_events_supplier_id` (`supplier_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `products` (
  `product_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `supplier_id` VARCHAR(24) NULL,
  `name` VARCHAR(200) NULL,
  `slug` VARCHAR(200) NULL,
  `description` TEXT NULL,
  `category` VARCHAR(100) NULL,
  `subcategory` VARCHAR(100) NULL,
  `base_price_cents` INT NULL,
  `currency` CHAR(3) NULL,
  `status` VARCHAR(20) NULL,
  `attributes` JSON NULL,
  `version` INT NULL,
  `created_at` DATETIME(6) NULL,
  `updated_at` DATETIME(6) NULL,
  `published_at` DATETIME(6) NULL,
  `event_id` CHAR(36) NOT NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`product_id`),
  KEY `idx_products_supplier_id` (`supplier_id`),
  KEY `idx_products_category_subcategory` (`category`, `subcategory`),
  KEY `idx_products_status` (`status`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `product_variants` (
  `product_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `variant_key` VARCHAR(100) COLLATE utf8mb4_nopad_bin NOT NULL,
  `variant_id` VARCHAR(50) NULL,
  `name` VARCHAR(200) NULL,
  `sku` VARCHAR(100) NULL,
  `price_cents` INT NULL,
  `stock_quantity` INT NULL,
  `attributes` JSON NULL,
  `event_id` CHAR(36) NOT NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`product_id`, `variant_key`),
  KEY `idx_product_variants_sku` (`sku`),
  CONSTRAINT `fk_product_variants_products` FOREIGN KEY (`product_id`) REFERENCES `products` (`product_id`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `promotion_events` (
  `event_id` CHAR(36) COLLATE utf8mb4_nopad_bin NOT NULL,
  `promotion_id` VARCHAR(24) NOT NULL,
  `supplier_id` VARCHAR(24) NULL,
  `event_type` VARCHAR(100) NOT NULL,
  `reviewer_id` VARCHAR(24) NULL,
  `scope` VARCHAR(20) NULL,
  `reason` TEXT NULL,
  `event_data` JSON NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`event_timestamp`, `event_id`),
  UNIQUE KEY `uq_promotion_events_event_id` (`event_id`),
  KEY `idx_promotion_events_promotion_id` (`promotion_id`),
  KEY `idx_promotion_events_supplier_id` (`supplier_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `promotions` (
  `promotion_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `promotion_type` VARCHAR(20) NULL,
  `title` VARCHAR(200) NULL,
  `description` TEXT NULL,
  `supplier_id` VARCHAR(24) NULL,
  `supplier_name` VARCHAR(200) NULL,
  `visibility_type` VARCHAR(20) NULL,
  `start_date` DATETIME(6) NULL,
  `end_date` DATETIME(6) NULL,
  `status` VARCHAR(20) NULL,
  `created_at` DATETIME(6) NULL,
  `updated_at` DATETIME(6) NULL,
  `event_id` CHAR(36) NOT NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`promotion_id`),
  KEY `idx_promotions_supplier_id` (`supplier_id`),
  KEY `idx_promotions_status` (`status`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `supplier_events` (
  `event_id` CHAR(36) COLLATE utf8mb4_nopad_bin NOT NULL,
  `supplier_id` VARCHAR(24) NOT NULL,
  `event_type` VARCHAR(100) NOT NULL,
  `event_data` JSON NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`event_timestamp`, `event_id`),
  UNIQUE KEY `uq_supplier_events_event_id` (`event_id`),
  KEY `idx_supplier_events_supplier_id` (`supplier_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `supplier_logins` (
  `event_id` CHAR(36) COLLATE utf8mb4_nopad_bin NOT NULL,
  `supplier_id` VARCHAR(24) NOT NULL,
  `email` VARCHAR(255) NULL,
  `company_name` VARCHAR(200) NULL,
  `ip_address` VARCHAR(45) NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`event_timestamp`, `event_id`),
  UNIQUE KEY `uq_supplier_logins_event_id` (`event_id`),
  KEY `idx_supplier_logins_supplier_id` (`supplier_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `suppliers` (
  `supplier_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `email` VARCHAR(255) NULL,
  `phone` VARCHAR(50) NULL,
  `contact_person_name` VARCHAR(100) NULL,
  `contact_person_title` VARCHAR(100) NULL,
  `legal_name` VARCHAR(200) NULL,
  `dba_name` VARCHAR(200) NULL,
  `company_type` VARCHAR(50) NULL,
  `tax_id` VARCHAR(50) NULL,
  `tax_id_country` VARCHAR(2) NULL,
  `street_address_1` VARCHAR(200) NULL,
  `street_address_2` VARCHAR(200) NULL,
  `city` VARCHAR(100) NULL,
  `state` VARCHAR(100) NULL,
  `zip_code` VARCHAR(20) NULL,
  `country` VARCHAR(2) NULL,
  `industry_category` VARCHAR(100) NULL,
  `description` TEXT NULL,
  `website` VARCHAR(500) NULL,
  `status` VARCHAR(20) NULL,
  `version` INT NULL,
  `deleted_at` DATETIME(6) NULL,
  `created_at` DATETIME(6) NULL,
  `updated_at` DATETIME(6) NULL,
  `event_id` CHAR(36) NOT NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`supplier_id`),
  KEY `idx_suppliers_email` (`email`),
  KEY `idx_suppliers_location` (`country`, `state`, `city`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `user_events` (
  `event_id` CHAR(36) COLLATE utf8mb4_nopad_bin NOT NULL,
  `user_id` VARCHAR(24) NOT NULL,
  `event_type` VARCHAR(100) NOT NULL,
  `event_data` JSON NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`event_timestamp`, `event_id`),
  UNIQUE KEY `uq_user_events_event_id` (`event_id`),
  KEY `idx_user_events_user_id` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `user_logins` (
  `event_id` CHAR(36) COLLATE utf8mb4_nopad_bin NOT NULL,
  `user_id` VARCHAR(24) NOT NULL,
  `email` VARCHAR(255) NULL,
  `role` VARCHAR(20) NULL,
  `ip_address` VARCHAR(45) NULL,
  `event_timestamp` DATETIME(6) NOT NULL,
  PRIMARY KEY (`event_timestamp`, `event_id`),
  UNIQUE KEY `uq_user_logins_event_id` (`event_id`),
  KEY `idx_user_logins_user_id` (`user_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `users` (
  `user_id` VARCHAR(24) COLLATE utf8mb4_nopad_bin NOT NULL,
  `email` VARCHAR(255) NOT NULL,
  `phone` VARCHAR(50) NULL,
  `display_name` VARCHAR(100) NOT NULL,
  `avatar` TEXT NULL,
  `bio` VARCHAR(500) NULL,
  `version` INT NULL DEFAULT 1,
  `deleted_at` DATETIME(6) NULL,
  `created_at` DATETIME(6) NOT NULL,
  `updated_at` DATETIME(6) NOT NULL,
  `event_id` VARCHAR(36) NULL,
  `event_timestamp` DATETIME(6) NULL,
  `role` VARCHAR(20) NULL,
  `status` VARCHAR(20) NULL,
  `email_verified` BOOLEAN NULL,
  `business_name` VARCHAR(200) NULL,
  `business_type` VARCHAR(50) NULL,
  `country` VARCHAR(2) NULL,
  `city` VARCHAR(100) NULL,
  `state` VARCHAR(100) NULL,
  PRIMARY KEY (`user_id`),
  KEY `idx_users_email` (`email`),
  KEY `idx_users_created` (`created_at`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
