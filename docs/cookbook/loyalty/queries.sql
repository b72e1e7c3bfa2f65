-- name: balances
-- Each member's points (earned minus redeemed, each event counted once), renewals, largest order and first visit.
SELECT user_id, tier, points, renewals, largest_order, first_seen
FROM loyalty_accounts ORDER BY user_id;

-- name: cart totals
-- Each cart's line count, items and total, kept in the cart's row from its lines (aggregate:): the same sku added twice is one line whose quantity is the sum.
SELECT cart_id, line_count, item_count, total FROM carts ORDER BY cart_id;

-- name: cart lines
-- The lines the totals are made of.
SELECT cart_id, sku, quantity, unit_price FROM cart_lines ORDER BY cart_id, sku;
