//! The Service accounts page: who may call the Management API. Keys are made here (their
//! credentials.json is downloadable once), listed with when they were last used, and revoked;
//! the legacy API key is generated here too and shown once.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::{ConfirmDialog, Dialog, can, download_text, use_me};
use crate::server_fns::{
    create_service_account, get_api_access, regenerate_api_key, revoke_service_account,
};
use shared::model::{ApiAccess, Credentials, KeyStop, Permission, Role, ServiceAccount};

#[derive(Clone)]
enum Open {
    Create,
    Revoke(ServiceAccount),
    RegenerateApiKey,
}

#[component]
pub fn ServiceAccountsPage() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let access = Resource::new(move || reload.get(), |_| get_api_access());
    let open = RwSignal::new(None::<Open>);
    let close = Callback::new(move |()| open.set(None));
    let refresh = Callback::new(move |()| reload.update(|n| *n += 1));
    // A new API key lives only in this signal, until the page is left.
    let new_api_key = RwSignal::new(None::<String>);

    let page = move |access: ApiAccess| {
        view! {
            <AccountCard
                access=access.clone()
                new_api_key=new_api_key
                open=open
                on_generated=Callback::new(move |key: String| {
                    new_api_key.set(Some(key));
                    refresh.run(());
                })
            />
            <KeysTable keys=access.service_accounts open=open />
        }
    };

    view! {
        <Title text="Service accounts" />
        <div class="page-header">
            <div>
                <h1>"Service accounts"</h1>
                <p class="subtitle">
                    "Keys that let scripts and the Voximplant API clients call the Management API at "
                    <code>"/platform_api"</code> "."
                </p>
            </div>
            <Transition fallback=|| ()>
                {move || can(Permission::ManageAccess).then(|| view! {
            <button class="button primary" on:click=move |_| open.set(Some(Open::Create))>
                "New key"
            </button>
                })}
            </Transition>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                access
                    .get()
                    .map(|result| match result {
                        Ok(access) => page(access).into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
        {move || match open.get() {
            None => None,
            Some(Open::Create) => Some(view! { <CreateKeyDialog on_close=close on_created=refresh /> }.into_any()),
            Some(Open::Revoke(key)) => Some(view! { <RevokeKey key=key on_close=close on_revoked=Callback::new(move |()| { open.set(None); refresh.run(()); }) /> }.into_any()),
            Some(Open::RegenerateApiKey) => Some(view! { <RegenerateApiKey on_close=close on_done=Callback::new(move |key: String| { open.set(None); new_api_key.set(Some(key)); refresh.run(()); }) /> }.into_any()),
        }}
    }
}

#[component]
fn AccountCard(
    access: ApiAccess,
    new_api_key: RwSignal<Option<String>>,
    open: RwSignal<Option<Open>>,
    #[prop(into)] on_generated: Callback<String>,
) -> impl IntoView {
    let has_key = access.api_key_created.is_some();
    // The first key needs no confirmation: nothing that uses a key can break.
    let generate = Action::new(move |_: &()| regenerate_api_key());
    Effect::new(move |_| {
        if let Some(Ok(key)) = generate.value().get() {
            on_generated.run(key);
        }
    });
    let generate_error = move || {
        generate
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    let key_status = match access.api_key_created {
        Some(created) => format!("Created {created} UTC. Strongroom keeps only its hash."),
        None => "None yet.".to_owned(),
    };
    let copied = RwSignal::new(false);
    // The legacy key acts as an Owner: only an Owner may make one.
    let can_make_api_key = use_me().is_some_and(|me| me.role == Role::Owner);
    view! {
        <section class="card" aria-labelledby="account-heading">
            <h2 id="account-heading">"Account"</h2>
            <dl class="facts">
                <dt>"Account id"</dt>
                <dd class="mono" data-testid="account-id">{access.account.id}</dd>
                <dt>"Account name"</dt>
                <dd class="mono">{access.account.name.clone()}</dd>
                <dt>"Legacy API key"</dt>
                <dd>{key_status}</dd>
            </dl>
            {move || new_api_key.get().map(|key| {
                let shown = key.clone();
                view! {
                    <div class="one-time" role="status">
                        <label class="label" for="new-api-key">"New API key: shown only now"</label>
                        <div class="copy-row">
                            <input id="new-api-key" class="mono" type="text" readonly=true prop:value=shown
                                on:focus=move |event| {
                                    use wasm_bindgen::JsCast;
                                    if let Some(input) = event.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                        input.select();
                                    }
                                }
                            />
                            <button type="button" class="button small" on:click=move |_| {
                                let clipboard = window().navigator().clipboard();
                                let _ = clipboard.write_text(&key);
                                copied.set(true);
                            }>
                                {move || if copied.get() { "Copied" } else { "Copy" }}
                            </button>
                        </div>
                        <p class="hint">"Send it as " <code>"api_key"</code> " with " <code>"account_id"</code> ". Regenerating replaces it at once."</p>
                    </div>
                }
            })}
            {can_make_api_key.then(|| view! {
            <button
                type="button"
                class="button"
                on:click=move |_| {
                    if has_key {
                        open.set(Some(Open::RegenerateApiKey));
                    } else {
                        generate.dispatch(());
                    }
                }
            >
                {if has_key { "Regenerate API key" } else { "Generate API key" }}
            </button>
            })}
            <p class="form-error" role="alert">{generate_error}</p>
        </section>
    }
}

#[component]
fn KeysTable(keys: Vec<ServiceAccount>, open: RwSignal<Option<Open>>) -> impl IntoView {
    if keys.is_empty() {
        return view! {
            <section class="empty-state">
                <h2>"No service-account keys yet"</h2>
                <p>"Make a key, download its credentials.json, and give that file to the script or client that calls the API."</p>
                <button class="button primary" on:click=move |_| open.set(Some(Open::Create))>"New key"</button>
            </section>
        }
        .into_any();
    }
    let stopped = keys.iter().filter(|k| k.stopped.is_some()).count();
    let above = keys
        .iter()
        .filter(|k| k.stopped.is_some() && !grantable(k.role))
        .count();
    let rows = keys
        .into_iter()
        .map(|key| {
            let revoke = key.clone();
            let last_used = key
                .last_used
                .map(|t| t.to_string())
                .unwrap_or_else(|| "Never".to_owned());
            // The server refuses it too; here the button says why it cannot be used.
            let refused = (!grantable(key.role)).then(|| format!("Only {} or higher", key.role));
            view! {
                <tr>
                    <td class="mono">{key.key_id.clone()}</td>
                    <td>{key.role.as_str()}</td>
                    <td class="description-cell">{key.description.clone()}</td>
                    <td>
                        {key.maker().to_owned()}
                        {stop_reason(&key).map(|reason| view! { <p class="warning">{reason}</p> })}
                    </td>
                    <td class="mono">{key.created.to_string()}</td>
                    <td class="mono">{last_used}</td>
                    <td class="actions">
                        <button
                            class="button small danger-outline"
                            aria-label=format!("Revoke {}", key.key_id)
                            disabled=refused.is_some()
                            on:click=move |_| open.set(Some(Open::Revoke(revoke.clone())))
                        >
                            "Revoke"
                        </button>
                        <span class="muted">{refused}</span>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {(stopped > 0).then(|| view! {
            <p class="one-time" role="status" data-testid="stopped-keys">
                {stopped_banner(stopped, above)}
            </p>
        })}
        <div class="table-wrap">
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Key id"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Description"</th>
                        <th scope="col">"Made by"</th>
                        <th scope="col">"Created (UTC)"</th>
                        <th scope="col">"Last used (UTC)"</th>
                        <th scope="col" class="actions"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn CreateKeyDialog(
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_created: Callback<()>,
) -> impl IntoView {
    let role = RwSignal::new(Role::Developer);
    let description = RwSignal::new(String::new());
    let create = Action::new(move |(role, description): &(Role, String)| {
        create_service_account(*role, description.clone())
    });
    let pending = create.pending();
    // The credentials stay in this dialog only; closing it drops them.
    let created = RwSignal::new(None::<Credentials>);
    let download_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(credentials)) = create.value().get() {
            created.set(Some(credentials));
            on_created.run(());
        }
    });
    let error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    };
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if !pending.get_untracked() {
            create.dispatch((role.get_untracked(), description.get_untracked()));
        }
    };
    let download = move |_| {
        if let Some(credentials) = created.get_untracked() {
            let json = serde_json::to_string_pretty(&credentials).unwrap_or_default();
            download_error.set(download_text("credentials.json", "application/json", &json).err());
        }
    };

    view! {
        <Dialog title="New service-account key" on_close=on_close>
            {move || match created.get() {
                None => view! {
                    <form method="post" on:submit=submit novalidate>
                        <div class="field">
                            <label class="label" for="key-role">"Role"</label>
                            <select id="key-role" name="role" autofocus=true
                                on:change=move |event| {
                                    if let Ok(r) = event_target_value(&event).parse() { role.set(r) }
                                }
                            >
                                {Role::ALL.into_iter().filter(|r| grantable(*r)).map(|r| view! {
                                    <option value=r.as_str() selected=move || role.get() == r>{r.as_str()}</option>
                                }).collect_view()}
                            </select>
                            <p class="hint">"Owner, Admin and Developer may call every method; Viewer may only list applications and secrets."</p>
                        </div>
                        <div class="field">
                            <label class="label" for="key-description">"Description " <span class="muted">"(optional)"</span></label>
                            <input type="text" id="key-description" name="description" autocomplete="off"
                                maxlength="200"
                                prop:value=description
                                on:input=move |event| description.set(event_target_value(&event))
                            />
                            <p class="hint">"Who or what uses this key, for example “billing cron job”."</p>
                        </div>
                        <p class="form-error" role="alert">{error}</p>
                        <footer class="dialog-actions">
                            <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                            <button type="submit" class="button primary" disabled=pending>
                                {move || if pending.get() { "Creating…" } else { "Create key" }}
                            </button>
                        </footer>
                    </form>
                }.into_any(),
                Some(credentials) => view! {
                    <div class="one-time" role="status">
                        <p>"Key " <code>{credentials.key_id.clone()}</code> " is ready."</p>
                        <p class="warning">
                            "Download its credentials.json now: this is the only time the private key is available. Strongroom keeps only the public key."
                        </p>
                        <p class="form-error" role="alert">{move || download_error.get()}</p>
                    </div>
                    <footer class="dialog-actions">
                        <button type="button" class="button" on:click=move |_| on_close.run(())>"Done"</button>
                        <button type="button" class="button primary" autofocus=true on:click=download>
                            "Download credentials.json"
                        </button>
                    </footer>
                }.into_any(),
            }}
        </Dialog>
    }
}

