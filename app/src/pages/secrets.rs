//! An application's Secrets page: names, descriptions and times. A value appears only when a
//! user whose role may read values clicks Reveal (or Copy, which never shows it), having typed
//! their password within the last few minutes; every such read is audited.

mod list_query;
mod row;
mod table;

use leptos::ev::SubmitEvent;
use leptos::lazy;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::secret_dialog::SecretDialog;
use super::use_application_id;
use crate::components::{StepUpDialog, can};
use crate::error::PanelError;
use crate::server_fns::list_secrets;
use list_query::ListQuery;
use row::DeleteSecret;
use shared::model::{
    ApplicationId, Permission, SECRET_PAGE_DEFAULT, SECRET_PAGE_SIZES, SecretMeta,
};
use table::secrets_table;

/// Which dialog is open.
#[derive(Clone)]
enum Open {
    Add,
    Edit(SecretMeta),
    Delete(SecretMeta),
}

/// What the page's buttons and rows open: one of the secret dialogs, or the password prompt
/// a read waits behind (the read runs again once the password is confirmed).
#[derive(Clone, Copy)]
struct Dialogs {
    open: RwSignal<Option<Open>>,
    step_up: RwSignal<Option<Callback<()>>>,
}

#[component]
pub fn SecretsPage() -> impl IntoView {
    let id = use_application_id();
    let params = use_query_map();
    let query = Memo::new(move |_| ListQuery::from_params(&params.read()));
    let reload = RwSignal::new(0u32);
    let secrets = Resource::new(
        move || (id.get(), query.get(), reload.get()),
        |(id, q, _)| async move {
            match id {
                Some(id) => list_secrets(
                    id,
                    Some(q.name_part.clone()),
                    Some(q.size),
                    Some(q.offset()),
                )
                .await
                .map(|page| (id, q, page)),
                None => Err(PanelError::NotFound(
                    "There is no application at this address.".into(),
                )),
            }
        },
    );
    let navigate = use_navigate();
    // Filtering and page size start again from the first page; the URL replaces the current
    // entry so Back leaves the page instead of stepping through keystrokes.
    let go = Callback::new(move |next: ListQuery| {
        if let Some(app) = id.get_untracked() {
            navigate(
                &next.url(app),
                NavigateOptions {
                    replace: true,
                    scroll: false,
                    ..NavigateOptions::default()
                },
            );
        }
    });
    let dialogs = Dialogs {
        open: RwSignal::new(None),
        step_up: RwSignal::new(None),
    };
    let Dialogs { open, step_up } = dialogs;
    let close = Callback::new(move |()| open.set(None));
    let changed = Callback::new(move |_: SecretMeta| {
        open.set(None);
        reload.update(|n| *n += 1);
    });

    view! {
        <Title text="Secrets" />
        <div class="page-header">
            <div>
                <h1>"Secrets"</h1>
                <p class="subtitle">"Values are encrypted at rest and never shown in this table."</p>
            </div>
            <Transition fallback=|| ()>
                {move || can(Permission::WriteSecrets).then(|| view! {
                    <button class="button primary" on:click=move |_| open.set(Some(Open::Add))>"Add secret"</button>
                })}
            </Transition>
        </div>
        {secret_filters(query, go)}
        <Transition fallback=|| view! { <p class="muted">"Loading secrets…"</p> }>
            {move || {
                secrets
                    .get()
                    .map(|result| match result {
                        Ok((app, q, page)) => secrets_table(app, q, page, dialogs),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
        {move || {
            let args = DialogArgs {
                application_id: id.get()?,
                open: open.get()?,
                on_close: close,
                on_changed: changed,
            };
            Some(lazy_secret_dialog(args))
        }}
        {move || step_up.get().map(|retry| {
            Suspend::new(async move { step_up_dialog(step_up, retry).await }).into_any()
        })}
    }
}

/// The name filter (applied as it is typed) and the page size, both kept in the URL. A plain
/// view function, like the table's parts (see `table`).
fn secret_filters(query: Memo<ListQuery>, go: Callback<ListQuery>) -> impl IntoView {
    let filter_text = RwSignal::new(query.get_untracked().name_part);
    // The box follows the URL when it changes by other means (Show all, Back).
    Effect::new(move |_| {
        let wanted = query.read().name_part.clone();
        if filter_text.read_untracked().trim() != wanted.trim() {
            filter_text.set(wanted);
        }
    });
    let filter = move || {
        go.run(ListQuery {
            name_part: filter_text.get_untracked(),
            page: 1,
            ..query.get_untracked()
        })
    };
    view! {
        <form class="filters" role="search" aria-label="Filter secrets"
            on:submit=move |e: SubmitEvent| {
                e.prevent_default();
                filter();
            }
        >
            <div class="field compact">
                <label class="label" for="secret-filter">"Name contains"</label>
                <input type="search" id="secret-filter" name="q" spellcheck="false" autocomplete="off"
                    placeholder="Filter by name"
                    prop:value=filter_text
                    on:input=move |e| {
                        filter_text.set(event_target_value(&e));
                        filter();
                    } />
            </div>
            <div class="field compact">
                <label class="label" for="secret-page-size">"Per page"</label>
                <select id="secret-page-size" name="size"
                    on:change=move |e| {
                        let size = event_target_value(&e).parse().unwrap_or(SECRET_PAGE_DEFAULT);
                        go.run(ListQuery { size, page: 1, ..query.get_untracked() });
                    }
                >
                    {SECRET_PAGE_SIZES.map(|size| view! {
                        <option value=size.to_string() selected=move || query.read().size == size>{size.to_string()}</option>
                    })}
                </select>
            </div>
        </form>
    }
}

/// What a dialog is opened with.
struct DialogArgs {
    application_id: ApplicationId,
    open: Open,
    on_close: Callback<()>,
    on_changed: Callback<SecretMeta>,
}

/// The page's dialogs (add, edit, delete) are their own wasm chunk (`cargo leptos build
/// --split`), fetched when one is first opened: the Secrets page loads faster, and a dialog
/// opens a moment later only the first time.
#[lazy]
fn secret_dialog(args: DialogArgs) -> AnyView {
    let DialogArgs {
        application_id,
        open,
        on_close,
        on_changed,
    } = args;
    match open {
        Open::Add => view! { <SecretDialog application_id=application_id existing=None on_close=on_close on_saved=on_changed /> }.into_any(),
        Open::Edit(secret) => view! { <SecretDialog application_id=application_id existing=Some(secret) on_close=on_close on_saved=on_changed /> }.into_any(),
        Open::Delete(secret) => view! { <DeleteSecret application_id=application_id secret=secret on_close=on_close on_deleted=on_changed /> }.into_any(),
    }
}

fn lazy_secret_dialog(args: DialogArgs) -> AnyView {
    Suspend::new(async move { secret_dialog(args).await }).into_any()
}

/// The password prompt, for a read whose step-up has lapsed; a lazy chunk like the dialogs.
#[lazy]
fn step_up_dialog(step_up: RwSignal<Option<Callback<()>>>, retry: Callback<()>) -> AnyView {
    view! {
        <StepUpDialog
            on_close=Callback::new(move |()| step_up.set(None))
            on_confirmed=Callback::new(move |()| {
                step_up.set(None);
                retry.run(());
            })
        />
    }
    .into_any()
}
