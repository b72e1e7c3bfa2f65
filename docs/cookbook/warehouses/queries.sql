-- name: capacity per sku
-- Where each SKU can be stored, and how much in all: bins carry their warehouse's and rack's key.
SELECT b.sku, COUNT(*) AS bins, SUM(b.capacity) AS capacity, COUNT(DISTINCT b.warehouse_id) AS warehouses
FROM bins b WHERE b.sku IS NOT NULL GROUP BY b.sku ORDER BY b.sku;

-- name: bins per aisle
-- Each warehouse's aisles: racks and bins, joined on the composite keys.
SELECT r.warehouse_id, r.aisle, COUNT(DISTINCT r.rack_id) AS racks, COUNT(b.bin_no) AS bins
FROM racks r LEFT JOIN bins b ON b.warehouse_id = r.warehouse_id AND b.rack_id = r.rack_id
GROUP BY r.warehouse_id, r.aisle ORDER BY r.warehouse_id, r.aisle;
