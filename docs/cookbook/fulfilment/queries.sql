-- name: shipping
-- Each order's status, when it first shipped and by which shipment last.
SELECT order_id, status, shipped_at, last_shipment_id FROM orders ORDER BY order_id;

-- name: completed before shipping
-- Orders completed before their first shipment left (the order's own events are not stale).
SELECT order_id, TIMESTAMPDIFF(HOUR, event_timestamp, shipped_at) AS hours_to_ship
FROM orders WHERE status = 'completed' AND shipped_at > event_timestamp ORDER BY order_id;
