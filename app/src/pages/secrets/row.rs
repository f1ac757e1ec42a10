//! One row of the Secrets table, with the reads (Reveal, Copy) and the row's Delete.

use leptos::prelude::*;

use super::{Dialogs, Open};
use crate::components::ConfirmDialog;
use crate::error::PanelError;
use crate::server_fns::{ReadPurpose, delete_secret, read_secret_value};
use shared::model::{ApplicationId, SecretMeta};

/// One secret. Reveal shows the value under its name until Hide; Copy puts it on the
/// clipboard without showing it. Both ask for the password when the step-up has lapsed.
#[component]
pub fn SecretRow(
    application_id: ApplicationId,
    secret: SecretMeta,
    dialogs: Dialogs,
    may_read: bool,
    may_write: bool,
) -> impl IntoView {
    let Dialogs { open, step_up } = dialogs;
    let secret_id = secret.id;
    let revealed = RwSignal::new(None::<String>);
    let copied = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let read = Action::new(move |purpose: &ReadPurpose| {
        let purpose = *purpose;
        async move {
            (
                purpose,
                read_secret_value(application_id, secret_id, purpose).await,
            )
        }
    });
    Effect::new(move |_| {
        let Some((purpose, result)) = read.value().get() else {
            return;
        };
        error.set(None);
        match result {
            Ok(value) if purpose == ReadPurpose::Reveal => revealed.set(Some(value)),
            Ok(value) => {
                // Say "Copied" only once the browser confirms it.
                let written = window().navigator().clipboard().write_text(&value);
                leptos::task::spawn_local(async move {
                    match wasm_bindgen_futures::JsFuture::from(written).await {
                        Ok(_) => copied.set(true),
                        Err(_) => error.set(Some(
                            "The browser refused access to the clipboard; use Reveal instead."
                                .to_owned(),
                        )),
                    }
                });
            }
            Err(PanelError::PasswordRequired) => step_up.set(Some(Callback::new(move |()| {
                read.dispatch(purpose);
            }))),
            Err(err) => error.set(Some(err.to_string())),
        }
    });
    let (edit, delete) = (secret.clone(), secret.clone());
    let name = secret.name.clone();
    let last_read = secret
        .last_read
        .map(|t| t.to_string())
        .unwrap_or_else(|| "Never".to_owned());
    view! {
        <tr>
            <td class="mono name-cell">
                {secret.name.clone()}
                {move || revealed.get().map(|value| view! {
                    <pre class="revealed-value" data-testid="revealed-value">{value}</pre>
                })}
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            </td>
            <td class="description-cell">{secret.description.clone()}</td>
            <td class="mono nowrap">{last_read}</td>
            <td class="mono nowrap">{secret.modified.to_string()}</td>
            <td class="actions">
                {may_read.then(|| {
                    let (reveal_label, copy_label) = (format!("Reveal {name}"), format!("Copy {name}"));
                    view! {
                        <button
                            class="button small"
                            aria-label=move || if revealed.get().is_some() { format!("Hide {}", secret.name) } else { reveal_label.clone() }
                            disabled=read.pending()
                            on:click=move |_| {
                                if revealed.get_untracked().is_some() {
                                    revealed.set(None);
                                } else {
                                    read.dispatch(ReadPurpose::Reveal);
                                }
                            }
                        >
                            {move || if revealed.get().is_some() { "Hide" } else { "Reveal" }}
                        </button>
                        <button
                            class="button small"
                            aria-label=copy_label
                            disabled=read.pending()
                            on:click=move |_| {
                                copied.set(false);
                                read.dispatch(ReadPurpose::Copy);
                            }
                        >
                            {move || if copied.get() { "Copied" } else { "Copy" }}
                        </button>
                    }
                })}
                {may_write.then(|| view! {
                    <button
                        class="button small"
                        aria-label=format!("Edit {}", edit.name)
                        on:click=move |_| open.set(Some(Open::Edit(edit.clone())))
                    >
                        "Edit"
                    </button>
                    <button
                        class="button small danger-outline"
                        aria-label=format!("Delete {}", delete.name)
                        on:click=move |_| open.set(Some(Open::Delete(delete.clone())))
                    >
                        "Delete"
                    </button>
                })}
            </td>
        </tr>
    }
}

#[component]
pub fn DeleteSecret(
    application_id: ApplicationId,
    secret: SecretMeta,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_deleted: Callback<SecretMeta>,
) -> impl IntoView {
    let message = format!(
        "Delete the secret \"{}\"? Scenarios that read it will get undefined. This cannot be undone.",
        secret.name
    );
    let secret_id = secret.id;
    let action = Action::new(move |_: &()| delete_secret(application_id, secret_id));
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            on_deleted.run(secret.clone());
        }
    });
    view! {
        <ConfirmDialog title="Delete secret" message=message confirm_label="Delete secret" action=action on_close=on_close />
    }
}
