//! `strongroom scenario run | list`: scenarios from the command line, on the database
//! directly (also while a server is running). A run here is the same as the panel's Run: the
//! same sandbox, the same audit records, kept with the scenario's latest runs.

use anyhow::Context;
use scenario::ScenarioRunner;
use shared::model::RunStatus;
use std::process::ExitCode;
use store::{Actor, SecretStore};

use crate::cli::ScenarioCommand;
use crate::open_store::find_application;
use crate::service_account::open;

pub async fn run(command: ScenarioCommand) -> anyhow::Result<ExitCode> {
    match command {
        ScenarioCommand::Run {
            application,
            scenario,
            limits,
            store,
        } => {
            let store = open(&store).await?;
            let result = run_one(&store, &application, &scenario, limits.limits()).await;
            store.close().await;
            result
        }
        ScenarioCommand::List { application, store } => {
            let store = open(&store).await?;
            let result = list(&store, &application).await;
            store.close().await;
            result.map(|()| ExitCode::SUCCESS)
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
