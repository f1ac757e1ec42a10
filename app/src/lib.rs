//! Strongroom's control panel: routes, pages and components (rendered on the server and
//! hydrated in the browser), the server functions behind them, and — server-side only — the
//! encrypted secret store that both the panel and the Management API use.

pub mod components;
pub mod error;
pub mod model;
pub mod pages;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod store;
pub mod validation;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, ParentRoute, Route, Router, Routes};
use leptos_router::path;

use pages::{
    ApplicationWorkspace, ApplicationsPage, NotFound, SecretsPage, ServiceAccountsPage,
    WorkspaceIndex,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: this marks the page as interactive (tests wait for it).
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="strongroom" href="/pkg/strongroom.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Strongroom".to_owned() } else { format!("{page} · Strongroom") }
        } />
        <Router>
            <header class="topbar">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    "Strongroom"
                </a>
                <nav class="topnav" aria-label="Main">
                    <A href="/" exact=true>"Applications"</A>
                    <A href="/service-accounts">"Service accounts"</A>
                </nav>
            </header>
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=ApplicationsPage />
                    <Route path=path!("/service-accounts") view=ServiceAccountsPage />
                    <ParentRoute path=path!("/applications/:id") view=ApplicationWorkspace>
                        <Route path=path!("secrets") view=SecretsPage />
                        <Route path=path!("") view=WorkspaceIndex />
                    </ParentRoute>
                </Routes>
            </main>
        </Router>
    }
}
