-- expire_invitations walks pending invitations in (expires_at, id) order from a cursor,
-- so every batch starts where the last ended (see store::invitations::expire_batch).
-- This index serves every query the (expires_at) one did.
DROP INDEX invitations_pending_expiry;
CREATE INDEX invitations_pending_expiry ON invitations (expires_at, id) WHERE status = 'pending';
