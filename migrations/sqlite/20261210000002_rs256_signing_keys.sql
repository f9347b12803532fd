-- RS256 keys beside the EdDSA ones (ID tokens for apps whose library cannot verify
-- EdDSA): one active key per algorithm. Keep in step with migrations/postgres/.
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt.
CREATE TABLE signing_keys_new (
    kid           TEXT PRIMARY KEY NOT NULL,
    algorithm     TEXT NOT NULL CHECK (algorithm IN ('EdDSA', 'RS256')),
    private_key   TEXT NOT NULL,
    public_jwk    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    activated_at  INTEGER NOT NULL,
    retired_at    INTEGER
);
INSERT INTO signing_keys_new (kid, algorithm, private_key, public_jwk, created_at, activated_at, retired_at)
    SELECT kid, algorithm, private_key, public_jwk, created_at, activated_at, retired_at FROM signing_keys;
DROP TABLE signing_keys;
ALTER TABLE signing_keys_new RENAME TO signing_keys;
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (algorithm) WHERE retired_at IS NULL;
CREATE INDEX signing_keys_retired ON signing_keys (retired_at);
