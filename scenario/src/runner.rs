//! Runs a stored scenario: loads it, runs it in the sandbox, and records the run. The panel and
//! the command line both come through here, with the sandbox in a worker process (see
//! `worker`). A runner without a worker program refuses every run: the sandbox never runs in
//! the server's process, next to the master key, except in this crate's own unit tests.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Semaphore;

#[cfg(test)]
use super::runtime::{self, RunHost};
use super::runtime::{Limits, RunContext};
use super::worker::{self, SecretLookup};
use shared::model::{ApplicationId, RunDetail, ScenarioId, Source, Timestamp};
use store::{
    Actor, ActorKind, NewRun, ReadPurpose, SecretRef, SecretStore, SecretValue, StoreError,
};

/// Cheap to clone: the store, the limits, the shared count of free run slots and who holds
/// how many of them.
#[derive(Clone, Debug)]
pub struct ScenarioRunner {
    store: SecretStore,
    limits: Limits,
    concurrent: usize,
    slots: Arc<Semaphore>,
    per_user: Arc<UserRuns>,
    isolation: Isolation,
}

/// Runs going (or waiting for a slot) by each person, so that one cannot hold every slot.
#[derive(Debug)]
struct UserRuns {
    cap: usize,
    going: Mutex<HashMap<Who, usize>>,
}

/// Whose run it is: the kind of actor and its name, so that a user and a service account (or
/// the CLI) that share a name do not share a cap.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Who(&'static str, String);

impl Who {
    fn of(actor: &Actor) -> Self {
        let kind = match actor.kind {
            ActorKind::User(_) => "user",
            ActorKind::ServiceAccount(_) => "service_account",
            ActorKind::ApiKey => "api_key",
            ActorKind::System(_) => "system",
        };
        Who(kind, actor.name().to_owned())
    }
}

impl UserRuns {
    /// One more run for `who`, or `None` if they are at the cap.
    fn start(self: &Arc<Self>, who: Who) -> Option<UserRun> {
        let mut going = self.going.lock().unwrap_or_else(|e| e.into_inner());
        let count = going.entry(who.clone()).or_default();
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(UserRun {
            runs: Arc::clone(self),
            who,
        })
    }
}

/// One person's run; dropping it gives the run back.
struct UserRun {
    runs: Arc<UserRuns>,
    who: Who,
}

impl Drop for UserRun {
    fn drop(&mut self) {
        let mut going = self.runs.going.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = going.get_mut(&self.who) {
            *count -= 1;
            if *count == 0 {
                going.remove(&self.who);
            }
        }
    }
}

/// Where the sandbox runs.
#[derive(Clone, Debug)]
enum Isolation {
    /// Nowhere: no worker program was given, and the server's own process (which holds the
    /// master key) is no place for a script. Every run is refused.
    Refused,
    /// On a blocking thread of this process, unconfined, and nothing can stop a builtin that
    /// never polls the interrupt hook there: only for this crate's unit tests.
    #[cfg(test)]
    InProcess,
    /// In `program scenario-worker`, confined, and killed at the deadline.
    Worker(PathBuf),
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
    #[error(
        "One person may have at most {0} scenario run(s) going at once on this server, and you \
         have that many. Try again when one has finished."
    )]
    UserBusy(usize),
    #[error("the scenario engine failed: {0}")]
    Engine(String),
}

impl ScenarioRunner {
    /// `concurrent` runs at most at once (each holds one thread and up to the memory limit),
    /// and `limits.runs_per_user` of them by one person (by default half, at least one).
    pub fn new(store: SecretStore, limits: Limits, concurrent: usize) -> Self {
        let concurrent = concurrent.max(1);
        let cap = limits.runs_per_user.unwrap_or(concurrent / 2).max(1);
        ScenarioRunner {
            store,
            limits,
            concurrent,
            slots: Arc::new(Semaphore::new(concurrent)),
            per_user: Arc::new(UserRuns {
                cap,
                going: Mutex::new(HashMap::new()),
            }),
            isolation: Isolation::Refused,
        }
    }

    /// Runs each scenario on a blocking thread of the test process.
    #[cfg(test)]
    pub(super) fn in_process(mut self) -> Self {
        self.isolation = Isolation::InProcess;
        self
    }

