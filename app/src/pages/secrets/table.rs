//! One page of secrets: the table and its pager, or the state that stands in for it (no
//! secrets yet, no match for the filter, a page past the end). Plain view functions rather
//! than components: this page is in the main wasm bundle, where each component's wrapper
//! costs bytes of a tight budget.

use leptos::prelude::*;

use super::list_query::ListQuery;
use super::row::SecretRow;
use super::{Dialogs, Open};
use crate::components::can;
use shared::model::{ApplicationId, Permission, SecretPage};

pub fn secrets_table(
    app: ApplicationId,
    query: ListQuery,
    page: SecretPage,
    dialogs: Dialogs,
) -> AnyView {
    if page.total == 0 && query.name_part.trim().is_empty() {
        return no_secrets_yet(dialogs.open).into_any();
    }
    if page.items.is_empty() {
        return nothing_on_this_page(app, query, page.total).into_any();
    }
    let (may_read, may_write) = (can(Permission::ReadValues), can(Permission::WriteSecrets));
    let shown = page.items.len() as i64;
    let total = page.total;
    let rows = page
        .items
        .into_iter()
        .map(|secret| {
            view! { <SecretRow application_id=app secret=secret dialogs=dialogs may_read=may_read may_write=may_write /> }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data-table">
                {table_head()}
                <tbody>{rows}</tbody>
            </table>
        </div>
        {pager(app, query, shown, total)}
    }
    .into_any()
}

fn table_head() -> impl IntoView {
    view! {
        <thead>
            <tr>
                <th scope="col">"Name"</th>
                <th scope="col">"Description"</th>
                <th scope="col">"Last read (UTC)"</th>
                <th scope="col">"Modified (UTC)"</th>
                <th scope="col" class="actions"><span class="visually-hidden">"Actions"</span></th>
            </tr>
        </thead>
    }
}

fn no_secrets_yet(open: RwSignal<Option<Open>>) -> impl IntoView {
    view! {
        <section class="empty-state">
            <h2>"No secrets yet"</h2>
            <p>"Store passwords, API keys and tokens here; scenarios read them at run time instead of carrying them in code."</p>
            {can(Permission::WriteSecrets).then(|| view! {
                <button class="button primary" on:click=move |_| open.set(Some(Open::Add))>"Add secret"</button>
            })}
        </section>
    }
}

/// No name matches the filter, or the page is past the end: a way back to the whole list.
fn nothing_on_this_page(app: ApplicationId, query: ListQuery, total: i64) -> impl IntoView {
    let message = if total == 0 {
        format!(
            "No secret's name contains \u{201c}{}\u{201d}.",
            query.name_part.trim()
        )
    } else {
        format!("Page {} is past the end of the list.", query.page)
    };
    let first = ListQuery {
        name_part: String::new(),
        page: 1,
        ..query
    };
    view! {
        <section class="empty-state">
            <p>{message}</p>
            <a class="button" href=first.url(app)>"Show all secrets"</a>
        </section>
    }
}

/// Which secrets are shown of how many, and Previous / Next.
fn pager(app: ApplicationId, query: ListQuery, shown: i64, total: i64) -> impl IntoView {
    let from = query.offset() + 1;
    let pages = (total + query.size - 1) / query.size;
    let at_page = |page: i64| {
        ListQuery {
            page,
            ..query.clone()
        }
        .url(app)
    };
    let previous = (query.page > 1).then(|| at_page(query.page - 1));
    let next = (query.page < pages).then(|| at_page(query.page + 1));
    view! {
        <nav class="pager" aria-label="Pages of secrets">
            <span class="muted table-footer" data-testid="secrets-range">
                {match total {
                    1 => "1 secret".to_owned(),
                    n if n <= shown => format!("{n} secrets"),
                    n => format!("{from}\u{2013}{} of {n} secrets", from + shown - 1),
                }}
            </span>
            {previous.map(|href| view! { <a class="button small" href=href rel="prev">"Previous"</a> })}
            {next.map(|href| view! { <a class="button small" href=href rel="next">"Next"</a> })}
        </nav>
    }
}
