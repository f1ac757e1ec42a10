//! Scenarios of one application and the record of their runs. Like secrets, every query is
//! scoped by the application id. A run's log and error are sealed with the application's data
//! key: a scenario may write secret values into them.

use serde::{Deserialize, Serialize};

use super::audit::{self, Actor, Event, Target};
use super::{SecretStore, StoreError, is_unique_violation, now};
use shared::model::{
    ApplicationId, AuditAction, Field, LogLine, RUNS_KEPT, RunDetail, RunId, RunStatus, RunSummary,
    Scenario, ScenarioId, ScenarioSummary, ScriptError, Timestamp,
};
use shared::validation::{check_scenario_code, check_scenario_name};

/// A finished run, as the runner hands it to the store.
pub struct NewRun {
    pub status: RunStatus,
    pub started: Timestamp,
    pub duration_ms: i64,
    pub error: Option<ScriptError>,
    pub log: Vec<LogLine>,
}

/// The sealed part of a run.
#[derive(Serialize, Deserialize)]
struct RunReport {
    error: Option<ScriptError>,
    log: Vec<LogLine>,
}

#[derive(sqlx::FromRow)]
struct ScenarioRow {
    id: i64,
    name: String,
    code: String,
    created_at: i64,
    modified_at: i64,
}

impl From<ScenarioRow> for Scenario {
    fn from(row: ScenarioRow) -> Self {
        Scenario {
            id: ScenarioId(row.id),
            name: row.name,
            code: row.code,
            created: Timestamp(row.created_at),
            modified: Timestamp(row.modified_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    status: String,
    started_at: i64,
    duration_ms: i64,
    started_by: String,
}

impl TryFrom<RunRow> for RunSummary {
    type Error = StoreError;

    fn try_from(row: RunRow) -> Result<Self, StoreError> {
        Ok(RunSummary {
            id: RunId(row.id),
            status: row.status.parse().map_err(|()| {
                StoreError::Corrupt(format!("unknown run status {:?}", row.status))
            })?,
            started: Timestamp(row.started_at),
            duration_ms: row.duration_ms,
            started_by: row.started_by,
        })
    }
}

const RUN_COLUMNS: &str = "r.id, r.status, r.started_at, r.duration_ms, r.started_by";

fn checked(name: &str, code: &str) -> Result<(), StoreError> {
    check_scenario_name(name).map_err(|m| StoreError::invalid(Field::ScenarioName, m))?;
    check_scenario_code(code).map_err(|m| StoreError::invalid(Field::ScenarioCode, m))
}

fn duplicate_or(err: sqlx::Error, name: &str) -> StoreError {
    if is_unique_violation(&err) {
        StoreError::DuplicateScenario(name.to_owned())
    } else {
        err.into()
    }
}

impl SecretStore {
    /// An application's scenarios by name, each with its latest run.
    pub async fn list_scenarios(
        &self,
        app: ApplicationId,
    ) -> Result<Vec<ScenarioSummary>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            scenario_id: i64,
            name: String,
            modified_at: i64,
            id: Option<i64>,
            status: Option<String>,
            started_at: Option<i64>,
            duration_ms: Option<i64>,
            started_by: Option<String>,
        }
        let mut conn = self.pool.acquire().await?;
        self.require_application(&mut conn, app).await?;
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT s.id AS scenario_id, s.name, s.modified_at, {RUN_COLUMNS} FROM scenarios s \
             LEFT JOIN scenario_runs r ON r.id = \
               (SELECT MAX(l.id) FROM scenario_runs l WHERE l.scenario_id = s.id) \
             WHERE s.application_id = $1 ORDER BY s.name"
        ))
        .bind(app.0)
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter()
            .map(|row| {
                let last_run = match (
                    row.id,
                    row.status,
                    row.started_at,
                    row.duration_ms,
                    row.started_by,
                ) {
                    (
                        Some(id),
                        Some(status),
                        Some(started_at),
                        Some(duration_ms),
                        Some(started_by),
                    ) => Some(RunSummary::try_from(RunRow {
                        id,
                        status,
                        started_at,
                        duration_ms,
                        started_by,
                    })?),
                    _ => None,
                };
                Ok(ScenarioSummary {
                    id: ScenarioId(row.scenario_id),
                    name: row.name,
                    modified: Timestamp(row.modified_at),
                    last_run,
                })
            })
            .collect()
    }

    pub async fn get_scenario(
        &self,
        app: ApplicationId,
        id: ScenarioId,
    ) -> Result<Scenario, StoreError> {
        let row: Option<ScenarioRow> = sqlx::query_as(
            "SELECT id, name, code, created_at, modified_at FROM scenarios \
             WHERE id = $1 AND application_id = $2",
        )
        .bind(id.0)
        .bind(app.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Into::into).ok_or(StoreError::ScenarioNotFound)
    }

    /// The scenario called exactly `name` in `app`, if there is one.
    pub async fn find_scenario(
        &self,
        app: ApplicationId,
        name: &str,
    ) -> Result<Option<ScenarioId>, StoreError> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM scenarios WHERE application_id = $1 AND name = $2")
                .bind(app.0)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        Ok(id.map(ScenarioId))
    }

    pub async fn create_scenario(
        &self,
        by: &Actor,
        app: ApplicationId,
        name: &str,
        code: &str,
    ) -> Result<Scenario, StoreError> {
        checked(name, code)?;
        let mut tx = self.write_transaction().await?;
        let app_name = application_name(&mut tx, app).await?;
        let at = now().0;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO scenarios (application_id, name, code, created_at, modified_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(app.0)
        .bind(name)
        .bind(code)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| duplicate_or(e, name))?;
        let event = Event::success(
            AuditAction::ScenarioCreate,
            scenario_target(app, &app_name, name),
        );
        audit::record(&mut tx, by, &event).await?;
        tx.commit().await?;
        self.get_scenario(app, ScenarioId(id)).await
    }

    /// Replaces a scenario's name and code.
    pub async fn update_scenario(
        &self,
        by: &Actor,
        app: ApplicationId,
        id: ScenarioId,
        name: &str,
        code: &str,
    ) -> Result<Scenario, StoreError> {
        checked(name, code)?;
        let mut tx = self.write_transaction().await?;
        let app_name = application_name(&mut tx, app).await?;
        let old: Option<(String, String)> = sqlx::query_as(
            "SELECT name, code FROM scenarios WHERE id = $1 AND application_id = $2",
        )
        .bind(id.0)
        .bind(app.0)
        .fetch_optional(&mut *tx)
        .await?;
        let (old_name, old_code) = old.ok_or(StoreError::ScenarioNotFound)?;
        let mut changed = Vec::new();
        if old_name != name {
            changed.push(format!("renamed from {old_name}"));
        }
        if old_code != code {
            changed.push("code changed".to_owned());
        }
        if changed.is_empty() {
            return Err(StoreError::NothingToChange);
        }
        sqlx::query(
            "UPDATE scenarios SET name = $1, code = $2, modified_at = $3 \
             WHERE id = $4 AND application_id = $5",
        )
        .bind(name)
        .bind(code)
        .bind(now().0)
        .bind(id.0)
        .bind(app.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| duplicate_or(e, name))?;
        let event = Event::success(
            AuditAction::ScenarioUpdate,
            scenario_target(app, &app_name, name),
        )
        .with_detail(changed.join("; "));
        audit::record(&mut tx, by, &event).await?;
        tx.commit().await?;
        self.get_scenario(app, id).await
    }

    /// Deletes a scenario with its runs.
    pub async fn delete_scenario(
        &self,
        by: &Actor,
        app: ApplicationId,
        id: ScenarioId,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        let app_name = application_name(&mut tx, app).await?;
        let name: Option<String> = sqlx::query_scalar(
            "DELETE FROM scenarios WHERE id = $1 AND application_id = $2 RETURNING name",
        )
        .bind(id.0)
        .bind(app.0)
        .fetch_optional(&mut *tx)
        .await?;
        let name = name.ok_or(StoreError::ScenarioNotFound)?;
        let event = Event::success(
            AuditAction::ScenarioDelete,
            scenario_target(app, &app_name, &name),
        );
        audit::record(&mut tx, by, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a finished run (and who started it) and drops the scenario's runs beyond the
    /// latest `RUNS_KEPT`, in one transaction.
    pub async fn record_run(
        &self,
        by: &Actor,
        app: ApplicationId,
        id: ScenarioId,
        run: NewRun,
    ) -> Result<RunSummary, StoreError> {
        let mut tx = self.write_transaction().await?;
        let (app_name, wrapped): (String, Vec<u8>) =
            sqlx::query_as("SELECT name, wrapped_key FROM applications WHERE id = $1")
                .bind(app.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::ApplicationNotFound)?;
        let name: String =
            sqlx::query_scalar("SELECT name FROM scenarios WHERE id = $1 AND application_id = $2")
                .bind(id.0)
                .bind(app.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::ScenarioNotFound)?;
        let report = serde_json::to_vec(&RunReport {
            error: run.error,
            log: run.log,
        })
        .map_err(|e| StoreError::Corrupt(format!("run report: {e}")))?;
        let key = self.master.unwrap(app, &wrapped)?;
        let sealed = key.seal_run_report(app, id.0, &report)?;
        let started_by = by.name().to_owned();
        let run_id: i64 = sqlx::query_scalar(
            "INSERT INTO scenario_runs \
             (scenario_id, status, started_at, duration_ms, started_by, sealed_report) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(id.0)
        .bind(run.status.as_str())
        .bind(run.started.0)
        .bind(run.duration_ms)
        .bind(&started_by)
        .bind(sealed)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM scenario_runs WHERE scenario_id = $1 AND id NOT IN \
             (SELECT id FROM scenario_runs WHERE scenario_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind(id.0)
        .bind(RUNS_KEPT)
        .execute(&mut *tx)
        .await?;
        let event = Event::success(
            AuditAction::ScenarioRun,
            scenario_target(app, &app_name, &name),
        )
        .with_detail(run.status.as_str());
        audit::record(&mut tx, by, &event).await?;
        tx.commit().await?;
        Ok(RunSummary {
            id: RunId(run_id),
            status: run.status,
            started: run.started,
            duration_ms: run.duration_ms,
            started_by,
        })
    }

    /// A scenario's kept runs, newest first.
    pub async fn list_runs(
        &self,
        app: ApplicationId,
        id: ScenarioId,
    ) -> Result<Vec<RunSummary>, StoreError> {
        let rows: Vec<RunRow> = sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS} FROM scenario_runs r \
             JOIN scenarios s ON s.id = r.scenario_id \
             WHERE r.scenario_id = $1 AND s.application_id = $2 ORDER BY r.id DESC"
        ))
        .bind(id.0)
        .bind(app.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(RunSummary::try_from).collect()
    }

    /// One run with its log and error, unsealed, for `by`. A log may quote secret values, so
    /// opening it is audited as a read (naming the scenario and the run), committed before the
    /// log is returned.
    pub async fn read_run(
        &self,
        by: &Actor,
        app: ApplicationId,
        id: ScenarioId,
        run: RunId,
    ) -> Result<RunDetail, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            run: RunRow,
            sealed_report: Vec<u8>,
            wrapped_key: Vec<u8>,
            application_name: String,
            scenario_name: String,
        }
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {RUN_COLUMNS}, r.sealed_report, a.wrapped_key, \
               a.name AS application_name, s.name AS scenario_name FROM scenario_runs r \
             JOIN scenarios s ON s.id = r.scenario_id \
             JOIN applications a ON a.id = s.application_id \
             WHERE r.id = $1 AND r.scenario_id = $2 AND s.application_id = $3"
        ))
        .bind(run.0)
        .bind(id.0)
        .bind(app.0)
        .fetch_optional(&self.pool)
        .await?;
        let row = row.ok_or(StoreError::ScenarioNotFound)?;
        let key = self.master.unwrap(app, &row.wrapped_key)?;
        let plain = key.open_run_report(app, id.0, &row.sealed_report)?;
        let report: RunReport = serde_json::from_slice(&plain)
            .map_err(|e| StoreError::Corrupt(format!("run report: {e}")))?;

        let event = Event::success(
            AuditAction::SecretRead,
            scenario_target(app, &row.application_name, &row.scenario_name),
        )
        .with_detail(format!("log of run {}", run.0));
        let mut tx = self.write_transaction().await?;
        audit::record(&mut tx, by, &event).await?;
        tx.commit().await?;
        Ok(RunDetail {
            summary: row.run.try_into()?,
            error: report.error,
            log: report.log,
        })
    }
}

async fn application_name(
    conn: &mut crate::backend::Conn,
    app: ApplicationId,
) -> Result<String, StoreError> {
    sqlx::query_scalar("SELECT name FROM applications WHERE id = $1")
        .bind(app.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::ApplicationNotFound)
}

fn scenario_target(app: ApplicationId, app_name: &str, scenario: &str) -> Target {
    Target {
        other: Some(format!("scenario {scenario}")),
        ..Target::application(app, app_name)
    }
}
