-- Who made the legacy API key. It acts as an Owner, so it works only while the user who made
-- it is enabled and still an Owner (checked where the key is matched, on every request: the
-- legacy key never goes through the read or token caches). NULL: made by the command line (the
-- machine's operator), or before this migration by someone the audit log no longer names: it
-- works until it is replaced.
ALTER TABLE api_keys ADD COLUMN created_by INTEGER REFERENCES users (id);

-- The key made before: the user the audit log names as its maker (the latest successful
-- `api_key.regenerate` by a user).
UPDATE api_keys SET created_by = (
    SELECT u.id FROM audit_log a JOIN users u ON u.username = a.actor
    WHERE a.action = 'api_key.regenerate' AND a.actor_kind = 'user' AND a.outcome = 'success'
    ORDER BY a.id DESC LIMIT 1
);
