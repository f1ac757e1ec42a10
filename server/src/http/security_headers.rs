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
    let asset = request.uri().path().strip_prefix("/pkg/").map(|name| {
        if is_hashed(name) {
            IMMUTABLE
        } else {
            "no-cache"
        }
    });
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
    // Assets are not secret: content-hashed ones keep for a year, others are revalidated.
    let found = response.status().is_success();
    let headers = response.headers_mut();
    set_if_missing(
        headers,
        header::CACHE_CONTROL,
        asset.filter(|_| found).unwrap_or("no-store"),
    );
    // Assets come as .br or .gz copies by the request's Accept-Encoding: a shared cache must
    // keep one copy per encoding.
    if asset.is_some() {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if config.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// A year, and no revalidation: the name changes whenever the content does.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `strongroom.<hash>.wasm` (cargo-leptos' `hash-files`): a middle part of 16 or more
/// base64url characters. A hash-less name may be rebuilt in place.
fn is_hashed(file_name: &str) -> bool {
    let parts: Vec<&str> = file_name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|part| {
            part.len() >= 16
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

fn set_if_missing(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_content_hashed_names_count_as_hashed() {
        assert!(is_hashed("strongroom.jq4XNY1A3yG0XW-rq3U7gA.wasm"));
        assert!(is_hashed("strongroom.jq4XNY1A3yG0XW-rq3U7gA.wasm.br"));
        assert!(!is_hashed("strongroom.wasm"));
        assert!(!is_hashed("strongroom.css"));
        assert!(!is_hashed("strongroom_bg.wasm.d.ts"));
        assert!(!is_hashed("../strongroom.jq4XNY1A3yG0XW%2Frq3U7gA.wasm"));
    }
}
