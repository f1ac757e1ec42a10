//! What the scenario editor holds: the saved scenario, the draft, the save and run actions, and
//! the rules for when each may go. Signals and actions only, so the state is `Copy` and every
//! part of the screen takes it whole.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::EXAMPLE_SCENARIO;
use super::code_field::insert_at_cursor;
use crate::components::{can, shown_error};
use crate::error::PanelError;
use crate::server_fns::{create_scenario, run_scenario, update_scenario};
use shared::model::{ApplicationId, Field, Permission, RunDetail, Scenario};
use shared::validation::{check_scenario_code, check_scenario_name};

#[derive(Clone)]
pub struct Draft {
    name: String,
    code: String,
}

#[derive(Clone, Copy)]
pub struct EditorState {
    pub app: ApplicationId,
    pub may_write: bool,
    pub may_run: bool,
    /// The scenario as last saved; `None` until a new one is created.
    pub saved: RwSignal<Option<Scenario>>,
    pub name: RwSignal<String>,
    pub code: RwSignal<String>,
    /// The draft differs from what is saved (always, for a new scenario).
    pub dirty: Memo<bool>,
    /// A save was tried: field errors show from then on.
    submitted: RwSignal<bool>,
    pub server_error: RwSignal<Option<PanelError>>,
    pub latest_run: RwSignal<Option<RunDetail>>,
    /// Bumped after each run, so the runs list reloads.
    pub runs_changed: RwSignal<u32>,
    /// What to retry once the password is confirmed.
    pub step_up: RwSignal<Option<Callback<()>>>,
    pub save: Action<Draft, Result<Scenario, PanelError>>,
    /// Saves the draft first when it is given, so what runs is what the editor shows.
    pub run: Action<Option<Draft>, Result<RunDetail, PanelError>>,
    /// Esc was the last key: the next Tab leaves the editor instead of indenting.
    escaped: RwSignal<bool>,
}

impl EditorState {
    /// The editor's state for `existing`, or for a new scenario that starts from the example.
    /// Saving a new scenario creates it and moves to its own address through `navigate`.
    pub fn new(
        app: ApplicationId,
        existing: Option<&Scenario>,
        navigate: impl Fn(&str, leptos_router::NavigateOptions) + Clone + 'static,
    ) -> Self {
        let saved = RwSignal::new(existing.cloned());
        let name = RwSignal::new(existing.map(|s| s.name.clone()).unwrap_or_default());
        let code =
            RwSignal::new(existing.map_or_else(|| EXAMPLE_SCENARIO.to_owned(), |s| s.code.clone()));
        let dirty = Memo::new(move |_| {
            saved.with(|s| match s {
                Some(s) => name.with(|n| *n != s.name) || code.with(|c| *c != s.code),
                None => true,
            })
        });
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
        let state = EditorState {
            app,
            may_write: can(Permission::WriteSecrets),
            may_run: can(Permission::ReadValues),
            saved,
            name,
            code,
            dirty,
            submitted: RwSignal::new(false),
            server_error: RwSignal::new(None),
            latest_run: RwSignal::new(None),
            runs_changed: RwSignal::new(0),
            step_up: RwSignal::new(None),
            save,
            run,
            escaped: RwSignal::new(false),
        };
        state.follow_results(navigate);
        state
    }

    /// What the save and run actions' answers change.
    fn follow_results(self, navigate: impl Fn(&str, leptos_router::NavigateOptions) + 'static) {
        let EditorState { app, saved, .. } = self;
        Effect::new(move |_| match self.save.value().get() {
            Some(Ok(scenario)) => {
                let created = saved.get_untracked().is_none();
                let id = scenario.id;
                saved.set(Some(scenario));
                if created {
                    navigate(
                        &format!("/applications/{app}/scenarios/{id}"),
                        Default::default(),
                    );
                }
            }
            Some(Err(err)) => self.server_error.set(Some(err)),
            None => {}
        });
        Effect::new(move |_| match self.run.value().get() {
            Some(Ok(detail)) => {
                self.latest_run.set(Some(detail));
                self.runs_changed.update(|n| *n += 1);
            }
            Some(Err(PanelError::PasswordRequired)) => {
                let run = self.run;
                self.step_up.set(Some(Callback::new(move |()| {
                    run.dispatch(None);
                })));
            }
            Some(Err(err)) => self.server_error.set(Some(err)),
            None => {}
        });
    }

    pub fn name_error(self) -> Signal<Option<String>> {
        let (name, submitted) = (self.name, self.submitted);
        shown_error(
            self.server_error,
            Field::ScenarioName,
            Signal::derive(move || submitted.get()),
            move || check_scenario_name(&name.get()).err(),
        )
    }

    pub fn code_error(self) -> Signal<Option<String>> {
        let (code, submitted) = (self.code, self.submitted);
        shown_error(
            self.server_error,
            Field::ScenarioCode,
            Signal::derive(move || submitted.get()),
            move || check_scenario_code(&code.get()).err(),
        )
    }

    fn valid(self) -> bool {
        check_scenario_name(&self.name.get_untracked()).is_ok()
            && check_scenario_code(&self.code.get_untracked()).is_ok()
    }

    fn draft(self) -> Draft {
        Draft {
            name: self.name.get_untracked(),
            code: self.code.get_untracked(),
        }
    }

    /// Save (Ctrl+S): nothing when nothing changed; field errors when the draft is invalid.
    pub fn save(self) {
        if self.saved.get_untracked().is_some() && !self.dirty.get_untracked() {
            return;
        }
        self.submitted.set(true);
        if self.may_write && self.valid() && !self.save.pending().get_untracked() {
            self.server_error.set(None);
            self.save.dispatch(self.draft());
        }
    }

    /// Run (Ctrl+Enter): saves unsaved changes first, when the role may.
    pub fn run(self) {
        let busy = self.run.pending().get_untracked() || self.save.pending().get_untracked();
        if self.saved.get_untracked().is_none() || busy || !self.may_run {
            return;
        }
        let draft = if self.dirty.get_untracked() && self.may_write {
            self.submitted.set(true);
            if !self.valid() {
                return;
            }
            Some(self.draft())
        } else {
            None
        };
        self.server_error.set(None);
        self.run.dispatch(draft);
    }

    /// The keys of both fields: Ctrl+S saves, Ctrl+Enter runs; in the code, Tab indents
    /// (Esc, then Tab, leaves the editor).
    pub fn keydown(
        self,
        editor: NodeRef<leptos::html::Textarea>,
    ) -> impl Fn(KeyboardEvent) + Copy + 'static {
        move |event: KeyboardEvent| {
            let command = event.ctrl_key() || event.meta_key();
            match event.key().as_str() {
                "s" | "S" if command => {
                    event.prevent_default();
                    self.save();
                }
                "Enter" if command => {
                    event.prevent_default();
                    self.run();
                }
                "Escape" => self.escaped.set(true),
                "Tab" if !self.escaped.get_untracked() && !event.shift_key() && !command => {
                    event.prevent_default();
                    if let Some(area) = editor.get_untracked() {
                        insert_at_cursor(&area, "  ");
                        self.code.set(area.value());
                    }
                }
                _ => self.escaped.set(false),
            }
        }
    }
}
