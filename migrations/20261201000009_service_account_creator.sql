-- Who made each service-account key. A key made by a user works only while that user is enabled
-- and still holds a role at least the key's: the check is made where the key is verified, so a
-- disabled or demoted user's keys fail on the next request. NULL: a key made before this
-- migration, or by the command line (`strongroom service-account create`), which acts as the
-- machine's operator (whoever holds the database and the master key): such keys belong to no
-- user and work until they are revoked.
-- (Users are disabled, never deleted; the reference keeps it so while they have keys.)
ALTER TABLE service_accounts ADD COLUMN created_by INTEGER REFERENCES users (id);
CREATE INDEX service_accounts_by_creator ON service_accounts (created_by);

-- A cached GetSecretValue depends on the key's creator too (see migration 0006): a change of a
-- user's role or disabled flag moves the counter, so a cached read made with one of their keys
-- is redone from the database, where the key is refused. Only users who made keys count.
CREATE TRIGGER read_generation_user_standing AFTER UPDATE OF role, disabled ON users
WHEN EXISTS (SELECT 1 FROM service_accounts WHERE created_by = NEW.id) BEGIN
    UPDATE read_generation SET value = value + 1 WHERE id = 1;
END;
