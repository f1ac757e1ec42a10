//! Add or edit a secret. Every field is checked while the user types, by the same rules the
//! server enforces; the server's own field errors (a duplicate name, say) land on the field too.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::{Dialog, FieldMessage, shown_error};
use crate::error::PanelError;
use crate::server_fns::{create_secret, update_secret};
use shared::model::{ApplicationId, Field, SecretId, SecretMeta};
use shared::validation::{DESCRIPTION_MAX_CHARS, check_secret_name, check_secret_value};

#[derive(Clone)]
struct Draft {
    name: String,
    value: String,
    description: String,
}

/// The dialog's fields and its save; `Copy`, so each part of the form takes it whole.
#[derive(Clone, Copy)]
struct SecretForm {
    /// `Some` when editing that secret.
    editing: Option<SecretId>,
    name: RwSignal<String>,
    /// Empty when editing means "keep the current value".
    value: RwSignal<String>,
    description: RwSignal<String>,
    /// A save was tried: every field's error shows from then on.
    submitted: RwSignal<bool>,
    name_edited: RwSignal<bool>,
    value_edited: RwSignal<bool>,
    server_error: RwSignal<Option<PanelError>>,
    save: Action<Draft, Result<SecretMeta, PanelError>>,
}

impl SecretForm {
    fn new(application_id: ApplicationId, existing: Option<SecretMeta>) -> Self {
        let editing = existing.as_ref().map(|s| s.id);
        let save = Action::new(move |draft: &Draft| {
            let Draft {
                name,
                value,
                description,
            } = draft.clone();
            async move {
                match editing {
                    Some(id) => update_secret(application_id, id, name, value, description).await,
                    None => create_secret(application_id, name, value, description).await,
                }
            }
        });
        let (name, description) = match existing {
            Some(secret) => (secret.name, secret.description),
            None => Default::default(),
        };
        SecretForm {
            editing,
            name: RwSignal::new(name),
            value: RwSignal::new(String::new()),
            description: RwSignal::new(description),
            submitted: RwSignal::new(false),
            name_edited: RwSignal::new(false),
            value_edited: RwSignal::new(false),
            server_error: RwSignal::new(None),
            save,
        }
    }

    fn local_name_error(self) -> Option<String> {
        check_secret_name(&self.name.get()).err()
    }

    fn local_value_error(self) -> Option<String> {
        let value = self.value.get();
        // Editing: an empty value keeps the current one.
        if self.editing.is_some() && value.is_empty() {
            None
        } else {
            check_secret_value(&value).err()
        }
    }

    /// A field's error: the server's for it, else the local rule's once the field was edited
    /// or a save was tried.
    fn error(
        self,
        field: Field,
        edited: RwSignal<bool>,
        local: fn(SecretForm) -> Option<String>,
    ) -> Signal<Option<String>> {
        let submitted = self.submitted;
        let visible = Signal::derive(move || edited.get() || submitted.get());
        shown_error(self.server_error, field, visible, move || local(self))
    }

    fn send(self) {
        self.submitted.set(true);
        let valid = self.local_name_error().is_none() && self.local_value_error().is_none();
        if valid && !self.save.pending().get_untracked() {
            self.server_error.set(None);
            self.save.dispatch(Draft {
                name: self.name.get_untracked(),
                value: self.value.get_untracked(),
                description: self.description.get_untracked(),
            });
        }
    }
}

#[component]
pub fn SecretDialog(
    application_id: ApplicationId,
    /// `None` adds a secret; `Some` edits this one.
    existing: Option<SecretMeta>,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_saved: Callback<SecretMeta>,
) -> impl IntoView {
    let title = match &existing {
        Some(secret) => format!("Edit {}", secret.name),
        None => "Add secret".to_owned(),
    };
    let form = SecretForm::new(application_id, existing);
    Effect::new(move |_| match form.save.value().get() {
        Some(Ok(secret)) => on_saved.run(secret),
        Some(Err(err)) => form.server_error.set(Some(err)),
        None => {}
    });
    let general_error = move || form.server_error.get().and_then(|e| e.general());
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        form.send();
    };

    view! {
        <Dialog title=title on_close=on_close>
            <form method="post" on:submit=submit novalidate autocomplete="off">
                <NameField form=form />
                <ValueField form=form />
                <DescriptionField form=form />
                <p class="form-error" role="alert">{general_error}</p>
                <DialogActions form=form on_close=on_close />
            </form>
        </Dialog>
    }
}

