-- Gatehouse schema, PostgreSQL dialect. Keep in step with migrations/sqlite/.
-- Ids are UUID, times TIMESTAMPTZ, JSON is JSONB. Every table that belongs to an organization carries org_id.

CREATE TABLE organizations (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,          -- lower-cased name, for lookups by name
    seat_limit  BIGINT,                        -- NULL: no limit
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE billing_contacts (
    org_id      UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, email)
);

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL DEFAULT '',
    email_key     TEXT UNIQUE,                  -- lower-cased email; NULL when the person has none we can use
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT,                         -- NULL: signs in through an identity provider only
    avatar_path   TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE identities (
    id            UUID PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider      TEXT NOT NULL,
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,                -- for Microsoft: "<tid>:<oid>"
    email         TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    UNIQUE (issuer, subject)
);
CREATE INDEX identities_user ON identities (user_id);

-- A person in an organization. SCIM "User" resources are memberships: their id is the
-- SCIM id, and the directory's attributes live here.
CREATE TABLE memberships (
    id              UUID PRIMARY KEY,
    org_id          UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id         UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('member', 'admin')),
    status          TEXT NOT NULL CHECK (status IN ('active', 'pending', 'disconnected')),
    source          TEXT NOT NULL CHECK (source IN ('manual', 'scim')),
    disconnected_at TIMESTAMPTZ,
    user_name       TEXT,                        -- SCIM userName as sent
    user_name_key   TEXT,                        -- lower-cased userName
    external_id     TEXT,
    scim_attributes JSONB,                        -- JSON of the SCIM resource's other attributes
    version         BIGINT NOT NULL DEFAULT 1,
    scim_deleted_at TIMESTAMPTZ,                        -- DELETEd by the directory: hidden from SCIM, records kept
    created_at      TIMESTAMPTZ NOT NULL,            -- "user since"
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, user_id)
);
CREATE UNIQUE INDEX memberships_org_user_name_key ON memberships (org_id, user_name_key) WHERE user_name_key IS NOT NULL;
CREATE INDEX memberships_org_external_id ON memberships (org_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX memberships_org_status ON memberships (org_id, status);
CREATE INDEX memberships_user ON memberships (user_id);

-- The emails of SCIM users, for indexed `emails.value` filters (Entra matches on them).
CREATE TABLE scim_emails (
    membership_id UUID NOT NULL REFERENCES memberships(id) ON DELETE CASCADE ON UPDATE CASCADE,
    org_id        UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    value         TEXT NOT NULL,
    value_key     TEXT NOT NULL,                 -- case-folded value
    type          TEXT,
    is_primary    BOOLEAN NOT NULL DEFAULT FALSE,
    display       TEXT,
    PRIMARY KEY (membership_id, position)
);
CREATE INDEX scim_emails_org_value ON scim_emails (org_id, value_key);

CREATE TABLE workspaces (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, name_key)
);

CREATE TABLE workspace_members (
    workspace_id  UUID NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    membership_id UUID NOT NULL REFERENCES memberships(id) ON DELETE CASCADE ON UPDATE CASCADE,
    org_id        UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('member', 'manager')),
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, membership_id)
);
CREATE INDEX workspace_members_membership ON workspace_members (membership_id);

CREATE TABLE invitations (
    id           UUID PRIMARY KEY,
    org_id       UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    email_key    TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('member', 'admin')),
    kind         TEXT NOT NULL CHECK (kind IN ('organization', 'user', 'member')),
    inviter_id   UUID REFERENCES users(id) ON DELETE SET NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'revoked', 'expired')),
    sent_at      TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    accepted_at  TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX invitations_org_status ON invitations (org_id, status, sent_at);
CREATE INDEX invitations_pending_expiry ON invitations (expires_at) WHERE status = 'pending';
CREATE INDEX invitations_org_email ON invitations (org_id, email_key);

CREATE TABLE invitation_workspaces (
    invitation_id UUID NOT NULL REFERENCES invitations(id) ON DELETE CASCADE,
    workspace_id  UUID NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('member', 'manager')),
    PRIMARY KEY (invitation_id, workspace_id)
);

CREATE TABLE scim_groups (
    id                UUID PRIMARY KEY,
    org_id            UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    display_name      TEXT NOT NULL,
    display_name_key  TEXT NOT NULL,
    external_id       TEXT,
    version           BIGINT NOT NULL DEFAULT 1,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX scim_groups_org_display_name ON scim_groups (org_id, display_name_key);
CREATE INDEX scim_groups_org_external_id ON scim_groups (org_id, external_id) WHERE external_id IS NOT NULL;

CREATE TABLE group_members (
    group_id      UUID NOT NULL REFERENCES scim_groups(id) ON DELETE CASCADE,
    membership_id UUID NOT NULL REFERENCES memberships(id) ON DELETE CASCADE ON UPDATE CASCADE,
    org_id        UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (group_id, membership_id)
);
CREATE INDEX group_members_membership ON group_members (membership_id);

-- Maps a directory group to an organization role or to access to a workspace.
CREATE TABLE group_mappings (
    id              UUID PRIMARY KEY,
    org_id          UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    group_name_key  TEXT NOT NULL,
    role            TEXT CHECK (role IN ('member', 'admin')),
    workspace_id    UUID REFERENCES workspaces(id) ON DELETE CASCADE,
    workspace_role  TEXT CHECK (workspace_role IN ('member', 'manager')),
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX group_mappings_org ON group_mappings (org_id, group_name_key);

CREATE TABLE scim_tokens (
    id            UUID PRIMARY KEY,
    org_id        UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX scim_tokens_org ON scim_tokens (org_id);

CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_secret   TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ,
    client_addr   TEXT,
    user_agent    TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Single-use links sent by mail or printed by the CLI (password reset, first password).
CREATE TABLE one_time_links (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('reset_password', 'set_password')),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX one_time_links_expiry ON one_time_links (expires_at);

-- Append-only: the application inserts rows and never updates or deletes them.
CREATE TABLE audit_events (
    id           UUID PRIMARY KEY,
    org_id       UUID REFERENCES organizations(id) ON DELETE CASCADE,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_kind  TEXT,
    target_id    TEXT,
    details      JSONB NOT NULL DEFAULT '{}',
    client_addr  TEXT,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_events_org_time ON audit_events (org_id, created_at);

-- Failure counters for sign-in and reset throttling, shared by every replica.
CREATE TABLE throttles (
    key           TEXT PRIMARY KEY,                  -- e.g. signin:account:<email>, signin:address:<ip>
    failures      BIGINT NOT NULL,
    window_start  TIMESTAMPTZ NOT NULL,
    blocked_until TIMESTAMPTZ
);

-- A sign-in started at an identity provider, until it comes back (state → PKCE, nonce).
CREATE TABLE oidc_states (
    state_hash  TEXT PRIMARY KEY,
    provider    TEXT NOT NULL,
    pending     JSONB NOT NULL,
    next_path   TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_states_expiry ON oidc_states (expires_at);

CREATE TABLE job_leases (
    job_name     TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    acquired_at  TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE job_runs (
    id           UUID PRIMARY KEY,
    job_name     TEXT NOT NULL,
    holder       TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,
    status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    outcome      JSONB
);
CREATE INDEX job_runs_name_time ON job_runs (job_name, started_at);
