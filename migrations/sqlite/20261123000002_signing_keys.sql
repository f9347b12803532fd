-- Keys that sign access tokens (JWTs). Keep in step with migrations/postgres/.
-- Every replica signs with the active key from here; retired keys stay published in
-- the JWKS until every token they signed has expired, then they are only history.
CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY NOT NULL,        -- RFC 7638 JWK thumbprint
    algorithm     TEXT NOT NULL CHECK (algorithm IN ('EdDSA')),
    private_key   TEXT NOT NULL,                    -- PKCS#8 DER, base64; never logged
    public_jwk    TEXT NOT NULL,                    -- JSON: the JWK as published
    created_at    INTEGER NOT NULL,
    activated_at  INTEGER NOT NULL,
    retired_at    INTEGER                           -- NULL: the active key
);
-- At most one active key: replicas racing to create the first key (INSERT ... ON
-- CONFLICT DO NOTHING) or to rotate cannot end up with two.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;
CREATE INDEX signing_keys_retired ON signing_keys (retired_at);
