//! An application's workspace: its name on top, a menu on the left (Secrets, then
//! Scenarios), and the selected section on the right.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::use_params_map;

use crate::server_fns::get_application;
use shared::model::ApplicationId;

/// The `:id` of the current `/applications/:id/...` URL, if it is a number.
pub fn use_application_id() -> Memo<Option<ApplicationId>> {
    let params = use_params_map();
    Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse().ok())
            .map(ApplicationId)
    })
}

#[component]
pub fn ApplicationWorkspace() -> impl IntoView {
    let id = use_application_id();
    let application = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_application(id).await.ok(),
                None => None,
            }
        },
    );
    let name = move || {
        application
            .get()
            .flatten()
            .map(|app| app.name)
            .unwrap_or_default()
    };
    let base = move || {
        id.get()
            .map(|id| format!("/applications/{id}"))
            .unwrap_or_default()
    };

    view! {
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <a href="/">"Applications"</a>
            <span aria-hidden="true">"/"</span>
            <Transition fallback=|| "…">
                <span aria-current="page" class="crumb-current">{name}</span>
            </Transition>
        </nav>
        <div class="workspace">
            <nav class="side-menu" aria-label="Application">
                <A href=move || format!("{}/secrets", base())>
                    <svg class="menu-icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                        <circle cx="8" cy="15" r="4" fill="none" stroke="currentColor" stroke-width="2" />
                        <path d="M11 12l8-8m-3 3l3 3m-5-1l2 2" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
                    </svg>
                    "Secrets"
                </A>
                <A href=move || format!("{}/scenarios", base())>
                    <svg class="menu-icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                        <path d="M8 6l-6 6 6 6M16 6l6 6-6 6" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
                    </svg>
                    "Scenarios"
                </A>
            </nav>
            <section class="workspace-content">
                <Outlet />
            </section>
        </div>
    }
}

/// `/applications/:id` opens the first menu item.
#[component]
pub fn WorkspaceIndex() -> impl IntoView {
    let id = use_application_id();
    move || {
        id.get()
            .map(|id| view! { <Redirect path=format!("/applications/{id}/secrets") /> })
    }
}
