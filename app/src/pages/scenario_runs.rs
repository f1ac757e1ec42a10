//! A scenario's runs: the one on show (just run, or picked from the list) with its status,
//! error and time-stamped log, and the latest runs kept by the server. Logs may hold secret
//! values, so opening one asks for the password like Reveal does.

use leptos::prelude::*;

use super::scenarios::StatusBadge;
use crate::error::PanelError;
use crate::server_fns::{get_run, list_runs};
use shared::model::{ApplicationId, RUNS_KEPT, RunDetail, RunId, ScenarioId};

#[component]
pub fn RunsPanel(
    app: ApplicationId,
    scenario: ScenarioId,
    /// The run on show; the editor sets it after Run.
    latest: RwSignal<Option<RunDetail>>,
    /// Bumped when a run is added, so the list reloads.
    changed: RwSignal<u32>,
    step_up: RwSignal<Option<Callback<()>>>,
    go_to_line: Callback<u32>,
) -> impl IntoView {
    let runs = Resource::new(move || changed.get(), move |_| list_runs(app, scenario));
    let error = RwSignal::new(None::<String>);
    // The result carries its run id, so a refusal for want of the password can retry it.
    let open = Action::new(move |run: &RunId| {
        let run = *run;
        async move { (run, get_run(app, scenario, run).await) }
    });
    Effect::new(move |_| match open.value().get() {
        Some((_, Ok(detail))) => {
            error.set(None);
            latest.set(Some(detail));
        }
        Some((run, Err(PanelError::PasswordRequired))) => {
            step_up.set(Some(Callback::new(move |()| {
                open.dispatch(run);
            })));
        }
        Some((_, Err(err))) => error.set(Some(err.to_string())),
        None => {}
    });

    let list = move || {
        runs.get().map(|result| match result {
            Ok(list) if list.is_empty() => {
                view! { <p class="muted">"No runs yet. Run shows the log here."</p> }.into_any()
            }
            Ok(list) => {
                let rows = list
                    .into_iter()
                    .map(|run| {
                        let id = run.id;
                        let showing = move || latest.with(|l| l.as_ref().is_some_and(|l| l.summary.id == id));
                        view! {
                            <tr class:selected=showing>
                                <td class="mono nowrap">{run.started.to_string()}</td>
                                <td><StatusBadge status=run.status /></td>
                                <td class="mono nowrap">{format!("{} ms", run.duration_ms)}</td>
                                <td>{run.started_by.clone()}</td>
                                <td class="actions">
                                    <button
                                        class="button small"
                                        aria-label=format!("Show the log of the run at {}", run.started)
                                        disabled=move || showing() || open.pending().get()
                                        on:click=move |_| {
                                            open.dispatch(id);
                                        }
                                    >
                                        "Show log"
                                    </button>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <div class="table-wrap">
                        <table class="data-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Started (UTC)"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Duration"</th>
                                    <th scope="col">"By"</th>
                                    <th scope="col" class="actions"><span class="visually-hidden">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                    <p class="muted table-footer">{format!("The latest {RUNS_KEPT} runs are kept.")}</p>
                }
                .into_any()
            }
            Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
        })
    };

    view! {
        <section class="runs" aria-labelledby="runs-title">
            {move || latest.get().map(|run| view! { <RunView run=run go_to_line=go_to_line /> })}
            <p class="form-error" role="alert">{move || error.get()}</p>
            <h2 id="runs-title">"Recent runs"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading runs…"</p> }>{list}</Transition>
        </section>
    }
}

/// One run: how it ended, its error (with a jump to the line), and its log.
#[component]
fn RunView(run: RunDetail, go_to_line: Callback<u32>) -> impl IntoView {
    let summary = run.summary;
    let error = run.error.map(|error| {
        let line = error.line;
        view! {
            <p class="run-error" role="alert" data-testid="run-error">
                {error.to_string()}
                {line.map(|line| view! {
                    " "
                    <button class="button small" on:click=move |_| go_to_line.run(line)>
                        {format!("Go to line {line}")}
                    </button>
                })}
            </p>
        }
    });
    let log = if run.log.is_empty() {
        view! { <p class="muted">"The run wrote nothing to the log."</p> }.into_any()
    } else {
        let lines = run
            .log
            .into_iter()
            .map(|line| {
                view! {
                    <li>
                        <time class="log-time">{line.time()}</time>
                        <span class="log-text">{line.text}</span>
                    </li>
                }
            })
            .collect_view();
        view! { <ol class="run-log" data-testid="run-log">{lines}</ol> }.into_any()
    };
    view! {
        <div class="run-view" aria-live="polite">
            <h2>
                "Run at " {summary.started.to_string()} " UTC "
                <StatusBadge status=summary.status />
            </h2>
            <p class="muted">{format!("{} ms, started by {}", summary.duration_ms, summary.started_by)}</p>
            {error}
            {log}
        </div>
    }
}
