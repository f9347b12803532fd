-- Sign-in through an organization's own connection: just-in-time members (on or off,
-- with the role they get) and the identities found there, keyed by (connection, subject).
-- Keep in step with migrations/sqlite/.
ALTER TABLE sso_connections ADD COLUMN jit BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE sso_connections ADD COLUMN default_role TEXT NOT NULL DEFAULT 'member'
    CHECK (default_role IN ('member', 'admin'));

CREATE TABLE sso_identities (
    id              UUID PRIMARY KEY,
    connection_id   UUID NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
    org_id          UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    subject         TEXT NOT NULL,
    user_id         UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email           TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    last_used_at    TIMESTAMPTZ,
    UNIQUE (connection_id, subject)
);
CREATE INDEX sso_identities_user ON sso_identities (user_id);
