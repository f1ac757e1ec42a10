//! Add or edit a secret. Every field is checked while the user types, by the same rules the
//! server enforces; the server's own field errors (a duplicate name, say) land on the field too.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::{Dialog, FieldMessage, shown_error};
use crate::error::PanelError;
use crate::server_fns::{create_secret, update_secret};
use shared::model::{ApplicationId, Field, SecretMeta};
use shared::validation::{DESCRIPTION_MAX_CHARS, check_secret_name, check_secret_value};

#[derive(Clone)]
struct Draft {
    name: String,
    value: String,
    description: String,
}

#[component]
pub fn SecretDialog(
    application_id: ApplicationId,
    /// `None` adds a secret; `Some` edits this one.
    existing: Option<SecretMeta>,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_saved: Callback<SecretMeta>,
) -> impl IntoView {
    let editing = existing.as_ref().map(|s| s.id);
    let title = match &existing {
        Some(secret) => format!("Edit {}", secret.name),
        None => "Add secret".to_owned(),
    };
    let name = RwSignal::new(
        existing
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default(),
    );
    let value = RwSignal::new(String::new());
    let description = RwSignal::new(existing.map(|s| s.description).unwrap_or_default());
    let submitted = RwSignal::new(false);
    let (name_edited, value_edited) = (RwSignal::new(false), RwSignal::new(false));
    let server_error = RwSignal::new(None::<PanelError>);

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
    Effect::new(move |_| match save.value().get() {
        Some(Ok(secret)) => on_saved.run(secret),
        Some(Err(err)) => server_error.set(Some(err)),
        None => {}
    });

    let local_name_error = move || check_secret_name(&name.get()).err();
    // Editing: an empty value keeps the current one.
    let local_value_error = move || {
        let value = value.get();
        if editing.is_some() && value.is_empty() {
            None
        } else {
            check_secret_value(&value).err()
        }
    };
    let visible = |edited: RwSignal<bool>| Signal::derive(move || edited.get() || submitted.get());
    let name_error = shown_error(
        server_error,
        Field::SecretName,
        visible(name_edited),
        local_name_error,
    );
    let value_error = shown_error(
        server_error,
        Field::SecretValue,
        visible(value_edited),
        local_value_error,
    );
    let description_length = move || description.with(|d| d.chars().count());
    let general_error = move || server_error.get().and_then(|e| e.general());
    let pending = save.pending();

    let send = move || {
        submitted.set(true);
        if local_name_error().is_none() && local_value_error().is_none() && !pending.get_untracked()
        {
            server_error.set(None);
            save.dispatch(Draft {
                name: name.get_untracked(),
                value: value.get_untracked(),
                description: description.get_untracked(),
            });
        }
    };
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        send();
    };

    view! {
        <Dialog title=title on_close=on_close>
            <form method="post" on:submit=submit novalidate autocomplete="off">
                <div class="field">
                    <label class="label" for="secret-name">"Name"</label>
                    <input
                        type="text"
                        id="secret-name"
                        name="name"
                        autofocus=editing.is_none()
                        spellcheck="false"
                        aria-invalid=move || name_error.get().is_some().to_string()
                        aria-describedby="secret-name-hint secret-name-error"
                        prop:value=name
                        on:input=move |event| {
                            name.set(event_target_value(&event));
                            name_edited.set(true);
                            server_error.set(None);
                        }
                    />
                    <span class="hint" id="secret-name-hint">
                        "Latin letters, digits and underscores; starts with a letter; up to 64 characters. Case-sensitive."
                    </span>
                    <FieldMessage id="secret-name-error" message=name_error />
                </div>
                <div class="field">
                    <label class="label" for="secret-value">"Value"</label>
                    <textarea
                        id="secret-value"
                        name="value"
                        rows="4"
                        class="mono"
                        autofocus=editing.is_some()
                        spellcheck="false"
                        placeholder=if editing.is_some() { "Leave empty to keep the current value" } else { "" }
                        aria-invalid=move || value_error.get().is_some().to_string()
                        aria-describedby="secret-value-hint secret-value-error"
                        prop:value=value
                        on:input=move |event| {
                            value.set(event_target_value(&event));
                            value_edited.set(true);
                            server_error.set(None);
                        }
                        on:keydown=move |event| {
                            // Enter adds a line to a multi-line value; Ctrl+Enter (⌘+Enter) saves.
                            if event.key() == "Enter" && (event.ctrl_key() || event.meta_key()) {
                                event.prevent_default();
                                send();
                            }
                        }
                    ></textarea>
                    <span class="hint" id="secret-value-hint">
                        {if editing.is_some() {
                            "Stored encrypted and never shown here. Leave empty to keep the current value. Ctrl+Enter saves."
                        } else {
                            "Stored encrypted and never shown here. Up to 8192 characters; several lines allowed. Ctrl+Enter saves."
                        }}
                    </span>
                    <FieldMessage id="secret-value-error" message=value_error />
                </div>
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
                            server_error.set(None);
                        }
                    />
                    <span
                        id="secret-description-counter"
                        class=move || {
                            if description_length() > DESCRIPTION_MAX_CHARS { "counter over" } else { "counter" }
                        }
                    >
                        {move || {
                            let n = description_length();
                            if n > DESCRIPTION_MAX_CHARS {
                                format!("{n} / {DESCRIPTION_MAX_CHARS}: only the first {DESCRIPTION_MAX_CHARS} characters will be kept")
                            } else {
                                format!("{n} / {DESCRIPTION_MAX_CHARS}")
                            }
                        }}
                    </span>
                </div>
                <p class="form-error" role="alert">{general_error}</p>
                <footer class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                    <button type="submit" class="button primary" disabled=pending>
                        {move || match (pending.get(), editing.is_some()) {
                            (true, _) => "Saving…",
                            (false, true) => "Save changes",
                            (false, false) => "Add secret",
                        }}
                    </button>
                </footer>
            </form>
        </Dialog>
    }
}