/// The banner over `stopped` keys that no longer work, `above` of them above the reader's
/// role: those only an Owner may revoke, so the banner does not tell an Admin to.
fn stopped_banner(stopped: usize, above: usize) -> String {
    let revoke = match above {
        0 => "Revoke them".to_owned(),
        n if n == stopped => "An Owner must revoke them".to_owned(),
        n => format!("Revoke them ({n} only an Owner may revoke)"),
    };
    format!(
        "{stopped} key(s) no longer work: the user who made each was disabled or lost the role \
         it needs. {revoke}, or restore the user."
    )
}

#[cfg(test)]
mod tests {
    use super::stopped_banner;

    #[test]
    fn the_banner_names_an_owner_for_keys_above_the_reader() {
        let tail = "the user who made each was disabled or lost the role it needs.";
        assert_eq!(
            stopped_banner(2, 0),
            format!("2 key(s) no longer work: {tail} Revoke them, or restore the user.")
        );
        assert_eq!(
            stopped_banner(1, 1),
            format!(
                "1 key(s) no longer work: {tail} An Owner must revoke them, or restore the user."
            )
        );
        assert_eq!(
            stopped_banner(3, 1),
            format!(
                "3 key(s) no longer work: {tail} Revoke them (1 only an Owner may revoke), or \
                 restore the user."
            )
        );
    }
}

