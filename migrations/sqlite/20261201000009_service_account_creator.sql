-- Who made each service-account key. A key made by a user works only while that user is enabled
-- and still holds a role at least the key's: the check is made where the key is verified, so a
-- disabled or demoted user's keys fail on the next request. NULL: a key made by the command
-- line (`strongroom service-account create`), which acts as the machine's operator (whoever
-- holds the database and the master key), or one made before this migration whose maker the
-- audit log no longer names: such keys belong to no user and work until they are revoked.
-- (Users are disabled, never deleted; the reference keeps it so while they have keys.)
ALTER TABLE service_accounts ADD COLUMN created_by INTEGER REFERENCES users (id);
CREATE INDEX service_accounts_by_creator ON service_accounts (created_by);

-- Keys made before: the user the audit log names as the key's maker (its latest successful
-- `service_account.create` by a user), so they stop with that user like every newer key.
UPDATE service_accounts SET created_by = (
    SELECT u.id FROM audit_log a JOIN users u ON u.username = a.actor
    WHERE a.action = 'service_account.create' AND a.actor_kind = 'user'
      AND a.outcome = 'success' AND a.target = service_accounts.key_id
    ORDER BY a.id DESC LIMIT 1
);

-- A cached GetSecretValue depends on the key's creator too (see migration 0006): a change of a
-- user's role or disabled flag moves the counter, so a cached read made with one of their keys
-- is redone from the database, where the key is refused. Only users who made keys count.
CREATE TRIGGER read_generation_user_standing AFTER UPDATE OF role, disabled ON users
WHEN EXISTS (SELECT 1 FROM service_accounts WHERE created_by = NEW.id) BEGIN
    UPDATE read_generation SET value = value + 1 WHERE id = 1;
END;
