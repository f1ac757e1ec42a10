//! An application's Scenarios page: the list, with each scenario's latest run. Opening one (or
//! New scenario) leads to the editor, `scenario_editor`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::use_application_id;
use crate::components::can;
use crate::error::PanelError;
use crate::server_fns::list_scenarios;
use shared::model::{ApplicationId, Permission, RunStatus, ScenarioSummary};

#[component]
pub fn ScenariosPage() -> impl IntoView {
    let id = use_application_id();
    let scenarios = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => list_scenarios(id).await.map(|list| (id, list)),
                None => Err(PanelError::NotFound(
                    "There is no application at this address.".into(),
                )),
            }
        },
    );
    let new_link = move || {
        id.get()
            .map(|id| format!("/applications/{id}/scenarios/new"))
            .unwrap_or_default()
    };

    let table = move |(app, list): (ApplicationId, Vec<ScenarioSummary>)| {
        if list.is_empty() {
            return view! {
                <section class="empty-state">
                    <h2>"No scenarios yet"</h2>
                    <p>"A scenario is JavaScript that runs here and reads this application's secrets with VoxEngine.getSecretValue(name)."</p>
                    {can(Permission::WriteSecrets).then(|| view! {
                        <A href=format!("/applications/{app}/scenarios/new") attr:class="button primary">"New scenario"</A>
                    })}
                </section>
            }
            .into_any();
        }
        let rows = list
            .into_iter()
            .map(|scenario| {
                let href = format!("/applications/{app}/scenarios/{}", scenario.id);
                let last_run = match &scenario.last_run {
                    Some(run) => view! {
                        <StatusBadge status=run.status />
                        <span class="mono muted nowrap">" " {run.started.to_string()}</span>
                    }
                    .into_any(),
                    None => view! { <span class="muted">"Never run"</span> }.into_any(),
                };
                view! {
                    <tr>
                        <td class="mono name-cell"><A href=href>{scenario.name.clone()}</A></td>
                        <td>{last_run}</td>
                        <td class="mono nowrap">{scenario.modified.to_string()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Last run (UTC)"</th>
                            <th scope="col">"Modified (UTC)"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };

    view! {
        <Title text="Scenarios" />
        <div class="page-header">
            <div>
                <h1>"Scenarios"</h1>
                <p class="subtitle">"JavaScript run on this server, with this application's secrets and nothing else."</p>
            </div>
            <Transition fallback=|| ()>
                {move || can(Permission::WriteSecrets).then(|| view! {
                    <A href=new_link attr:class="button primary">"New scenario"</A>
                })}
            </Transition>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading scenarios…"</p> }>
            {move || {
                scenarios
                    .get()
                    .map(|result| match result {
                        Ok(list) => table(list),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

/// A run's status as a coloured label.
#[component]
pub fn StatusBadge(status: RunStatus) -> impl IntoView {
    view! {
        <span class=format!("status-badge status-{}", status.as_str()) data-testid="run-status">
            {status.label()}
        </span>
    }
}
