-- Strongroom's first schema. Migrations are append-only: change the schema in a new file.
-- Timestamps are Unix seconds (UTC). Ids are never reused (AUTOINCREMENT).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
);

CREATE TABLE applications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    -- This application's data key, sealed by the master key (see app/src/store/crypto.rs).
    wrapped_key BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    modified_at INTEGER NOT NULL
);

CREATE TABLE secrets (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    description    TEXT    NOT NULL DEFAULT '',
    -- The value sealed by the application's data key; bound to (application_id, id).
    sealed_value   BLOB    NOT NULL,
    created_at     INTEGER NOT NULL,
    modified_at    INTEGER NOT NULL,
    UNIQUE (application_id, name)
);
