//! The panel's server functions: thin adapters that check the caller (`guard`), call the
//! store, and map its errors (`errors`). Explicit endpoints keep the URLs stable
//! (`/api/<name>`); every call goes through `PanelClient`, which adds the CSRF header.

mod access;
mod applications;
mod audit;
#[cfg(feature = "ssr")]
mod errors;
#[cfg(feature = "ssr")]
mod guard;
mod scenarios;
mod secrets;
mod session;
mod users;

pub use access::*;
pub use applications::*;
pub use audit::*;
pub use scenarios::*;
pub use secrets::*;
pub use session::*;
pub use users::*;

#[cfg(feature = "ssr")]
fn store() -> Result<store::SecretStore, crate::error::PanelError> {
    leptos::prelude::use_context::<store::SecretStore>()
        .ok_or_else(|| errors::internal(&"the secret store is missing from the request context"))
}

#[cfg(feature = "ssr")]
fn runner() -> Result<scenario::ScenarioRunner, crate::error::PanelError> {
    leptos::prelude::use_context::<scenario::ScenarioRunner>()
        .ok_or_else(|| errors::internal(&"the scenario runner is missing from the request context"))
}

/// Marks the response as not cacheable: it carries a key or a value.
#[cfg(feature = "ssr")]
fn no_store() {
    use axum::http::{HeaderValue, header};
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
