-- The optional rule that links a person met for the first time at a connection to the
-- member the organization's directory provisioned: the ID token's claim `link_claim`
-- equal to the SCIM attribute `link_attribute` (externalId or userName). Both or neither.
-- Keep in step with migrations/postgres/.
ALTER TABLE sso_connections ADD COLUMN link_claim TEXT;
ALTER TABLE sso_connections ADD COLUMN link_attribute TEXT
    CHECK (link_attribute IN ('externalId', 'userName'));
