//! Scenarios from the panel. Reading and writing code follows the secret metadata rules;
//! running a scenario, or reading a run's log, is a read of values (the scenario reads them and
//! may write them to its log), so it needs `ReadValues` and a fresh password, like Reveal.

use leptos::prelude::*;
use server_fn::codec::Json;

use crate::auth::PanelClient;
use crate::error::PanelError;
use shared::model::{
    ApplicationId, RunDetail, RunId, RunSummary, Scenario, ScenarioId, ScenarioSummary,
};

#[cfg(feature = "ssr")]
use shared::model::Permission;

#[server(endpoint = "list_scenarios", client = PanelClient)]
pub async fn list_scenarios(
    application_id: ApplicationId,
) -> Result<Vec<ScenarioSummary>, PanelError> {
    let caller = super::guard::require(Permission::ViewMetadata).await?;
    Ok(caller.store.list_scenarios(application_id).await?)
}

#[server(endpoint = "get_scenario", client = PanelClient)]
pub async fn get_scenario(
    application_id: ApplicationId,
    scenario_id: ScenarioId,
) -> Result<Scenario, PanelError> {
    let caller = super::guard::require(Permission::ViewMetadata).await?;
    Ok(caller
        .store
        .get_scenario(application_id, scenario_id)
        .await?)
}

/// JSON in: code may be 256 K characters, which URL-encoding would triple.
#[server(endpoint = "create_scenario", client = PanelClient, input = Json)]
pub async fn create_scenario(
    application_id: ApplicationId,
    name: String,
    code: String,
) -> Result<Scenario, PanelError> {
    let caller = super::guard::require(Permission::WriteSecrets).await?;
    Ok(caller
        .store
        .create_scenario(&caller.actor, application_id, &name, &code)
        .await?)
}

#[server(endpoint = "update_scenario", client = PanelClient, input = Json)]
pub async fn update_scenario(
    application_id: ApplicationId,
    scenario_id: ScenarioId,
    name: String,
    code: String,
) -> Result<Scenario, PanelError> {
    let caller = super::guard::require(Permission::WriteSecrets).await?;
    Ok(caller
        .store
        .update_scenario(&caller.actor, application_id, scenario_id, &name, &code)
        .await?)
}

#[server(endpoint = "delete_scenario", client = PanelClient)]
pub async fn delete_scenario(
    application_id: ApplicationId,
    scenario_id: ScenarioId,
) -> Result<(), PanelError> {
    let caller = super::guard::require(Permission::WriteSecrets).await?;
    Ok(caller
        .store
        .delete_scenario(&caller.actor, application_id, scenario_id)
        .await?)
}

/// Runs the saved code and returns the run with its log.
#[server(endpoint = "run_scenario", client = PanelClient)]
pub async fn run_scenario(
    application_id: ApplicationId,
    scenario_id: ScenarioId,
) -> Result<RunDetail, PanelError> {
    let caller = super::guard::require(Permission::ReadValues).await?;
    super::guard::require_fresh_password(&caller)?;
    super::no_store();
    let runner = super::runner()?;
    runner
        .run(&caller.actor, application_id, scenario_id)
        .await
        .map_err(run_error)
}

#[server(endpoint = "list_runs", client = PanelClient)]
pub async fn list_runs(
    application_id: ApplicationId,
    scenario_id: ScenarioId,
) -> Result<Vec<RunSummary>, PanelError> {
    let caller = super::guard::require(Permission::ViewMetadata).await?;
    Ok(caller.store.list_runs(application_id, scenario_id).await?)
}

#[server(endpoint = "get_run", client = PanelClient)]
pub async fn get_run(
    application_id: ApplicationId,
    scenario_id: ScenarioId,
    run_id: RunId,
) -> Result<RunDetail, PanelError> {
    let caller = super::guard::require(Permission::ReadValues).await?;
    super::guard::require_fresh_password(&caller)?;
    super::no_store();
    // Audited as a read by the caller: the log may quote values.
    Ok(caller
        .store
        .read_run(&caller.actor, application_id, scenario_id, run_id)
        .await?)
}

#[cfg(feature = "ssr")]
fn run_error(err: scenario::RunError) -> PanelError {
    use scenario::RunError;
    match err {
        RunError::Store(err) => err.into(),
        RunError::Busy(_) | RunError::UserBusy(_) => super::errors::fail(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            PanelError::Throttled(err.to_string()),
        ),
        RunError::Engine(_) => super::errors::internal(&err),
    }
}
