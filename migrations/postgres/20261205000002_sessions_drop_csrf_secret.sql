-- Sessions kept a per-session CSRF secret that nothing read (CSRF is a double-submit
-- cookie, http/csrf.rs): drop it rather than keep a random secret in plain text.
ALTER TABLE sessions DROP COLUMN csrf_secret;
