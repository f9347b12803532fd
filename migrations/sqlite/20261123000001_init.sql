-- Gatehouse schema, SQLite dialect. Keep in step with migrations/postgres/.
-- Ids are UUIDs (16-byte BLOBs), times are INTEGER microseconds since the Unix epoch,
-- JSON is TEXT. Every table that belongs to an organization carries org_id.

CREATE TABLE organizations (
    id          BLOB PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,          -- lower-cased name, for lookups by name
    seat_limit  INTEGER,                        -- NULL: no limit
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE billing_contacts (
    org_id      BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (org_id, email)
);

CREATE TABLE users (
    id            BLOB PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    email_key     TEXT UNIQUE,                  -- lower-cased email; NULL when the person has none we can use
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT,                         -- NULL: signs in through an identity provider only
    avatar_path   TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE identities (
    id            BLOB PRIMARY KEY NOT NULL,
    user_id       BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider      TEXT NOT NULL,
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,                -- for Microsoft: "<tid>:<oid>"
    email         TEXT,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    UNIQUE (issuer, subject)
);
CREATE INDEX identities_user ON identities (user_id);

-- A person in an organization. SCIM "User" resources are memberships: their id is the
-- SCIM id, and the directory's attributes live here.
CREATE TABLE memberships (
    id              BLOB PRIMARY KEY NOT NULL,
    org_id          BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id         BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('member', 'admin')),
    status          TEXT NOT NULL CHECK (status IN ('active', 'pending', 'disconnected')),
    source          TEXT NOT NULL CHECK (source IN ('manual', 'scim')),
    disconnected_at INTEGER,
    user_name       TEXT,                        -- SCIM userName as sent
    user_name_key   TEXT,                        -- lower-cased userName
    external_id     TEXT,
    scim_attributes TEXT,                        -- JSON of the SCIM resource's other attributes
    version         INTEGER NOT NULL DEFAULT 1,
    scim_deleted_at INTEGER,                        -- DELETEd by the directory: hidden from SCIM, records kept
    created_at      INTEGER NOT NULL,            -- "user since"
    updated_at      INTEGER NOT NULL,
    UNIQUE (org_id, user_id)
);
CREATE UNIQUE INDEX memberships_org_user_name_key ON memberships (org_id, user_name_key) WHERE user_name_key IS NOT NULL;
CREATE INDEX memberships_org_external_id ON memberships (org_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX memberships_org_status ON memberships (org_id, status);
CREATE INDEX memberships_user ON memberships (user_id);

-- The emails of SCIM users, for indexed `emails.value` filters (Entra matches on them).
CREATE TABLE scim_emails (
    membership_id BLOB NOT NULL REFERENCES memberships(id) ON DELETE CASCADE ON UPDATE CASCADE,
    org_id        BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    value         TEXT NOT NULL,
    value_key     TEXT NOT NULL,                 -- case-folded value
    type          TEXT,
    is_primary    INTEGER NOT NULL DEFAULT 0,
    display       TEXT,
    PRIMARY KEY (membership_id, position)
);
CREATE INDEX scim_emails_org_value ON scim_emails (org_id, value_key);

CREATE TABLE workspaces (
    id          BLOB PRIMARY KEY NOT NULL,
    org_id      BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, name_key)
);

CREATE TABLE workspace_members (
    workspace_id  BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    membership_id BLOB NOT NULL REFERENCES memberships(id) ON DELETE CASCADE ON UPDATE CASCADE,
    org_id        BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('member', 'manager')),
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, membership_id)
);
CREATE INDEX workspace_members_membership ON workspace_members (membership_id);

CREATE TABLE invitations (
    id           BLOB PRIMARY KEY NOT NULL,
    org_id       BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    email_key    TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('member', 'admin')),
    kind         TEXT NOT NULL CHECK (kind IN ('organization', 'user', 'member')),
    inviter_id   BLOB REFERENCES users(id) ON DELETE SET NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked', 'expired')),
    sent_at      INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    accepted_at  INTEGER,
    revoked_at   INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX invitations_org_status ON invitations (org_id, status, sent_at);
