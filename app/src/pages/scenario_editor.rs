//! One scenario: a monospace editor for its name and code, Run, and its latest runs. A new
//! scenario starts from the example that reads secret `test`.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::scenario_runs::RunsPanel;
use super::use_application_id;
use crate::components::{ConfirmDialog, FieldMessage, StepUpDialog, can, shown_error};
use crate::error::PanelError;
use crate::server_fns::{
    create_scenario, delete_scenario, get_scenario, run_scenario, update_scenario,
};
use shared::model::{ApplicationId, Field, Permission, RunDetail, Scenario, ScenarioId};
use shared::validation::{SCENARIO_CODE_MAX_CHARS, check_scenario_code, check_scenario_name};

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

#[derive(Clone)]
struct Draft {
    name: String,
    code: String,
}

#[component]
fn Editor(app: ApplicationId, existing: Option<Scenario>) -> impl IntoView {
    let navigate = use_navigate();
    let may_write = can(Permission::WriteSecrets);
    let may_run = can(Permission::ReadValues);
    let saved = RwSignal::new(existing.clone());
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default(),
    );
    let code = RwSignal::new(
        existing
            .as_ref()
            .map(|s| s.code.clone())
            .unwrap_or_else(|| EXAMPLE_SCENARIO.to_owned()),
    );
    let dirty = Memo::new(move |_| {
        saved.with(|s| match s {
            Some(s) => name.with(|n| *n != s.name) || code.with(|c| *c != s.code),
            None => true,
        })
    });
    let submitted = RwSignal::new(false);
    let server_error = RwSignal::new(None::<PanelError>);
    let latest_run = RwSignal::new(None::<RunDetail>);
    let runs_changed = RwSignal::new(0u32);
    let step_up = RwSignal::new(None::<Callback<()>>);
    let deleting = RwSignal::new(false);
    let editor = NodeRef::<leptos::html::Textarea>::new();

    let name_error = shown_error(
        server_error,
        Field::ScenarioName,
        Signal::derive(move || submitted.get()),
        move || check_scenario_name(&name.get()).err(),
    );
    let code_error = shown_error(
        server_error,
        Field::ScenarioCode,
        Signal::derive(move || submitted.get()),
        move || check_scenario_code(&code.get()).err(),
    );
    let valid = move || {
        check_scenario_name(&name.get_untracked()).is_ok()
            && check_scenario_code(&code.get_untracked()).is_ok()
    };

    // Saving a new scenario creates it and moves to its own address.
    let save = Action::new(move |draft: &Draft| {
        let Draft { name, code } = draft.clone();
        let id = saved.get_untracked().map(|s| s.id);
        async move {
            match id {
                Some(id) => update_scenario(app, id, name, code).await,
                None => create_scenario(app, name, code).await,
            }
        }
    });
    let go = navigate.clone();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(scenario)) => {
            let created = saved.get_untracked().is_none();
            let id = scenario.id;
            saved.set(Some(scenario));
            if created {
                go(
                    &format!("/applications/{app}/scenarios/{id}"),
                    Default::default(),
                );
            }
        }
        Some(Err(err)) => server_error.set(Some(err)),
        None => {}
    });

    // Run saves unsaved changes first, so what runs is what the editor shows.
    let run = Action::new(move |draft: &Option<Draft>| {
        let draft = draft.clone();
        let id = saved.get_untracked().map(|s| s.id);
        async move {
            let Some(id) = id else {
                return Err(PanelError::BadRequest("save the scenario first".into()));
            };
            if let Some(Draft { name, code }) = draft {
                let scenario = update_scenario(app, id, name, code).await?;
                saved.set(Some(scenario));
            }
            run_scenario(app, id).await
        }
    });
    Effect::new(move |_| match run.value().get() {
        Some(Ok(detail)) => {
            latest_run.set(Some(detail));
            runs_changed.update(|n| *n += 1);
        }
        Some(Err(PanelError::PasswordRequired)) => step_up.set(Some(Callback::new(move |()| {
            run.dispatch(None);
        }))),
        Some(Err(err)) => server_error.set(Some(err)),
        None => {}
    });

    let do_save = move || {
        if saved.get_untracked().is_some() && !dirty.get_untracked() {
            return;
        }
        submitted.set(true);
        if may_write && valid() && !save.pending().get_untracked() {
            server_error.set(None);
            save.dispatch(Draft {
                name: name.get_untracked(),
                code: code.get_untracked(),
            });
        }
    };
    let do_run = move || {
        let busy = run.pending().get_untracked() || save.pending().get_untracked();
        if saved.get_untracked().is_none() || busy || !may_run {
            return;
        }
        let draft = if dirty.get_untracked() && may_write {
            submitted.set(true);
            if !valid() {
                return;
            }
            Some(Draft {
                name: name.get_untracked(),
                code: code.get_untracked(),
            })
        } else {
            None
        };
        server_error.set(None);
        run.dispatch(draft);
    };

    // Tab indents (Esc, then Tab, leaves the editor); Ctrl+S saves; Ctrl+Enter runs.
    let escaped = RwSignal::new(false);
    let on_keydown = move |event: KeyboardEvent| {
        let command = event.ctrl_key() || event.meta_key();
        match event.key().as_str() {
            "s" | "S" if command => {
                event.prevent_default();
                do_save();
            }
            "Enter" if command => {
                event.prevent_default();
                do_run();
            }
            "Escape" => escaped.set(true),
            "Tab" if !escaped.get_untracked() && !event.shift_key() && !command => {
                event.prevent_default();
                if let Some(area) = editor.get_untracked() {
                    insert_at_cursor(&area, "  ");
                    code.set(area.value());
                }
            }
            _ => escaped.set(false),
        }
    };

    let line_numbers = move || {
        let lines = code.with(|c| c.lines().count().max(1) + usize::from(c.ends_with('\n')));
        (1..=lines)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let gutter = NodeRef::<leptos::html::Pre>::new();
    let sync_gutter = move |_| {
        if let (Some(area), Some(gutter)) = (editor.get_untracked(), gutter.get_untracked()) {
            gutter.set_scroll_top(area.scroll_top());
        }
    };
    let code_length = move || code.with(|c| c.chars().count());
    let go_to_line = Callback::new(move |line: u32| {
        if let Some(area) = editor.get_untracked() {
            select_line(&area, line);
        }
    });
    // The saved name: the heading follows a rename once it is saved.
    let title = move || {
        saved.with(|s| {
            s.as_ref()
                .map_or_else(|| "New scenario".to_owned(), |s| s.name.clone())
        })
    };
    let page_title = existing
        .as_ref()
        .map_or_else(|| "New scenario".to_owned(), |s| s.name.clone());
    // The runs panel belongs to the scenario's id, not to each saved version of it.
    let saved_id = Memo::new(move |_| saved.with(|s| s.as_ref().map(|s| s.id)));
    let back = format!("/applications/{app}/scenarios");
    let general_error = move || server_error.get().and_then(|e| e.general());
    let on_deleted = {
        let back = back.clone();
        Callback::new(move |()| navigate(&back, Default::default()))
    };

    view! {
        // The document title is fixed at load: leptos_meta may read it after this page is
        // gone, when the signals behind the heading no longer exist.
        <Title text=page_title />
        <div class="page-header">
            <div>
                <h1>{title}</h1>
                <p class="subtitle">
                    <a href=back.clone()>"All scenarios"</a>
                    {move || dirty.get().then_some(" · Unsaved changes")}
                </p>
            </div>
            <div class="header-actions">
                {may_write.then(|| view! {
                    <button class="button" disabled=move || save.pending().get() || !dirty.get() on:click=move |_| do_save()>
                        {move || match (save.pending().get(), saved.get().is_some()) {
                            (true, _) => "Saving…",
                            (false, true) => "Save",
                            (false, false) => "Create scenario",
                        }}
                    </button>
                })}
                {may_run.then(|| view! {
                    <button
                        class="button primary"
                        disabled=move || saved.get().is_none() || run.pending().get()
                        title=move || if saved.get().is_none() { "Create the scenario first" } else { "Ctrl+Enter" }
                        on:click=move |_| do_run()
                    >
                        {move || if run.pending().get() { "Running…" } else if dirty.get() && may_write { "Save and run" } else { "Run" }}
                    </button>
                })}
                {move || (may_write && saved.get().is_some()).then(|| view! {
                    <button class="button danger-outline" on:click=move |_| deleting.set(true)>"Delete"</button>
                })}
            </div>
        </div>
        <div class="field">
            <label class="label" for="scenario-name">"Name"</label>
            <input
                type="text"
                id="scenario-name"
                class="mono narrow"
                spellcheck="false"
                readonly=!may_write
                autofocus=existing.is_none()
                aria-invalid=move || name_error.get().is_some().to_string()
                aria-describedby="scenario-name-hint scenario-name-error"
                prop:value=name
                on:input=move |event| {
                    name.set(event_target_value(&event));
                    server_error.set(None);
                }
                on:keydown=on_keydown
            />
            <span class="hint" id="scenario-name-hint">"Latin letters, digits, '_', '-' and '.'; up to 64 characters; unique in this application."</span>
            <FieldMessage id="scenario-name-error" message=name_error />
        </div>
        <div class="field">
            <label class="label" for="scenario-code">"Code"</label>
            <div class="code-editor">
                <pre class="code-gutter" aria-hidden="true" node_ref=gutter>{line_numbers}</pre>
                <textarea
                    id="scenario-code"
                    node_ref=editor
                    class="code-input"
                    rows="18"
                    wrap="off"
                    spellcheck="false"
                    autocomplete="off"
                    readonly=!may_write
                    aria-invalid=move || code_error.get().is_some().to_string()
                    aria-describedby="scenario-code-hint scenario-code-error"
                    prop:value=code
                    on:input=move |event| {
                        code.set(event_target_value(&event));
                        server_error.set(None);
                    }
                    on:scroll=sync_gutter
                    on:keydown=on_keydown
                ></textarea>
            </div>
            <span class="hint" id="scenario-code-hint">
                {move || format!(
                    "{} / {SCENARIO_CODE_MAX_CHARS} characters. VoxEngine.addEventListener(AppEvents.Started | AppEvents.Terminating, handler), VoxEngine.getSecretValue(name), Logger.write(text), VoxEngine.terminate(). Tab indents (Esc, then Tab, leaves); Ctrl+S saves; Ctrl+Enter runs.",
                    code_length()
                )}
            </span>
            <FieldMessage id="scenario-code-error" message=code_error />
        </div>
        <p class="form-error" role="alert">{general_error}</p>
        {move || saved_id.get().map(|scenario| view! {
            <RunsPanel
                app=app
                scenario=scenario
                latest=latest_run
                changed=runs_changed
                step_up=step_up
                go_to_line=go_to_line
            />
        })}
        {move || {
            if !deleting.get() {
                return None;
            }
            let scenario = saved.get_untracked()?;
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
        }}
        {move || step_up.get().map(|retry| view! {
            <StepUpDialog
                on_close=Callback::new(move |()| step_up.set(None))
                on_confirmed=Callback::new(move |()| {
                    step_up.set(None);
                    retry.run(());
                })
            />
        })}
    }
}

