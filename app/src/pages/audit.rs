//! The Audit page: who did what, newest first. The filters live in the URL, so a filtered view
//! survives a reload and can be shared; paging is by record id (keyset), so pages stay correct
//! while new records arrive.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

use super::url_encode;
use crate::components::can;
use crate::server_fns::audit_log;
use shared::model::{AuditAction, AuditEntry, AuditPage, AuditQuery, Permission, Timestamp};

const FILTERS: [&str; 6] = ["application", "secret", "actor", "action", "from", "to"];

/// The query the URL asks for; `None` when it names an action that does not exist, which no
/// record can match.
fn query_from(params: &ParamsMap) -> Option<AuditQuery> {
    let text = |key: &str| params.get(key).filter(|v| !v.trim().is_empty());
    let action = match text("action") {
        Some(action) => Some(AuditAction::parse(action.trim())?),
        None => None,
    };
    Some(AuditQuery {
        application: text("application"),
        secret: text("secret"),
        actor: text("actor"),
        action,
        since: text("from").and_then(|d| Timestamp::from_date(&d)),
        // The whole "to" day is included.
        until: text("to")
            .and_then(|d| Timestamp::from_date(&d))
            .map(|t| Timestamp(t.0 + 86_399)),
        before: text("before").and_then(|b| b.parse().ok()),
        limit: None,
    })
}

/// `/audit?...` with the given filter values (empty ones left out) and page.
fn audit_url(values: &[(&str, String)], before: Option<i64>) -> String {
    let mut pairs: Vec<String> = values
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v.trim())))
        .collect();
    if let Some(before) = before {
        pairs.push(format!("before={before}"));
    }
    if pairs.is_empty() {
        "/audit".to_owned()
    } else {
        format!("/audit?{}", pairs.join("&"))
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| query_from(&params.read()));
    let page = Resource::new(
        move || query.get(),
        |query| async move {
            match query {
                Some(query) => audit_log(query).await,
                None => Ok(AuditPage {
                    items: Vec::new(),
                    next_before: None,
                }),
            }
        },
    );
    let navigate = use_navigate();
    let field =
        |key: &'static str| RwSignal::new(params.read_untracked().get(key).unwrap_or_default());
    let inputs = FILTERS.map(|key| (key, field(key)));
    let current = move || inputs.map(|(k, v)| (k, v.get_untracked()));
    let apply = {
        let navigate = navigate.clone();
        move |event: SubmitEvent| {
            event.prevent_default();
            navigate(&audit_url(&current(), None), Default::default());
        }
    };
    let [application, secret, actor, action, from, to] = inputs.map(|(_, v)| v);
    let older = move |before: i64| {
        let values: Vec<(&str, String)> = FILTERS
            .iter()
            .map(|k| (*k, params.read_untracked().get(k).unwrap_or_default()))
            .collect();
        audit_url(&values, Some(before))
    };
    let newest = move || {
        let values: Vec<(&str, String)> = FILTERS
            .iter()
            .map(|k| (*k, params.read_untracked().get(k).unwrap_or_default()))
            .collect();
        audit_url(&values, None)
    };
    let text_input = move |id: &'static str, label: &'static str, value: RwSignal<String>| {
        view! {
            <div class="field compact">
                <label class="label" for=id>{label}</label>
                <input type="text" id=id spellcheck="false" prop:value=value
                    on:input=move |e| value.set(event_target_value(&e)) />
            </div>
        }
    };

    view! {
        <Title text="Audit" />
        <div class="page-header">
            <div>
                <h1>"Audit log"</h1>
                <p class="subtitle">"Sign-ins, changes and every value read, newest first. Values are never recorded."</p>
            </div>
        </div>
        <Transition fallback=|| ()>
        {move || can(Permission::ManageAccess).then(|| view! {
        <form class="filters" on:submit=apply.clone() aria-label="Filter the audit log">
            {text_input("filter-application", "Application", application)}
            {text_input("filter-secret", "Secret", secret)}
            {text_input("filter-actor", "Actor", actor)}
            <div class="field compact">
                <label class="label" for="filter-action">"Action"</label>
                <select id="filter-action" on:change=move |e| action.set(event_target_value(&e))>
                    <option value="" selected=move || action.get().is_empty()>"Any"</option>
                    {AuditAction::ALL.into_iter().map(|a| view! {
                        <option value=a.as_str() selected=move || action.get() == a.as_str()>{a.as_str()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field compact">
                <label class="label" for="filter-from">"From"</label>
                <input type="date" id="filter-from" prop:value=from on:input=move |e| from.set(event_target_value(&e)) />
            </div>
            <div class="field compact">
                <label class="label" for="filter-to">"To"</label>
                <input type="date" id="filter-to" prop:value=to on:input=move |e| to.set(event_target_value(&e)) />
            </div>
            <div class="filter-actions">
                <button type="submit" class="button primary">"Apply"</button>
                <a class="button" href="/audit">"Clear"</a>
            </div>
        </form>
        })}
        </Transition>
        <Transition fallback=|| view! { <p class="muted">"Loading the audit log…"</p> }>
            {move || page.get().map(|result| match result {
                Ok(page) => view! { <AuditTable page=page older=older newest=newest() first=query.get().is_none_or(|q| q.before.is_none()) /> }.into_any(),
                Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn AuditTable(
    page: AuditPage,
    older: impl Fn(i64) -> String + 'static,
    newest: String,
    first: bool,
) -> impl IntoView {
    if page.items.is_empty() {
        return view! {
            <section class="empty-state">
                <h2>"No records"</h2>
                <p>"Nothing matches these filters."</p>
            </section>
        }
        .into_any();
    }
    let rows = page.items.into_iter().map(audit_row).collect_view();
    view! {
        <div class="table-wrap">
            <table class="data-table audit-table">
                <thead>
                    <tr>
                        <th scope="col">"Time (UTC)"</th>
                        <th scope="col">"Actor"</th>
                        <th scope="col">"Source"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Target"</th>
                        <th scope="col">"Outcome"</th>
                        <th scope="col">"Detail"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Audit pages">
            {(!first).then(|| view! { <a class="button small" href=newest>"Newest"</a> })}
            {page.next_before.map(|before| view! { <a class="button small" href=older(before)>"Older"</a> })}
        </nav>
    }
    .into_any()
}

fn audit_row(entry: AuditEntry) -> impl IntoView {
    let target = match (&entry.application_name, &entry.secret_name, &entry.target) {
        (Some(app), Some(secret), _) => format!("{app} / {secret}"),
        (Some(app), None, _) => app.clone(),
        (None, _, Some(other)) => other.clone(),
        _ => String::new(),
    };
    let source = match &entry.client_ip {
        Some(ip) => format!("{} · {ip}", entry.source),
        None => entry.source.clone(),
    };
    view! {
        <tr data-action=entry.action.clone()>
            <td class="mono nowrap">{entry.at.to_string()}</td>
            <td><span class="mono">{entry.actor.clone()}</span> <span class="muted">{format!(" ({})", entry.actor_kind)}</span></td>
            <td class="nowrap">{source}</td>
            <td class="mono">{entry.action.clone()}</td>
            <td class="mono">{target}</td>
            <td class=format!("outcome-{}", entry.outcome)>{entry.outcome.clone()}</td>
            <td class="description-cell">{entry.detail.clone()}</td>
        </tr>
    }
}
