-- Enforced SSO: an organization may require its people on its verified domains to
-- come in through one of its connections; the admins it names (break-glass) keep
-- password access. Sessions remember how they were made: a password, one of the
-- operator's providers (by name), or an organization's connection (by id).
-- Keep in step with migrations/postgres/.
ALTER TABLE organizations ADD COLUMN require_sso INTEGER NOT NULL DEFAULT 0;
ALTER TABLE memberships ADD COLUMN break_glass INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN provider TEXT;
ALTER TABLE sessions ADD COLUMN sso_connection_id BLOB REFERENCES sso_connections(id) ON DELETE SET NULL;
