-- RS256 keys beside the EdDSA ones (ID tokens for apps whose library cannot verify
-- EdDSA): one active key per algorithm. Keep in step with migrations/sqlite/.
ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_algorithm_check;
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_algorithm_check CHECK (algorithm IN ('EdDSA', 'RS256'));
DROP INDEX signing_keys_one_active;
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (algorithm) WHERE retired_at IS NULL;
