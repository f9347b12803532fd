-- Domains an organization claims and proves with a DNS TXT record
-- (`_gatehouse-challenge.<domain>`). Several organizations may claim a domain; one at
-- most has it verified. Keep in step with migrations/postgres/.
CREATE TABLE org_domains (
    id              BLOB PRIMARY KEY NOT NULL,
    org_id          BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    domain          TEXT NOT NULL,            -- lower-case ASCII, no trailing dot
    challenge       TEXT NOT NULL,            -- the TXT record's value
    verified_at     INTEGER,                  -- set while verified
    verified_by     TEXT CHECK (verified_by IN ('dns', 'operator')),
    checked_at      INTEGER,                  -- the last DNS check
    missing_since   INTEGER,                  -- verified, but the record was not found since
    created_at      INTEGER NOT NULL,
    UNIQUE (org_id, domain)
);
CREATE UNIQUE INDEX org_domains_verified ON org_domains (domain) WHERE verified_at IS NOT NULL;
