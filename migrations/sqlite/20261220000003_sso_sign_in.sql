-- Sign-in through an organization's own connection: just-in-time members (on or off,
-- with the role they get) and the identities found there, keyed by (connection, subject).
-- Keep in step with migrations/postgres/.
ALTER TABLE sso_connections ADD COLUMN jit INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sso_connections ADD COLUMN default_role TEXT NOT NULL DEFAULT 'member'
    CHECK (default_role IN ('member', 'admin'));

CREATE TABLE sso_identities (
    id              BLOB PRIMARY KEY NOT NULL,
    connection_id   BLOB NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
    org_id          BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    subject         TEXT NOT NULL,
    user_id         BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email           TEXT,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER,
    UNIQUE (connection_id, subject)
);
CREATE INDEX sso_identities_user ON sso_identities (user_id);
