-- Webhook endpoints (Standard Webhooks) and their delivery state (`services::webhooks`).
-- Keep in step with migrations/sqlite/.
CREATE TABLE webhook_endpoints (
    id                UUID PRIMARY KEY,
    org_id            UUID REFERENCES organizations(id) ON DELETE CASCADE, -- NULL: the operator's, every organization's events
    name              TEXT NOT NULL DEFAULT '',
    url               TEXT NOT NULL,
    event_types       JSONB NOT NULL DEFAULT '[]',   -- JSON array; empty: every type
    enabled           BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason   TEXT,
    secret_sealed     TEXT NOT NULL,                -- the whsec_ secret, sealed for the endpoint id
    old_secret_sealed TEXT,                         -- the previous one, still signing until old_secret_until
    old_secret_until  TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id);

-- One ordered stream per endpoint and organization: the events after last_seq are still
-- to deliver, the first of them (attempts failures so far) not before next_attempt_at.
CREATE TABLE webhook_streams (
    endpoint_id      UUID NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    org_id           UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    last_seq         BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    failing_since    TIMESTAMPTZ,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    lease_until      TIMESTAMPTZ,
    PRIMARY KEY (endpoint_id, org_id)
);

-- Events an admin asked to send again (outside the ordered stream).
CREATE TABLE webhook_resends (
    id           UUID PRIMARY KEY,
    endpoint_id  UUID NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    org_id       UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,                -- the event, by its sequence number
    lease_until  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL
);

-- Each attempt, for the endpoint's page.
CREATE TABLE webhook_deliveries (
    id            UUID PRIMARY KEY,
    endpoint_id   UUID NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    org_id        UUID NOT NULL,
    event_id      UUID NOT NULL,
    event_type    TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    attempt       BIGINT NOT NULL,
    status        BIGINT,                          -- HTTP status; NULL: no answer
    ok            BOOLEAN NOT NULL,
    latency_ms    BIGINT NOT NULL,
    response      TEXT NOT NULL DEFAULT '',         -- the first bytes of the answer, or the error
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
