-- name: billed per customer
-- What each customer was billed: the gross (Σ qty × unit price over the lines) and the lines' amounts.
SELECT customer_id, COUNT(*) AS invoices, SUM(gross) AS gross, SUM(total) AS total
FROM invoices GROUP BY customer_id ORDER BY customer_id;

-- name: open invoices
-- Invoices not paid yet, with their first due date and how many lines they have.
SELECT i.invoice_id, i.first_due_at, COUNT(l.line_no) AS line_count
FROM invoices i LEFT JOIN invoice_lines l ON l.invoice_id = i.invoice_id
WHERE i.last_paid_at IS NULL GROUP BY i.invoice_id, i.first_due_at ORDER BY i.invoice_id;
