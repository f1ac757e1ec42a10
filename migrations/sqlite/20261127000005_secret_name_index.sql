-- A trigram index over secret names, so a name filter ("part of the name", case-insensitive)
-- reads the few matching rows instead of every secret of the application: GetSecrets and the
-- Secrets page stay fast at 100,000 secrets. FTS5 with external content: the names live only in
-- `secrets`; the triggers keep the index in step with every insert, rename and delete.
-- (On PostgreSQL the same filter uses a pg_trgm GIN index on LOWER(name) instead.)
CREATE VIRTUAL TABLE secret_names USING fts5 (
    name,
    content = 'secrets',
    content_rowid = 'id',
    tokenize = 'trigram'
);

INSERT INTO secret_names (secret_names) VALUES ('rebuild');

CREATE TRIGGER secret_names_insert AFTER INSERT ON secrets BEGIN
    INSERT INTO secret_names (rowid, name) VALUES (new.id, new.name);
END;

CREATE TRIGGER secret_names_delete AFTER DELETE ON secrets BEGIN
    INSERT INTO secret_names (secret_names, rowid, name) VALUES ('delete', old.id, old.name);
END;

CREATE TRIGGER secret_names_rename AFTER UPDATE OF name ON secrets BEGIN
    INSERT INTO secret_names (secret_names, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO secret_names (rowid, name) VALUES (new.id, new.name);
END;
