//! The panel's server functions: thin adapters that take the store from context, call it,
//! and map its errors (see `errors`). Explicit endpoints keep the URLs stable (`/api/<name>`).

mod access;
mod applications;
#[cfg(feature = "ssr")]
mod errors;
mod secrets;

pub use access::*;
pub use applications::*;
pub use secrets::*;

#[cfg(feature = "ssr")]
fn store() -> Result<crate::store::SecretStore, crate::error::PanelError> {
    leptos::prelude::use_context::<crate::store::SecretStore>()
        .ok_or_else(|| errors::internal(&"the secret store is missing from the request context"))
}

/// Marks the response as not cacheable: it carries a key that must exist only once.
#[cfg(feature = "ssr")]
fn no_store() {
    use axum::http::{HeaderValue, header};
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