#[component]
fn NameField(form: SecretForm) -> impl IntoView {
    let name = form.name;
    let error = form.error(
        Field::SecretName,
        form.name_edited,
        SecretForm::local_name_error,
    );
    view! {
        <div class="field">
            <label class="label" for="secret-name">"Name"</label>
            <input
                type="text"
                id="secret-name"
                name="name"
                autofocus=form.editing.is_none()
                spellcheck="false"
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby="secret-name-hint secret-name-error"
                prop:value=name
                on:input=move |event| {
                    name.set(event_target_value(&event));
                    form.name_edited.set(true);
                    form.server_error.set(None);
                }
            />
            <span class="hint" id="secret-name-hint">
                "Latin letters, digits and underscores; starts with a letter; up to 64 characters. Case-sensitive."
            </span>
            <FieldMessage id="secret-name-error" message=error />
        </div>
    }
}

#[component]
fn ValueField(form: SecretForm) -> impl IntoView {
    let value = form.value;
    let editing = form.editing.is_some();
    let error = form.error(
        Field::SecretValue,
        form.value_edited,
        SecretForm::local_value_error,
    );
    view! {
        <div class="field">
            <label class="label" for="secret-value">"Value"</label>
            <textarea
                id="secret-value"
                name="value"
                rows="4"
                class="mono"
                autofocus=editing
                spellcheck="false"
                placeholder=if editing { "Leave empty to keep the current value" } else { "" }
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby="secret-value-hint secret-value-error"
                prop:value=value
                on:input=move |event| {
                    value.set(event_target_value(&event));
                    form.value_edited.set(true);
                    form.server_error.set(None);
                }
                on:keydown=move |event| {
                    // Enter adds a line to a multi-line value; Ctrl+Enter (⌘+Enter) saves.
                    if event.key() == "Enter" && (event.ctrl_key() || event.meta_key()) {
                        event.prevent_default();
                        form.send();
                    }
                }
            ></textarea>
            <span class="hint" id="secret-value-hint">
                {if editing {
                    "Stored encrypted and never shown here. Leave empty to keep the current value. Ctrl+Enter saves."
                } else {
                    "Stored encrypted and never shown here. Up to 8192 characters; several lines allowed. Ctrl+Enter saves."
                }}
            </span>
            <FieldMessage id="secret-value-error" message=error />
        </div>
    }
}

/// The description, with a counter that warns before the limit cuts it.
#[component]
fn DescriptionField(form: SecretForm) -> impl IntoView {
    let description = form.description;
    let length = move || description.with(|d| d.chars().count());
    let counter = move || {
        let n = length();
        if n > DESCRIPTION_MAX_CHARS {
            format!(
                "{n} / {DESCRIPTION_MAX_CHARS}: only the first {DESCRIPTION_MAX_CHARS} characters will be kept"
            )
        } else {
            format!("{n} / {DESCRIPTION_MAX_CHARS}")
        }
    };
    view! {
        <div class="field">
            <label class="label" for="secret-description">"Description " <span class="optional">"(optional)"</span></label>
            <input
                type="text"
                id="secret-description"
                name="description"
                aria-describedby="secret-description-counter"
                prop:value=description
                on:input=move |event| {
                    description.set(event_target_value(&event));
                    form.server_error.set(None);
                }
            />
            <span
                id="secret-description-counter"
                class=move || {
                    if length() > DESCRIPTION_MAX_CHARS { "counter over" } else { "counter" }
                }
            >
                {counter}
            </span>
        </div>
    }
}

#[component]
fn DialogActions(form: SecretForm, on_close: Callback<()>) -> impl IntoView {
    let pending = form.save.pending();
    let editing = form.editing.is_some();
    view! {
        <footer class="dialog-actions">
            <button type="button" class="button" on:click=move |_| on_close.run(())>
                "Cancel"
            </button>
            <button type="submit" class="button primary" disabled=pending>
                {move || match (pending.get(), editing) {
                    (true, _) => "Saving…",
                    (false, true) => "Save changes",
                    (false, false) => "Add secret",
                }}
            </button>
        </footer>
    }
}
