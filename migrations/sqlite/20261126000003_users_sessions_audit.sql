-- Sign-in, sessions and the audit log.

-- People who use the panel. `username` is stored lower-case (names are case-insensitive);
-- `password_hash` is an argon2id PHC string, never the password.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    modified_at   INTEGER NOT NULL
);

-- Server-side sessions. The cookie holds a random token; only its SHA-256 is stored, so a
-- copy of the database cannot be used to sign in.
CREATE TABLE sessions (
    token_hash   BLOB    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    -- When the user last typed their password in this session (sign-in or step-up).
    password_at  INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- One row per audited event. No foreign keys: a record outlives what it names, so names are
-- copied in. Never holds a secret value.
CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at               INTEGER NOT NULL,
    actor_kind       TEXT    NOT NULL,
    actor            TEXT    NOT NULL,
    source           TEXT    NOT NULL,
    client_ip        TEXT,
    action           TEXT    NOT NULL,
    outcome          TEXT    NOT NULL,
    application_id   INTEGER,
    application_name TEXT,
    secret_id        INTEGER,
    secret_name      TEXT,
    -- What else the event was about: a user name, a key id.
    target           TEXT,
    detail           TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_secret ON audit_log (secret_id, action, at);
CREATE INDEX audit_log_by_action ON audit_log (action, at);
CREATE INDEX audit_log_by_application ON audit_log (application_id, id);
