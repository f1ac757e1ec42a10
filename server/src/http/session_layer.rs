//! Finds out who each request is, once, before any handler runs:
//! - resolves the session cookie and leaves a `RequestAuth` (session and client address) in
//!   the request's extensions, where server functions and the Management API read it;
//! - refuses server-function calls without the session's CSRF token (403);
//! - sends page requests without a session to the sign-in page (and to first-run setup while
//!   no user exists), so no page renders for a stranger.

use app::auth::{AuthConfig, RequestAuth, csrf_matches, has_csrf_header};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;
use store::SecretStore;

use crate::http::trusted_proxy::TrustedProxies;

#[derive(Clone)]
pub struct SessionState {
    pub store: SecretStore,
    pub config: AuthConfig,
    /// The peers whose X-Forwarded-For names the client (`--trusted-proxy`).
    pub proxies: TrustedProxies,
}

/// Pages anyone may open.
const SIGN_IN_PATH: &str = "/sign-in";
const SETUP_PATH: &str = "/setup";

pub async fn layer(
    State(state): State<SessionState>,
    mut request: Request,
    next: Next,
) -> Response {
    let client_ip = client_ip(&request, &state.proxies);
    // Static assets, the health check and the Management API (which authenticates each call
    // itself and never reads a cookie) need nobody's session: no database query for them.
    if needs_no_session(request.uri().path()) {
        request.extensions_mut().insert(RequestAuth {
            session: None,
            client_ip,
        });
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    let session = match state.config.resolve(&state.store, request.headers()).await {
        Ok(session) => session,
        Err(e) => {
            tracing::error!(error = %e, "cannot look up a session");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "The session store is unavailable; try again shortly.",
            )
                .into_response();
        }
    };

    if path.starts_with("/api/") {
        let headers = request.headers();
        let csrf_ok = match &session {
            Some(session) => csrf_matches(session, headers),
            // Signed out (sign-in, setup): only this origin's scripts add the header.
            None => has_csrf_header(headers),
        };
        if !csrf_ok {
            return (
                StatusCode::FORBIDDEN,
                "The request's CSRF token is missing or wrong. Reload the page and try again.",
            )
                .into_response();
        }
    } else if is_page(request.method(), &path) {
        let back = request
            .uri()
            .path_and_query()
            .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
        if let Some(redirect) = page_redirect(&state.store, session.is_some(), &path, &back).await {
            return redirect;
        }
    }

    request
        .extensions_mut()
        .insert(RequestAuth { session, client_ip });
    next.run(request).await
}

fn needs_no_session(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path == "/healthz"
        || path == "/platform_api"
        || path.starts_with("/platform_api/")
}

/// Where a page request must go instead, if anywhere; `back` is the path and query to return
/// to after signing in.
async fn page_redirect(
    store: &SecretStore,
    signed_in: bool,
    path: &str,
    back: &str,
) -> Option<Response> {
    let public = path == SIGN_IN_PATH || path == SETUP_PATH;
    if signed_in {
        return public.then(|| Redirect::to("/").into_response());
    }
    let needs_setup = match store.user_count().await {
        Ok(count) => count == 0,
        Err(e) => {
            tracing::error!(error = %e, "cannot count users");
            false
        }
    };
    let target = if needs_setup {
        SETUP_PATH
    } else {
        SIGN_IN_PATH
    };
    if path == target {
        return None;
    }
    if public || path == "/" {
        return Some(Redirect::to(target).into_response());
    }
    let next = percent_encode(back);
    Some(Redirect::to(&format!("{target}?next={next}")).into_response())
}

/// GET or HEAD for something that is not an asset, the API or the health check.
fn is_page(method: &Method, path: &str) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
        && !path.starts_with("/pkg/")
        && !path.starts_with("/platform_api")
        && path != "/healthz"
        && path != "/favicon.ico"
}

fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The TCP peer's address, or the one a trusted proxy forwarded; none without a peer (a
/// request handed to the router in process).
fn client_ip(request: &Request, proxies: &TrustedProxies) -> Option<String> {
    let ConnectInfo(peer) = request.extensions().get::<ConnectInfo<SocketAddr>>()?;
    Some(
        proxies
            .client_address(peer.ip(), request.headers())
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_what_is_not_an_asset_or_the_api() {
        assert!(is_page(&Method::GET, "/"));
        assert!(is_page(&Method::GET, "/applications/1/secrets"));
        assert!(!is_page(&Method::POST, "/applications"));
        assert!(!is_page(&Method::GET, "/pkg/strongroom.wasm"));
        assert!(!is_page(&Method::GET, "/platform_api/GetSecrets"));
        assert!(!is_page(&Method::GET, "/healthz"));
    }
}
