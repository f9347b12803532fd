-- Gatehouse as an OpenID Provider for the suite's apps. Keep in step with migrations/postgres/.

-- Apps (OAuth clients), registered by the operator (CLI or config). Global to the
-- installation; an organization can turn one off for its members.
CREATE TABLE oauth_apps (
    client_id                  TEXT PRIMARY KEY NOT NULL,
    name                       TEXT NOT NULL,
    name_key                   TEXT NOT NULL UNIQUE,
    confidential               INTEGER NOT NULL,
    secret_hash                TEXT,                 -- SHA-256 of the client secret (full entropy); NULL for public apps
    redirect_uris              TEXT NOT NULL,        -- JSON array, exact match
    post_logout_redirect_uris  TEXT NOT NULL,        -- JSON array, exact match
    backchannel_logout_uri     TEXT,
    scopes                     TEXT NOT NULL,        -- JSON array of the scopes the app may ask for
    id_token_alg               TEXT NOT NULL CHECK (id_token_alg IN ('EdDSA', 'RS256')),
    access_token_secs          INTEGER NOT NULL,
    refresh_token_secs         INTEGER NOT NULL,
    source                     TEXT NOT NULL CHECK (source IN ('cli', 'config')),
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
);

CREATE TABLE oauth_app_org_disabled (
    org_id       BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL REFERENCES oauth_apps(client_id) ON DELETE CASCADE,
    disabled_at  INTEGER NOT NULL,
    PRIMARY KEY (org_id, client_id)
);

-- What a person granted an app through one sign-in session: the family of its refresh
-- tokens. Revoking it ends every refresh token and access token of the family.
CREATE TABLE oauth_grants (
    id            BLOB PRIMARY KEY NOT NULL,
    client_id     TEXT NOT NULL REFERENCES oauth_apps(client_id) ON DELETE CASCADE,
    user_id       BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id        BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    session_hash  TEXT NOT NULL,                     -- the Gatehouse session it came from
    sid           TEXT NOT NULL,                     -- that session as the apps know it
    scope         TEXT NOT NULL,
    auth_time     INTEGER NOT NULL,
    amr           TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX oauth_grants_user ON oauth_grants (user_id);
CREATE INDEX oauth_grants_session ON oauth_grants (session_hash);

-- Authorization codes: single use, short-lived, only their hash kept.
CREATE TABLE oauth_codes (
    code_hash       TEXT PRIMARY KEY NOT NULL,
    client_id       TEXT NOT NULL REFERENCES oauth_apps(client_id) ON DELETE CASCADE,
    user_id         BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id          BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    session_hash    TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    scope           TEXT NOT NULL,
    nonce           TEXT,
    code_challenge  TEXT NOT NULL,
    auth_time       INTEGER NOT NULL,
    amr             TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    grant_id        BLOB                              -- the grant its exchange created
);
CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);

CREATE TABLE oauth_refresh_tokens (
    token_hash   TEXT PRIMARY KEY NOT NULL,
    grant_id     BLOB NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    rotated_at   INTEGER                              -- used once; a second use revokes the grant
);
CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);

-- Back-channel logout outbox: one row per app to notify, delivered by a job.
CREATE TABLE backchannel_logouts (
    id               BLOB PRIMARY KEY NOT NULL,
    client_id        TEXT NOT NULL REFERENCES oauth_apps(client_id) ON DELETE CASCADE,
    uri              TEXT NOT NULL,
    sub              TEXT NOT NULL,
    sid              TEXT,
    created_at       INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    delivered_at     INTEGER,
    given_up_at      INTEGER,
    last_error       TEXT
);
CREATE INDEX backchannel_logouts_due ON backchannel_logouts (next_attempt_at) WHERE delivered_at IS NULL AND given_up_at IS NULL;

-- How the session's person proved who they are (the ID token's amr): pwd or fed.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
