-- Value reads are most of the audit log (every GetSecretValue writes one record), and every
-- index entry a read adds is work on the read path. So the indexes that serve questions about
-- other events leave reads out, as partial indexes:
-- - sign-in throttling counts failures for an account (`target` = the username; reads have
--   no `target`) and from an address (only failures);
-- - the Audit page's action filter, for every action but `secret.read` (a filter on reads
--   finds them at once, newest first, without an index: they are most of the rows).
-- `audit_log_by_application` served no query (the Audit page filters by application name).
-- A query uses a partial index only when its WHERE implies the index's: see `audit.rs`.
DROP INDEX IF EXISTS audit_log_by_application;
DROP INDEX IF EXISTS audit_log_by_action;
CREATE INDEX IF NOT EXISTS audit_log_by_target ON audit_log (target, at) WHERE target IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_log_failures_by_ip ON audit_log (client_ip, at) WHERE outcome = 'failure';
CREATE INDEX IF NOT EXISTS audit_log_by_action ON audit_log (action, id) WHERE action <> 'secret.read';
