-- Webhook endpoints (Standard Webhooks) and their delivery state (`services::webhooks`).
-- Keep in step with migrations/postgres/.
CREATE TABLE webhook_endpoints (
    id                BLOB PRIMARY KEY NOT NULL,
    org_id            BLOB REFERENCES organizations(id) ON DELETE CASCADE, -- NULL: the operator's, every organization's events
    name              TEXT NOT NULL DEFAULT '',
    url               TEXT NOT NULL,
    event_types       TEXT NOT NULL DEFAULT '[]',   -- JSON array; empty: every type
    enabled           INTEGER NOT NULL DEFAULT 1,
    disabled_reason   TEXT,
    secret_sealed     TEXT NOT NULL,                -- the whsec_ secret, sealed for the endpoint id
    old_secret_sealed TEXT,                         -- the previous one, still signing until old_secret_until
    old_secret_until  INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id);

-- One ordered stream per endpoint and organization: the events after last_seq are still
-- to deliver, the first of them (attempts failures so far) not before next_attempt_at.
CREATE TABLE webhook_streams (
    endpoint_id      BLOB NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    org_id           BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    last_seq         INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    failing_since    INTEGER,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER,
    PRIMARY KEY (endpoint_id, org_id)
);

-- Events an admin asked to send again (outside the ordered stream).
CREATE TABLE webhook_resends (
    id           BLOB PRIMARY KEY NOT NULL,
    endpoint_id  BLOB NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    org_id       BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,                -- the event, by its sequence number
    lease_until  INTEGER,
    created_at   INTEGER NOT NULL
);

-- Each attempt, for the endpoint's page.
CREATE TABLE webhook_deliveries (
    id            BLOB PRIMARY KEY NOT NULL,
    endpoint_id   BLOB NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    org_id        BLOB NOT NULL,
    event_id      BLOB NOT NULL,
    event_type    TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    attempt       INTEGER NOT NULL,
    status        INTEGER,                          -- HTTP status; NULL: no answer
    ok            INTEGER NOT NULL,
    latency_ms    INTEGER NOT NULL,
    response      TEXT NOT NULL DEFAULT '',         -- the first bytes of the answer, or the error
    created_at    INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
