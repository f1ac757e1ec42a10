//! `strongroom scenario run | list`: scenarios from the command line, on the database
//! directly (also while a server is running). A run here is the same as the panel's Run: the
//! same sandbox, the same audit records, kept with the scenario's latest runs.

use anyhow::Context;
use scenario::ScenarioRunner;
use shared::model::RunStatus;
use std::process::ExitCode;
use store::{Actor, SecretStore};

use clap::{Args, Subcommand};

use super::open_store::find_application;
use super::with_store;
use crate::cli::StoreArgs;

#[derive(Subcommand, Debug)]
pub enum ScenarioCommand {
    /// Run a saved scenario and print its log lines (UTC times) to standard output.
    #[command(after_help = "Exit status:\n  \
        0  the scenario called VoxEngine.terminate(), or ended with nothing left to run\n  \
        1  it could not run (no such application or scenario, unreadable data)\n  \
        3  an error: in the script (the message names the line), or a failed secret read\n  \
        4  the time limit stopped it\n  \
        5  the 16 MB memory limit stopped it\n\n\
        Example:\n  strongroom scenario run calls greeter --timeout-secs 5\n\n\
        Secret reads are audited as the command line (source scenario, with the scenario's name), \
        and the run is kept with the scenario's latest runs in the panel.")]
    Run {
        /// The application's short name (`calls`), full name, or id.
        application: String,
        /// The scenario's name.
        scenario: String,
        #[command(flatten)]
        limits: ScenarioArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List an application's scenarios with their latest run.
    List {
        /// The application's short name, full name, or id.
        application: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// How long a scenario may run, and how many runs one person may have going; the panel's runs
/// and the command line's share them.
#[derive(Args, Debug, Clone)]
pub struct ScenarioArgs {
    /// A scenario run is stopped after this many seconds (wall clock).
    #[arg(long = "scenario-timeout-secs", alias = "timeout-secs", env = "STRONGROOM_SCENARIO_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout_secs: u64,
    /// At most this many scenario runs by one person at once; more are refused (429). Default:
    /// half the run slots (one per core), at least 1.
    #[arg(long = "scenario-runs-per-user", env = "STRONGROOM_SCENARIO_RUNS_PER_USER", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub runs_per_user: Option<u64>,
}

impl ScenarioArgs {
    pub fn limits(&self) -> scenario::Limits {
        scenario::Limits {
            wall_clock: std::time::Duration::from_secs(self.timeout_secs),
            runs_per_user: self
                .runs_per_user
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            ..scenario::Limits::default()
        }
    }
}

pub async fn run(command: ScenarioCommand) -> anyhow::Result<ExitCode> {
    match command {
        ScenarioCommand::Run {
            application,
            scenario,
            limits,
            store,
        } => {
            with_store(&store, async |store| {
                run_one(store, &application, &scenario, limits.limits()).await
            })
            .await
        }
        ScenarioCommand::List { application, store } => {
            with_store(&store, async |store| list(store, &application).await)
                .await
                .map(|()| ExitCode::SUCCESS)
        }
    }
}

async fn run_one(
    store: &SecretStore,
    application: &str,
    scenario: &str,
    limits: scenario::Limits,
) -> anyhow::Result<ExitCode> {
    let app = find_application(store, application).await?;
    let id = store.find_scenario(app, scenario).await?.with_context(|| {
        format!("application {application:?} has no scenario named {scenario:?}")
    })?;
    let program = std::env::current_exe().context("cannot locate the strongroom binary")?;
    let runner = ScenarioRunner::new(store.clone(), limits, 1).with_worker(program);
    let run = runner
        .run(&Actor::system("cli"), app, id)
        .await
        .with_context(|| format!("cannot run scenario {scenario:?}"))?;
    for line in &run.log {
        println!("{}  {}", line.time(), line.text);
    }
    let status = run.summary.status;
    match &run.error {
        Some(error) => eprintln!(
            "strongroom: scenario {scenario}: {status} after {} ms: {error}",
            run.summary.duration_ms
        ),
        None => eprintln!(
            "strongroom: scenario {scenario}: {status} after {} ms",
            run.summary.duration_ms
        ),
    }
    Ok(ExitCode::from(exit_code(status)))
}

/// The documented exit status for each way a run can end (see `--help`).
fn exit_code(status: RunStatus) -> u8 {
    match status {
        RunStatus::Terminated | RunStatus::Ended => 0,
        RunStatus::Error => 3,
        RunStatus::TimedOut => 4,
        RunStatus::OutOfMemory => 5,
    }
}

async fn list(store: &SecretStore, application: &str) -> anyhow::Result<()> {
    let app = find_application(store, application).await?;
    let scenarios = store.list_scenarios(app).await?;
    if scenarios.is_empty() {
        println!(
            "No scenarios in {application}. Add one in the panel: the application's Scenarios page."
        );
        return Ok(());
    }
    println!("{:<32}  {:<19}  LAST RUN", "NAME", "MODIFIED (UTC)");
    for scenario in scenarios {
        let last = scenario
            .last_run
            .map(|run| format!("{} at {}", run.status, run.started))
            .unwrap_or_else(|| "never run".into());
        println!("{:<32}  {:<19}  {last}", scenario.name, scenario.modified);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_clean_end_exits_zero() {
        for status in RunStatus::ALL {
            assert_eq!(exit_code(status) == 0, status.is_success(), "{status:?}");
        }
        let codes: std::collections::HashSet<_> =
            RunStatus::ALL.into_iter().map(exit_code).collect();
        assert_eq!(codes.len(), 4, "each failure has its own code");
    }
}
