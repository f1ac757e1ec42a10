//! One scenario: a monospace editor for its name and code, Run, and its latest runs. A new
//! scenario starts from the example that reads secret `test`.

mod code_field;
mod state;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::scenario_runs::RunsPanel;
use super::use_application_id;
use crate::components::{ConfirmDialog, FieldMessage, StepUpDialog};
use crate::error::PanelError;
use crate::server_fns::{delete_scenario, get_scenario};
use code_field::{CodeField, select_line};
use shared::model::{ApplicationId, Scenario, ScenarioId};
use state::EditorState;

/// What a new scenario starts with: the example from Voximplant's documentation.
pub const EXAMPLE_SCENARIO: &str = r#"VoxEngine.addEventListener(AppEvents.Started, () => {
  const secretKey = 'test';
  const secret = VoxEngine.getSecretValue(secretKey);
  const message = typeof secret === 'undefined' ? 'The secret value is undefined!' : secret;
  Logger.write(`===> ${message}`);
  VoxEngine.terminate();
});
"#;

/// `/applications/:id/scenarios/:scenario`, where `:scenario` is an id or `new`.
#[component]
pub fn ScenarioEditorPage() -> impl IntoView {
    let app = use_application_id();
    let params = use_params_map();
    // `None` for `new`; `Some(None)` for an address that names no scenario.
    let scenario_id = Memo::new(move |_| match params.read().get("scenario").as_deref() {
        Some("new") => None,
        other => Some(other.and_then(|s| s.parse().ok()).map(ScenarioId)),
    });
    let loaded = Resource::new(
        move || (app.get(), scenario_id.get()),
        |(app, scenario)| async move {
            let Some(app) = app else {
                return Err(PanelError::NotFound(
                    "There is no application at this address.".into(),
                ));
            };
            match scenario {
                Some(Some(id)) => get_scenario(app, id).await.map(|s| (app, Some(s))),
                Some(None) => Err(PanelError::NotFound(
                    "There is no scenario at this address.".into(),
                )),
                None => Ok((app, None)),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the scenario…"</p> }>
            {move || {
                loaded
                    .get()
                    .map(|result| match result {
                        Ok((app, existing)) => view! { <Editor app=app existing=existing /> }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

/// The editor: its state lives in `EditorState`; each part of the screen is its own component.
#[component]
fn Editor(app: ApplicationId, existing: Option<Scenario>) -> impl IntoView {
    let navigate = use_navigate();
    let state = EditorState::new(app, existing.as_ref(), navigate.clone());
    let editor = NodeRef::<leptos::html::Textarea>::new();
    let go_to_line = Callback::new(move |line: u32| {
        if let Some(area) = editor.get_untracked() {
            select_line(&area, line);
        }
    });
    let page_title = existing
        .as_ref()
        .map_or_else(|| "New scenario".to_owned(), |s| s.name.clone());
    // The runs panel belongs to the scenario's id, not to each saved version of it.
    let saved_id = Memo::new(move |_| state.saved.with(|s| s.as_ref().map(|s| s.id)));
    let back = format!("/applications/{app}/scenarios");
    let general_error = move || state.server_error.get().and_then(|e| e.general());
    let deleting = RwSignal::new(false);
    let on_deleted = {
        let back = back.clone();
        Callback::new(move |()| navigate(&back, Default::default()))
    };

    view! {
        // The document title is fixed at load: leptos_meta may read it after this page is
        // gone, when the signals behind the heading no longer exist.
        <Title text=page_title />
        <EditorHeader state=state back=back deleting=deleting />
        <NameField state=state autofocus=existing.is_none() editor=editor />
        <CodeField state=state editor=editor />
        <p class="form-error" role="alert">{general_error}</p>
        {move || saved_id.get().map(|scenario| view! {
            <RunsPanel
                app=app
                scenario=scenario
                latest=state.latest_run
                changed=state.runs_changed
                step_up=state.step_up
                go_to_line=go_to_line
            />
        })}
        <DeleteScenario state=state deleting=deleting on_deleted=on_deleted />
        {move || state.step_up.get().map(|retry| view! {
            <StepUpDialog
                on_close=Callback::new(move |()| state.step_up.set(None))
                on_confirmed=Callback::new(move |()| {
                    state.step_up.set(None);
                    retry.run(());
                })
            />
        })}
    }
}

/// The heading (the saved name), the way back, and Save, Run and Delete.
#[component]
fn EditorHeader(state: EditorState, back: String, deleting: RwSignal<bool>) -> impl IntoView {
    let EditorState {
        saved,
        dirty,
        save,
        run,
        may_write,
        may_run,
        ..
    } = state;
    // The saved name: the heading follows a rename once it is saved.
    let title = move || {
        saved.with(|s| {
            s.as_ref()
                .map_or_else(|| "New scenario".to_owned(), |s| s.name.clone())
        })
    };
    let save_label = move || match (save.pending().get(), saved.get().is_some()) {
        (true, _) => "Saving…",
        (false, true) => "Save",
        (false, false) => "Create scenario",
    };
    let run_label = move || {
        if run.pending().get() {
            "Running…"
        } else if dirty.get() && may_write {
            "Save and run"
        } else {
            "Run"
        }
    };
    view! {
        <div class="page-header">
            <div>
                <h1>{title}</h1>
                <p class="subtitle">
                    <a href=back>"All scenarios"</a>
                    {move || dirty.get().then_some(" · Unsaved changes")}
                </p>
            </div>
            <div class="header-actions">
                {may_write.then(|| view! {
                    <button class="button" disabled=move || save.pending().get() || !dirty.get() on:click=move |_| state.save()>
                        {save_label}
                    </button>
                })}
                {may_run.then(|| view! {
                    <button
                        class="button primary"
                        disabled=move || saved.get().is_none() || run.pending().get()
                        title=move || if saved.get().is_none() { "Create the scenario first" } else { "Ctrl+Enter" }
                        on:click=move |_| state.run()
                    >
                        {run_label}
                    </button>
                })}
                {move || (may_write && saved.get().is_some()).then(|| view! {
                    <button class="button danger-outline" on:click=move |_| deleting.set(true)>"Delete"</button>
                })}
            </div>
        </div>
    }
}

/// The scenario's name, checked as it is typed once a save was tried.
#[component]
fn NameField(
    state: EditorState,
    autofocus: bool,
    editor: NodeRef<leptos::html::Textarea>,
) -> impl IntoView {
    let name_error = state.name_error();
    let name = state.name;
    view! {
        <div class="field">
            <label class="label" for="scenario-name">"Name"</label>
            <input
                type="text"
                id="scenario-name"
                class="mono narrow"
                spellcheck="false"
                readonly=!state.may_write
                autofocus=autofocus
                aria-invalid=move || name_error.get().is_some().to_string()
                aria-describedby="scenario-name-hint scenario-name-error"
                prop:value=name
                on:input=move |event| {
                    name.set(event_target_value(&event));
                    state.server_error.set(None);
                }
                on:keydown=state.keydown(editor)
            />
            <span class="hint" id="scenario-name-hint">"Latin letters, digits, '_', '-' and '.'; up to 64 characters; unique in this application."</span>
            <FieldMessage id="scenario-name-error" message=name_error />
        </div>
    }
}

/// Delete, once confirmed; then back to the list.
#[component]
fn DeleteScenario(
    state: EditorState,
    deleting: RwSignal<bool>,
    on_deleted: Callback<()>,
) -> impl IntoView {
    let app = state.app;
    move || {
        if !deleting.get() {
            return None;
        }
        let scenario = state.saved.get_untracked()?;
        let action = Action::new(move |_: &()| delete_scenario(app, scenario.id));
        Effect::new(move |_| {
            if let Some(Ok(())) = action.value().get() {
                on_deleted.run(());
            }
        });
        Some(view! {
            <ConfirmDialog
                title="Delete scenario"
                message=format!("Delete the scenario \"{}\" and its runs? This cannot be undone.", scenario.name)
                confirm_label="Delete scenario"
                action=action
                on_close=Callback::new(move |()| deleting.set(false))
            />
        })
    }
}