/// Replaces the selection with `text`, leaving the cursor after it.
fn insert_at_cursor(area: &web_sys::HtmlTextAreaElement, text: &str) {
    let value = area.value();
    let units: Vec<u16> = value.encode_utf16().collect();
    let start = area.selection_start().ok().flatten().unwrap_or(0) as usize;
    let end = area.selection_end().ok().flatten().unwrap_or(0) as usize;
    let (start, end) = (start.min(units.len()), end.min(units.len()).max(start));
    let mut next = String::from_utf16_lossy(&units[..start]);
    next.push_str(text);
    next.push_str(&String::from_utf16_lossy(&units[end..]));
    area.set_value(&next);
    let cursor = (start + text.encode_utf16().count()) as u32;
    let _ = area.set_selection_range(cursor, cursor);
}

/// Selects line `line` (1-based) and scrolls it into view, for "Go to line".
fn select_line(area: &web_sys::HtmlTextAreaElement, line: u32) {
    let value = area.value();
    let mut start = 0usize;
    for (index, text) in value.split('\n').enumerate() {
        let length = text.encode_utf16().count();
        if index + 1 == line as usize {
            let _ = area.focus();
            let _ = area.set_selection_range(start as u32, (start + length) as u32);
            // About one line per 1.45em of a 14px font: close enough to bring it into view.
            area.set_scroll_top(((index.saturating_sub(3)) as f64 * 20.0) as i32);
            return;
        }
        start += length + 1;
    }
}
