-- Account page, profile images and org-scoped API keys. Keep in step with migrations/sqlite/.

-- Billing contacts get an id (the API removes them by id) and a case-folded key, so
-- "Ann@Acme.com" and "ann@acme.com" are one contact. The old table was never written.
DROP TABLE billing_contacts;
CREATE TABLE billing_contacts (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    email_key   TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, email_key)
);

-- Profile images, in the database so any replica serves them. One per membership:
-- the image belongs to the person's profile in that organization.
CREATE TABLE member_avatars (
    membership_id UUID PRIMARY KEY REFERENCES memberships(id) ON DELETE CASCADE ON UPDATE CASCADE,
    org_id        UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    content_type  TEXT NOT NULL,                -- sniffed from the bytes, never taken from the upload
    bytes         BYTEA NOT NULL,
    sha256        TEXT NOT NULL,                -- hex; the ETag
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX member_avatars_org ON member_avatars (org_id);

-- API keys for the organization's JSON API; only their SHA-256 hash is stored.
CREATE TABLE api_keys (
    id            UUID PRIMARY KEY,
    org_id        UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('member', 'admin')),
    token_hash    TEXT NOT NULL UNIQUE,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_keys_org ON api_keys (org_id);

-- The audit log page filters by action, newest first.
CREATE INDEX audit_events_org_action_time ON audit_events (org_id, action, created_at);