/// No one makes or revokes a key with a role above their own (the server refuses it too).
fn grantable(role: Role) -> bool {
    use_me().is_some_and(|me| me.role.may_grant(role))
}

/// Why a key that was never revoked no longer works.
fn stop_reason(key: &ServiceAccount) -> Option<String> {
    let creator = key.creator.as_deref().unwrap_or("its creator");
    key.stopped.map(|stop| match stop {
        KeyStop::CreatorDisabled => format!("Stopped: {creator} is disabled."),
        KeyStop::CreatorRole(role) => format!("Stopped: {creator} is now {role}, below the key."),
    })
}

#[component]
fn RevokeKey(
    key: ServiceAccount,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_revoked: Callback<()>,
) -> impl IntoView {
    let key_id = key.key_id.clone();
    let action = Action::new(move |_: &()| revoke_service_account(key_id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            on_revoked.run(());
        }
    });
    view! {
        <ConfirmDialog
            title="Revoke key"
            message=format!(
                "Revoke the {} key {}? Every request signed with it fails from now on. This cannot be undone.",
                key.role, key.key_id
            )
            confirm_label="Revoke key"
            action=action
            on_close=on_close
        />
    }
}

#[component]
fn RegenerateApiKey(
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_done: Callback<String>,
) -> impl IntoView {
    let new_key = RwSignal::new(None::<String>);
    let action = Action::new(move |_: &()| async move {
        let key = regenerate_api_key().await?;
        new_key.set(Some(key));
        Ok(())
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get()
            && let Some(key) = new_key.get_untracked()
        {
            on_done.run(key);
        }
    });
    view! {
        <ConfirmDialog
            title="Regenerate API key"
            message="Make a new API key? The current one stops working at once, for every script that uses it."
            confirm_label="Regenerate"
            action=action
            on_close=on_close
        />
    }
}
