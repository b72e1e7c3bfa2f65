-- name: payments
-- Each payment's status (its own events), dispute (the dispute's) and refund (the refunds'): each kind guarded by its own time.
SELECT payment_id, status, dispute_status, dispute_reason, refunded_amount
FROM payments ORDER BY payment_id;
