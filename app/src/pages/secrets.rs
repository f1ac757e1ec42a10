//! An application's Secrets page: names, descriptions and times; never values.

use leptos::prelude::*;
use leptos_meta::Title;

use super::secret_dialog::SecretDialog;
use super::use_application_id;
use crate::components::ConfirmDialog;
use crate::error::PanelError;
use crate::model::{ApplicationId, SecretMeta, SecretPage};
use crate::server_fns::{delete_secret, list_secrets};

#[derive(Clone)]
enum Open {
    Add,
    Edit(SecretMeta),
    Delete(SecretMeta),
}

#[component]
pub fn SecretsPage() -> impl IntoView {
    let id = use_application_id();
    let reload = RwSignal::new(0u32);
    let secrets = Resource::new(
        move || (id.get(), reload.get()),
        |(id, _)| async move {
            match id {
                Some(id) => list_secrets(id, None).await,
                None => Err(PanelError::NotFound(
                    "There is no application at this address.".into(),
                )),
            }
        },
    );
    let open = RwSignal::new(None::<Open>);
    let close = Callback::new(move |()| open.set(None));
    let changed = Callback::new(move |_: SecretMeta| {
        open.set(None);
        reload.update(|n| *n += 1);
    });

    let table = move |page: SecretPage| {
        if page.items.is_empty() {
            return view! {
                <section class="empty-state">
                    <h2>"No secrets yet"</h2>
                    <p>"Store passwords, API keys and tokens here; scenarios read them at run time instead of carrying them in code."</p>
                    <button class="button primary" on:click=move |_| open.set(Some(Open::Add))>"Add secret"</button>
                </section>
            }
            .into_any();
        }
        let rows = page
            .items
            .into_iter()
            .map(|secret| {
                let (edit, delete) = (secret.clone(), secret.clone());
                view! {
                    <tr>
                        <td class="mono name-cell">{secret.name.clone()}</td>
                        <td class="description-cell">{secret.description.clone()}</td>
                        <td class="mono nowrap">{secret.created.to_string()}</td>
                        <td class="mono nowrap">{secret.modified.to_string()}</td>
                        <td class="actions">
                            <button
                                class="button small"
                                aria-label=format!("Edit {}", secret.name)
                                on:click=move |_| open.set(Some(Open::Edit(edit.clone())))
                            >
                                "Edit"
                            </button>
                            <button
                                class="button small danger-outline"
                                aria-label=format!("Delete {}", secret.name)
                                on:click=move |_| open.set(Some(Open::Delete(delete.clone())))
                            >
                                "Delete"
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
                            <th scope="col">"Name"</th>
                            <th scope="col">"Description"</th>
                            <th scope="col">"Created (UTC)"</th>
                            <th scope="col">"Modified (UTC)"</th>
                            <th scope="col" class="actions"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <p class="muted table-footer">
                {match page.total {
                    1 => "1 secret".to_owned(),
                    n => format!("{n} secrets"),
                }}
            </p>
        }
        .into_any()
    };

    view! {
        <Title text="Secrets" />
        <div class="page-header">
            <div>
                <h1>"Secrets"</h1>
                <p class="subtitle">"Values are encrypted at rest and never shown in this table."</p>
            </div>
            <button class="button primary" on:click=move |_| open.set(Some(Open::Add))>"Add secret"</button>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading secrets…"</p> }>
            {move || {
                secrets
                    .get()
                    .map(|result| match result {
                        Ok(page) => table(page),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
        {move || {
            let app = id.get()?;
            Some(match open.get()? {
                Open::Add => view! { <SecretDialog application_id=app existing=None on_close=close on_saved=changed /> }.into_any(),
                Open::Edit(secret) => view! { <SecretDialog application_id=app existing=Some(secret) on_close=close on_saved=changed /> }.into_any(),
                Open::Delete(secret) => view! { <DeleteSecret application_id=app secret=secret on_close=close on_deleted=changed /> }.into_any(),
            })
        }}
    }
}

#[component]
fn DeleteSecret(
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
