//! Runs a stored scenario: loads it, runs it in the sandbox on a blocking thread (QuickJS is
//! synchronous, and so is `getSecretValue`), and records the run. The panel and the command
//! line both come through here.

use std::sync::Arc;
use std::time::Instant;
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

use super::runtime::{self, Limits, RunContext, SecretSource};
use crate::model::{ApplicationId, RunDetail, ScenarioId, Source, Timestamp};
use crate::store::{Actor, NewRun, SecretStore, SecretValue, StoreError};

/// Cheap to clone: the store, the limits, and the shared count of free run slots.
#[derive(Clone, Debug)]
pub struct ScenarioRunner {
    store: SecretStore,
    limits: Limits,
    concurrent: usize,
    slots: Arc<Semaphore>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "Every scenario slot on this server is busy (at most {0} run at once). Try again in a \
         few seconds."
    )]
    Busy(usize),
    #[error("the scenario engine failed: {0}")]
    Engine(String),
}

impl ScenarioRunner {
    /// `concurrent` runs at most at once (each holds one thread and up to the memory limit).
    pub fn new(store: SecretStore, limits: Limits, concurrent: usize) -> Self {
        let concurrent = concurrent.max(1);
        ScenarioRunner {
            store,
            limits,
            concurrent,
            slots: Arc::new(Semaphore::new(concurrent)),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Runs scenario `id` of `app` for `by` and records the run. Secret reads are audited
    /// as `by` through the `scenario` door, naming the scenario.
    pub async fn run(
        &self,
        by: &Actor,
        app: ApplicationId,
        id: ScenarioId,
    ) -> Result<RunDetail, RunError> {
        let application = self.store.get_application(app).await?;
        let scenario = self.store.get_scenario(app, id).await?;
        // Waits at most one run's length for a slot.
        let _slot = tokio::time::timeout(self.limits.wall_clock, self.slots.acquire())
            .await
            .map_err(|_| RunError::Busy(self.concurrent))?
            .map_err(|_| RunError::Busy(self.concurrent))?;

        let source = StoreSecrets {
            store: self.store.clone(),
            actor: Actor {
                source: Source::Scenario,
                ..by.clone()
            },
            app,
            how: format!("scenario {}", scenario.name),
            handle: Handle::current(),
        };
        let context = RunContext {
            application_id: app.0,
            application_name: application.name,
            scenario_name: scenario.name,
        };
        let limits = self.limits;
        let code = scenario.code;
        let started = Timestamp(chrono::Utc::now().timestamp());
        let clock = Instant::now();
        let report = tokio::task::spawn_blocking(move || {
            runtime::run(&code, Box::new(source), &context, limits)
        })
        .await
        .map_err(|e| RunError::Engine(e.to_string()))?;
        let duration_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);

        let summary = self
            .store
            .record_run(
                by,
                app,
                id,
                NewRun {
                    status: report.status,
                    started,
                    duration_ms,
                    error: report.error.clone(),
                    log: report.log.clone(),
                },
            )
            .await?;
        Ok(RunDetail {
            summary,
            error: report.error,
            log: report.log,
        })
    }
}

/// The store as a scenario sees it: only `app`'s secrets, each read audited.
struct StoreSecrets {
    store: SecretStore,
    actor: Actor,
    app: ApplicationId,
    how: String,
    handle: Handle,
}

impl SecretSource for StoreSecrets {
    fn secret_value(&mut self, name: &str) -> Result<Option<SecretValue>, String> {
        let read = self.handle.block_on(self.store.read_secret_by_name(
            &self.actor,
            self.app,
            name,
            &self.how,
        ));
        read.map_err(|err| {
            // The cause goes to the server log; the run's log says only that the read failed.
            tracing::error!(error = %err, "a scenario's secret read failed");
            "Strongroom could not read secrets for this run; see the server log.".to_owned()
        })
    }
}
