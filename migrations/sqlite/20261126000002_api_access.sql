-- Management API access: service-account keys (public halves only) and the legacy API key
-- (its SHA-256 only). Neither table holds anything that would let a reader call the API.

CREATE TABLE service_accounts (
    key_id       TEXT    PRIMARY KEY,
    role         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    public_key   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);

-- At most one row: the account's current API key.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    key_hash   BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);
