//! Strongroom's control panel: routes, pages and components (rendered on the server and
//! hydrated in the browser) and the server functions behind them. The types and rules the
//! browser shares with the server live in the `shared` crate; the store and the scenario
//! engine are server-only crates, pulled in by the `ssr` feature.

pub mod auth;
pub mod components;
pub mod error;
pub mod pages;
pub mod server_fns;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, lazy_route, path};

use components::CurrentUser;
use pages::{
    ApplicationWorkspace, ApplicationsPage, AuditPage, NotFound, ScenarioEditorPage, ScenariosPage,
    SecretsPage, ServiceAccountsPage, SetupPage, SignInPage, TopBar, UsersPage, WorkspaceIndex,
};
use server_fns::current_user;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    page_security_headers();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                // No favicon: an empty data URI spares a request that would 404.
                <link rel="icon" href="data:," />
                <HydrationScripts options=options.clone() />
                <HashedStylesheet options id="strongroom" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: scripts run only with this response's nonce (Leptos
/// puts it on its hydration scripts), WebAssembly may compile, styles come from our stylesheet,
/// and no one may frame the panel.
#[cfg(feature = "ssr")]
fn page_security_headers() {
    use axum::http::{HeaderValue, header};
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Marks the page as interactive once the page's own view has hydrated (Effects run only in
/// the browser, after hydration): tests and the benchmark wait for `<body data-hydrated>`. It is
/// part of each page's view, because a page's code may arrive after the rest (see `lazy_page`).
#[component]
fn PageReady() -> impl IntoView {
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// A page whose code is its own wasm chunk (`cargo leptos build --split`), fetched when the
/// page is first opened. The Secrets page, where most visits go, stays in the main bundle and
/// loads in one request; the rest of the panel arrives on demand.
/// Without `--split` (tests, the server) it is an ordinary route.
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(this: Self) -> AnyView {
                let $route = this;
                view! { <$page /><PageReady /> }.into_any()
            }
        }
    };
}

lazy_page!(SignInRoute, SignInPage);
lazy_page!(SetupRoute, SetupPage);
lazy_page!(ApplicationsRoute, ApplicationsPage);
lazy_page!(ServiceAccountsRoute, ServiceAccountsPage);
lazy_page!(UsersRoute, UsersPage);
lazy_page!(AuditRoute, AuditPage);
lazy_page!(ScenariosRoute, ScenariosPage);
lazy_page!(ScenarioEditorRoute, ScenarioEditorPage);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Who is signed in, once per page load: signing in or out reloads the page. Components
    // read it inside their own Transition (see `components::use_me`).
    provide_context(CurrentUser(Resource::new(|| (), |_| current_user())));

    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Strongroom".to_owned() } else { format!("{page} · Strongroom") }
        } />
        <Router>
            <TopBar />
            <main class="page">
                <Routes fallback=|| view! { <NotFound /><PageReady /> }>
                    <Route path=path!("/sign-in") view={Lazy::<SignInRoute>::new()} />
                    <Route path=path!("/setup") view={Lazy::<SetupRoute>::new()} />
                    <Route path=path!("/") view={Lazy::<ApplicationsRoute>::new()} />
                    <Route path=path!("/service-accounts") view={Lazy::<ServiceAccountsRoute>::new()} />
                    <Route path=path!("/users") view={Lazy::<UsersRoute>::new()} />
                    <Route path=path!("/audit") view={Lazy::<AuditRoute>::new()} />
                    <ParentRoute path=path!("/applications/:id") view=ApplicationWorkspace>
                        <Route path=path!("secrets") view=|| view! { <SecretsPage /><PageReady /> } />
                        <Route path=path!("scenarios") view={Lazy::<ScenariosRoute>::new()} />
                        <Route path=path!("scenarios/:scenario") view={Lazy::<ScenarioEditorRoute>::new()} />
                        <Route path=path!("") view=|| view! { <WorkspaceIndex /><PageReady /> } />
                    </ParentRoute>
                </Routes>
            </main>
        </Router>
    }
}
