-- SAML 2.0 connections: a second kind of an organization's own connection. The
-- sso_connections row keeps name, enabled, jit and default_role (its OIDC columns stay
-- empty); saml_settings holds the identity provider. Pending AuthnRequests (single use,
-- bound to the browser) and the assertion ids already accepted (replay), both expiring.
-- Keep in step with migrations/sqlite/.
ALTER TABLE sso_connections ADD COLUMN kind TEXT NOT NULL DEFAULT 'oidc'
    CHECK (kind IN ('oidc', 'saml'));

CREATE TABLE saml_settings (
    connection_id       UUID PRIMARY KEY REFERENCES sso_connections(id) ON DELETE CASCADE,
    org_id              UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    idp_entity_id       TEXT NOT NULL,
    sso_url             TEXT NOT NULL,
    certificates        JSONB NOT NULL,  -- JSON array of base64 DER certificates, at least one
    metadata_url        TEXT,            -- https URL the metadata is fetched from, if any
    metadata_fetched_at TIMESTAMPTZ,        -- the last good fetch
    metadata_error      TEXT,            -- why the last fetch failed (the last good is kept)
    allow_idp_initiated BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE saml_requests (
    id              TEXT PRIMARY KEY NOT NULL,   -- the AuthnRequest's ID
    connection_id   UUID NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
    browser_hash    TEXT NOT NULL,               -- SHA-256 of the browser's gh_saml cookie
    next_path       TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX saml_requests_expiry ON saml_requests (expires_at);

CREATE TABLE saml_assertions_seen (
    connection_id   UUID NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
    assertion_id    TEXT NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (connection_id, assertion_id)
);
CREATE INDEX saml_assertions_seen_expiry ON saml_assertions_seen (expires_at);
