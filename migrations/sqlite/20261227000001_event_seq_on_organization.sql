-- PostgreSQL moves an organization's last event number onto its organizations row
-- (migrations/postgres/20261227000001). SQLite numbers an organization's events by its
-- largest plus one under its single writer, and has nothing to change; this file keeps
-- the two directories in step.
SELECT 1;
