//! Headers every response gets. Pages carry their own nonce-based Content-Security-Policy
//! (set while rendering, see `app::page_security_headers`); anything else gets a policy that
//! allows nothing to run.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// For responses that are not pages: nothing may load, run or frame them.
const FALLBACK_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

#[derive(Clone, Copy)]
pub struct HeaderConfig {
    /// Served over HTTPS by this process: tell browsers to insist on it.
    pub https: bool,
}

pub async fn layer(State(config): State<HeaderConfig>, request: Request, next: Next) -> Response {
    let assets = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    set_if_missing(headers, header::CONTENT_SECURITY_POLICY, FALLBACK_CSP);
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    // Pages, server functions and API answers can hold values: never stored by any cache.
    // Assets are revalidated (they are not secret, and not yet content-hashed).
    set_if_missing(
        headers,
        header::CACHE_CONTROL,
        if assets { "no-cache" } else { "no-store" },
    );
    if config.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

fn set_if_missing(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}
