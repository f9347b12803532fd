-- Organizations' own identity providers (OpenID Connect), set up by their admins.
-- Keep in step with migrations/postgres/.
CREATE TABLE sso_connections (
    id                  BLOB PRIMARY KEY NOT NULL,
    org_id              BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    name_key            TEXT NOT NULL,        -- lower-cased name, unique in the organization
    issuer              TEXT NOT NULL,
    client_id           TEXT NOT NULL,
    client_secret_sealed TEXT NOT NULL,       -- gh1.<key id>.<nonce and ciphertext> (src/sealed.rs)
    scopes              TEXT NOT NULL,        -- JSON array of scopes, openid first
    email_claim         TEXT NOT NULL,
    enabled             INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (org_id, name_key)
);