    /// Runs each scenario in `program scenario-worker` (the server binary itself).
    pub fn with_worker(mut self, program: PathBuf) -> Self {
        self.isolation = Isolation::Worker(program);
        self
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// How many runs one person may have going at once.
    pub fn runs_per_user(&self) -> usize {
        self.per_user.cap
    }

    /// How many runs `who` has going (or waiting for a slot).
    #[cfg(test)]
    pub(super) fn runs_going(&self, who: &Actor) -> usize {
        let going = self
            .per_user
            .going
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        going.get(&Who::of(who)).copied().unwrap_or(0)
    }

    /// Runs scenario `id` of `app` for `by` and records the run. Secret reads are audited
    /// as `by` through the `scenario` door, naming the scenario.
    pub async fn run(
        &self,
        by: &Actor,
        app: ApplicationId,
        id: ScenarioId,
    ) -> Result<RunDetail, RunError> {
        // Before anything is read or a slot taken.
        if let Isolation::Refused = self.isolation {
            return Err(no_worker());
        }
        let application = self.store.get_application(app).await?;
        let scenario = self.store.get_scenario(app, id).await?;
        // Refused at once, not queued: a queue would still let one person fill every slot.
        let user_run = self
            .per_user
            .start(Who::of(by))
            .ok_or(RunError::UserBusy(self.per_user.cap))?;
        // Waits at most one run's length for a slot.
        let slot = tokio::time::timeout(self.limits.wall_clock, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| RunError::Busy(self.concurrent))?
            .map_err(|_| RunError::Busy(self.concurrent))?;

        let secrets = StoreSecrets {
            store: self.store.clone(),
            actor: Actor {
                source: Source::Scenario,
                ..by.clone()
            },
            app,
            scenario: scenario.name.clone(),
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
        let report = match &self.isolation {
            Isolation::Refused => return Err(no_worker()),
            Isolation::Worker(program) => {
                let mut secrets = secrets;
                let report =
                    worker::run_in_worker(program, code, context, limits, &mut secrets).await;
                drop((slot, user_run));
                report
            }
            #[cfg(test)]
            Isolation::InProcess => {
                let host = BlockingSecrets {
                    secrets,
                    handle: tokio::runtime::Handle::current(),
                };
                // The slots go with the thread: a dropped request does not free them early.
                tokio::task::spawn_blocking(move || {
                    let report = runtime::run(&code, Box::new(host), &context, limits);
                    drop((slot, user_run));
                    report
                })
                .await
                .map_err(|e| RunError::Engine(e.to_string()))?
            }
        };
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

fn no_worker() -> RunError {
    tracing::error!("a scenario run was refused: this runner has no worker program");
    RunError::Engine(
        "this server has no scenario worker, so scenarios cannot run here; see the server log"
            .into(),
    )
}

/// The store as a scenario sees it: only `app`'s secrets, each read audited.
struct StoreSecrets {
    store: SecretStore,
    actor: Actor,
    app: ApplicationId,
    /// The scenario's name, which the audit record of each read gives.
    scenario: String,
}

impl SecretLookup for StoreSecrets {
    async fn lookup(&mut self, name: &str) -> Result<Option<SecretValue>, String> {
        let read = self
            .store
            .read_secret(
                &self.actor,
                self.app.into(),
                SecretRef::Name(name),
                ReadPurpose::Scenario(&self.scenario),
            )
            .await;
        match read {
            Ok(read) => Ok(Some(read.value)),
            Err(StoreError::SecretNotFound) => Ok(None),
            Err(err) => {
                // The cause goes to the server log; the run's log says only that it failed.
                tracing::error!(error = %err, "a scenario's secret read failed");
                Err(
                    "Strongroom could not read secrets for this run; see the server log."
                        .to_owned(),
                )
            }
        }
    }
}

/// `StoreSecrets` for the in-process sandbox, which calls from a blocking thread.
#[cfg(test)]
struct BlockingSecrets {
    secrets: StoreSecrets,
    handle: tokio::runtime::Handle,
}

#[cfg(test)]
impl RunHost for BlockingSecrets {
    fn secret_value(&mut self, name: &str) -> Result<Option<SecretValue>, String> {
        self.handle.block_on(self.secrets.lookup(name))
    }
}
