-- A counter that every change a cached read could depend on moves forward: a secret's value,
-- name or description, an application's name or key, a service-account key's removal or role.
-- The server may answer GetSecretValue from memory; the transaction that commits the read's
-- audit record checks this counter, and a read made under an older value is thrown away and
-- done again from the database (see app/src/store/read_cache.rs). Triggers, so no write path
-- can forget it; replicas sharing the database see each other's changes the same way.
CREATE TABLE read_generation (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);

INSERT INTO read_generation (id, value) VALUES (1, 0);

CREATE TRIGGER read_generation_secret_update AFTER UPDATE ON secrets BEGIN
    UPDATE read_generation SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER read_generation_secret_delete AFTER DELETE ON secrets BEGIN
    UPDATE read_generation SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER read_generation_application_update AFTER UPDATE OF name, wrapped_key ON applications BEGIN
    UPDATE read_generation SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER read_generation_application_delete AFTER DELETE ON applications BEGIN
    UPDATE read_generation SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER read_generation_key_update AFTER UPDATE OF role, public_key ON service_accounts BEGIN
    UPDATE read_generation SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER read_generation_key_delete AFTER DELETE ON service_accounts BEGIN
    UPDATE read_generation SET value = value + 1 WHERE id = 1;
END;