CREATE INDEX invitations_pending_expiry ON invitations (expires_at) WHERE status = 'pending';
CREATE INDEX invitations_org_email ON invitations (org_id, email_key);

CREATE TABLE invitation_workspaces (
    invitation_id BLOB NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
    workspace_id  BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('member', 'manager')),
    PRIMARY KEY (invitation_id, workspace_id)
);

CREATE TABLE scim_groups (
    id                BLOB PRIMARY KEY NOT NULL,
    org_id            BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    display_name      TEXT NOT NULL,
    display_name_key  TEXT NOT NULL,
    external_id       TEXT,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX scim_groups_org_display_name ON scim_groups (org_id, display_name_key);
CREATE INDEX scim_groups_org_external_id ON scim_groups (org_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE group_members (
    group_id      BLOB NOT NULL REFERENCES scim_groups(id) ON DELETE CASCADE,
    membership_id BLOB NOT NULL REFERENCES memberships(id) ON DELETE CASCADE ON UPDATE CASCADE,
    org_id        BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (group_id, membership_id)
);
CREATE INDEX group_members_membership ON group_members (membership_id);

-- Maps a directory group to an organization role or to access to a workspace.
CREATE TABLE group_mappings (
    id              BLOB PRIMARY KEY NOT NULL,
    org_id          BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    group_name_key  TEXT NOT NULL,
    role            TEXT CHECK (role IN ('member', 'admin')),
    workspace_id    BLOB REFERENCES workspaces(id) ON DELETE CASCADE,
    workspace_role  TEXT CHECK (workspace_role IN ('member', 'manager')),
    created_at      INTEGER NOT NULL
);
CREATE INDEX group_mappings_org ON group_mappings (org_id, group_name_key);

CREATE TABLE scim_tokens (
    id            BLOB PRIMARY KEY NOT NULL,
    org_id        BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX scim_tokens_org ON scim_tokens (org_id);

CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY NOT NULL,
    user_id       BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_secret   TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    client_addr   TEXT,
    user_agent    TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Single-use links sent by mail or printed by the CLI (password reset, first password).
CREATE TABLE one_time_links (
    id          BLOB PRIMARY KEY NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('reset_password', 'set_password')),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX one_time_links_expiry ON one_time_links (expires_at);

-- Append-only: the application inserts rows and never updates or deletes them.
CREATE TABLE audit_events (
    id           BLOB PRIMARY KEY NOT NULL,
    org_id       BLOB REFERENCES organizations(id) ON DELETE CASCADE,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_kind  TEXT,
    target_id    TEXT,
    details      TEXT NOT NULL DEFAULT '{}',
    client_addr  TEXT,
    created_at   INTEGER NOT NULL
);
CREATE INDEX audit_events_org_time ON audit_events (org_id, created_at);

-- Failure counters for sign-in and reset throttling, shared by every replica.
CREATE TABLE throttles (
    key           TEXT PRIMARY KEY NOT NULL,                  -- e.g. signin:account:<email>, signin:address:<ip>
    failures      INTEGER NOT NULL,
    window_start  INTEGER NOT NULL,
    blocked_until INTEGER
);

-- A sign-in started at an identity provider, until it comes back (state → PKCE, nonce).
CREATE TABLE oidc_states (
    state_hash  TEXT PRIMARY KEY NOT NULL,
    provider    TEXT NOT NULL,
    pending     TEXT NOT NULL,
    next_path   TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX oidc_states_expiry ON oidc_states (expires_at);

CREATE TABLE job_leases (
    job_name     TEXT PRIMARY KEY NOT NULL,
    holder       TEXT NOT NULL,
    acquired_at  INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);

CREATE TABLE job_runs (
    id           BLOB PRIMARY KEY NOT NULL,
    job_name     TEXT NOT NULL,
    holder       TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    outcome      TEXT
);
CREATE INDEX job_runs_name_time ON job_runs (job_name, started_at);
