-- Throttling of failed password attempts as counters, one row per key, instead of counting audit records:
-- an attempt is reserved here before its password is checked, in one statement that also
-- checks the limit, so parallel guesses cannot all see a count under it; and a refused attempt
-- moves `refused` instead of adding a row anywhere.
-- `scope` says what `key` names:
-- - 'account_address': a username and a client address (`<username> <address>`): the lock a
--   stranger's failures can put on an account, which keeps the owner's other addresses free;
-- - 'address': a client address, whatever usernames it tries (also first-run setup);
-- - 'session': a session's token hash (hex), for the step-up and password changes.
-- Keys are bounded (usernames by the username rule, addresses are parsed IPs, token hashes
-- are 32 bytes), and a row whose window has passed means nothing and is deleted at the next
-- reservation (`sign_in_throttle_by_window`).
CREATE TABLE sign_in_throttle (
    scope        TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    -- When the window of these counts began (its first reserved attempt).
    window_start INTEGER NOT NULL,
    -- Attempts reserved in this window and not refunded: failures, or attempts under way.
    failures     INTEGER NOT NULL,
    -- Attempts refused in this window because the limit was reached.
    refused      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, key)
);
CREATE INDEX sign_in_throttle_by_window ON sign_in_throttle (window_start);
