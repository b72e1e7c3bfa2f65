-- name: balances
-- Each member's points (earned minus redeemed, each event counted once), renewals, largest order and first visit.
SELECT user_id, tier, points, renewals, largest_order, first_seen
FROM loyalty_accounts ORDER BY user_id;

-- name: cart totals
-- Each cart's lines and total: the same sku added twice is one line whose quantity is the sum.
SELECT c.cart_id, COUNT(*) AS line_count, SUM(l.quantity) AS items, SUM(l.quantity * l.unit_price) AS total
FROM carts c JOIN cart_lines l ON l.cart_id = c.cart_id GROUP BY c.cart_id ORDER BY c.cart_id;
