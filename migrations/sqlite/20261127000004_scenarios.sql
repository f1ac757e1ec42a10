-- Scenarios: JavaScript run inside Strongroom that reads its application's secrets.

CREATE TABLE scenarios (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    code           TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    modified_at    INTEGER NOT NULL,
    UNIQUE (application_id, name)
);

-- The latest runs of each scenario (the store keeps 20). The log and the error can hold what
-- the scenario wrote, secret values included, so both are sealed together in `sealed_report`
-- with the application's data key, like a secret value.
CREATE TABLE scenario_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario_id   INTEGER NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
    status        TEXT    NOT NULL,
    started_at    INTEGER NOT NULL,
    duration_ms   INTEGER NOT NULL,
    started_by    TEXT    NOT NULL,
    sealed_report BLOB    NOT NULL
);
CREATE INDEX scenario_runs_by_scenario ON scenario_runs (scenario_id, id);
