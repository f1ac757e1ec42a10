//! An application's Secrets page: names, descriptions and times. A value appears only when a
//! user whose role may read values clicks Reveal (or Copy, which never shows it), having typed
//! their password within the last few minutes; every such read is audited.

use leptos::ev::SubmitEvent;
use leptos::lazy;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

use super::secret_dialog::SecretDialog;
use super::{url_encode, use_application_id};
use crate::components::{ConfirmDialog, StepUpDialog, can};
use crate::error::PanelError;
use crate::server_fns::{ReadPurpose, delete_secret, list_secrets, read_secret_value};
use shared::model::{
    ApplicationId, Permission, SECRET_PAGE_DEFAULT, SECRET_PAGE_SIZES, SecretMeta, SecretPage,
};

#[derive(Clone)]
enum Open {
    Add,
    Edit(SecretMeta),
    Delete(SecretMeta),
}

/// What the URL asks the Secrets page for: `?q=<name part>&page=<1-based>&size=<page size>`.
/// Kept in the URL so a filtered page survives a reload and can be shared.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct ListQuery {
    name_part: String,
    page: i64,
    size: i64,
}

impl ListQuery {
    fn from_params(params: &ParamsMap) -> Self {
        let size = params
            .get("size")
            .and_then(|s| s.parse().ok())
            .filter(|s| SECRET_PAGE_SIZES.contains(s))
            .unwrap_or(SECRET_PAGE_DEFAULT);
        ListQuery {
            name_part: params.get("q").unwrap_or_default().trim().to_owned(),
            page: params
                .get("page")
                .and_then(|p| p.parse().ok())
                .filter(|p: &i64| *p >= 1)
                .unwrap_or(1),
            size,
        }
    }

    fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.size)
    }

    /// This page's address with other values; defaults are left out.
    fn url(&self, app: ApplicationId) -> String {
        let mut pairs = Vec::new();
        if !self.name_part.trim().is_empty() {
            pairs.push(format!("q={}", url_encode(self.name_part.trim())));
        }
        if self.page > 1 {
            pairs.push(format!("page={}", self.page));
        }
        if self.size != SECRET_PAGE_DEFAULT {
            pairs.push(format!("size={}", self.size));
        }
        let base = format!("/applications/{}/secrets", app.0);
        if pairs.is_empty() {
            base
        } else {
            format!("{base}?{}", pairs.join("&"))
        }
    }
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
    let go = move |next: ListQuery| {
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
    };
    let filter_text = RwSignal::new(query.get_untracked().name_part);
    // The box follows the URL when it changes by other means (Show all, Back).
    Effect::new(move |_| {
        let wanted = query.read().name_part.clone();
        if filter_text.read_untracked().trim() != wanted.trim() {
            filter_text.set(wanted);
        }
    });
    let open = RwSignal::new(None::<Open>);
    let close = Callback::new(move |()| open.set(None));
    let changed = Callback::new(move |_: SecretMeta| {
        open.set(None);
        reload.update(|n| *n += 1);
    });
    // A read that needs the password first waits here; it runs again once it is confirmed.
    let step_up = RwSignal::new(None::<Callback<()>>);

    let table = move |(app, q, page): (ApplicationId, ListQuery, SecretPage)| {
        if page.total == 0 && q.name_part.trim().is_empty() {
            return view! {
                <section class="empty-state">
                    <h2>"No secrets yet"</h2>
                    <p>"Store passwords, API keys and tokens here; scenarios read them at run time instead of carrying them in code."</p>
                    {can(Permission::WriteSecrets).then(|| view! {
                        <button class="button primary" on:click=move |_| open.set(Some(Open::Add))>"Add secret"</button>
                    })}
                </section>
            }
            .into_any();
        }
        if page.items.is_empty() {
            let message = if page.total == 0 {
                format!(
                    "No secret's name contains \u{201c}{}\u{201d}.",
                    q.name_part.trim()
                )
            } else {
                format!("Page {} is past the end of the list.", q.page)
            };
            let first = ListQuery {
                name_part: String::new(),
                page: 1,
                ..q.clone()
            };
            return view! {
                <section class="empty-state">
                    <p>{message}</p>
                    <a class="button" href=first.url(app)>"Show all secrets"</a>
                </section>
            }
            .into_any();
        }
        let (may_read, may_write) = (can(Permission::ReadValues), can(Permission::WriteSecrets));
        let shown = page.items.len() as i64;
        let from = q.offset() + 1;
        let pages = (page.total + q.size - 1) / q.size;
        let previous = (q.page > 1).then(|| {
            ListQuery {
                page: q.page - 1,
                ..q.clone()
            }
            .url(app)
        });
        let next = (q.page < pages).then(|| {
            ListQuery {
                page: q.page + 1,
                ..q.clone()
            }
            .url(app)
        });
        let rows = page
            .items
            .into_iter()
            .map(|secret| {
                view! { <SecretRow application_id=app secret=secret open=open step_up=step_up may_read=may_read may_write=may_write /> }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="data-table">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Description"</th>
                            <th scope="col">"Last read (UTC)"</th>
                            <th scope="col">"Modified (UTC)"</th>
                            <th scope="col" class="actions"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <nav class="pager" aria-label="Pages of secrets">
                <span class="muted table-footer" data-testid="secrets-range">
                    {match page.total {
                        1 => "1 secret".to_owned(),
                        n if n <= shown => format!("{n} secrets"),
                        n => format!("{from}\u{2013}{} of {n} secrets", from + shown - 1),
                    }}
                </span>
                {previous.map(|href| view! { <a class="button small" href=href rel="prev">"Previous"</a> })}
                {next.map(|href| view! { <a class="button small" href=href rel="next">"Next"</a> })}
            </nav>
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
            <Transition fallback=|| ()>
                {move || can(Permission::WriteSecrets).then(|| view! {
                    <button class="button primary" on:click=move |_| open.set(Some(Open::Add))>"Add secret"</button>
                })}
            </Transition>
        </div>
        <form class="filters" role="search" aria-label="Filter secrets"
            on:submit={
                let go = go.clone();
                move |e: SubmitEvent| {
                    e.prevent_default();
                    go(ListQuery { name_part: filter_text.get_untracked(), page: 1, ..query.get_untracked() });
                }
            }
        >
            <div class="field compact">
                <label class="label" for="secret-filter">"Name contains"</label>
                <input type="search" id="secret-filter" name="q" spellcheck="false" autocomplete="off"
                    placeholder="Filter by name"
                    prop:value=filter_text
                    on:input={
                        let go = go.clone();
                        move |e| {
                            filter_text.set(event_target_value(&e));
                            go(ListQuery { name_part: filter_text.get_untracked(), page: 1, ..query.get_untracked() });
                        }
                    } />
            </div>
            <div class="field compact">
                <label class="label" for="secret-page-size">"Per page"</label>
                <select id="secret-page-size" name="size"
                    on:change={
                        let go = go.clone();
                        move |e| {
                            let size = event_target_value(&e).parse().unwrap_or(SECRET_PAGE_DEFAULT);
                            go(ListQuery { size, page: 1, ..query.get_untracked() });
                        }
                    }
                >
                    {SECRET_PAGE_SIZES.map(|size| view! {
                        <option value=size.to_string() selected=move || query.read().size == size>{size.to_string()}</option>
                    })}
                </select>
            </div>
        </form>
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
                Open::Add => lazy_secret_dialog(app, None, close, changed),
                Open::Edit(secret) => lazy_secret_dialog(app, Some(secret), close, changed),
                Open::Delete(secret) => view! { <DeleteSecret application_id=app secret=secret on_close=close on_deleted=changed /> }.into_any(),
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

/// What the add/edit dialog is opened with.
struct DialogArgs {
    application_id: ApplicationId,
    existing: Option<SecretMeta>,
    on_close: Callback<()>,
    on_saved: Callback<SecretMeta>,
}

/// The add/edit dialog's code is its own wasm chunk (`cargo leptos build --split`), fetched
/// when a dialog is first opened: the Secrets page loads faster, and a dialog opens a moment
/// later only the first time.
#[lazy]
fn secret_dialog(args: DialogArgs) -> AnyView {
    let DialogArgs {
        application_id,
        existing,
        on_close,
        on_saved,
    } = args;
    view! { <SecretDialog application_id=application_id existing=existing on_close=on_close on_saved=on_saved /> }
        .into_any()
}

fn lazy_secret_dialog(
    application_id: ApplicationId,
    existing: Option<SecretMeta>,
    on_close: Callback<()>,
    on_saved: Callback<SecretMeta>,
) -> AnyView {
    let args = DialogArgs {
        application_id,
        existing,
        on_close,
        on_saved,
    };
    Suspend::new(async move { secret_dialog(args).await }).into_any()
}

/// One secret. Reveal shows the value under its name until Hide; Copy puts it on the
/// clipboard without showing it. Both ask for the password when the step-up has lapsed.
#[component]
fn SecretRow(
    application_id: ApplicationId,
    secret: SecretMeta,
    open: RwSignal<Option<Open>>,
    step_up: RwSignal<Option<Callback<()>>>,
    may_read: bool,
    may_write: bool,
) -> impl IntoView {
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
