//! Refuses requests that a browser makes on behalf of another site, before the session layer
//! runs (a signed-in user's browser would otherwise lend its cookies to any page):
//! - a cross-site write (a form POST from another origin, say) is refused with 403;
//! - on a loopback listener, a `Host` other than a loopback name is refused with 421, which
//!   defeats DNS rebinding (a foreign domain that resolves to 127.0.0.1). A trusted reverse
//!   proxy (`--trusted-proxy`) is exempt: it decides which host names reach us.
//!
//! Clients that are not browsers send neither `Origin` nor `Sec-Fetch-Site` and pass.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

use crate::http::trusted_proxy::TrustedProxies;

#[derive(Clone, Debug)]
pub struct GuardConfig {
    /// True when listening on a loopback address: only loopback host names are accepted.
    pub loopback_only: bool,
    /// Peers that may send any Host even then (`--trusted-proxy`).
    pub proxies: TrustedProxies,
}

pub async fn guard(State(config): State<GuardConfig>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    if config.loopback_only && !host_is_loopback(headers) && !from_proxy(&request, &config.proxies)
    {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "Strongroom listens on loopback and answers only to localhost, 127.0.0.1 or [::1].",
        );
    }
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if writes && is_cross_site(headers) {
        return refuse(
            StatusCode::FORBIDDEN,
            "Cross-site request refused: change Strongroom only from its own panel.",
        );
    }
    next.run(request).await
}

fn from_proxy(request: &Request, proxies: &TrustedProxies) -> bool {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(peer)| proxies.contains(peer.ip()))
}

fn refuse(status: StatusCode, message: &'static str) -> Response {
    (status, message).into_response()
}

fn host_is_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        // HTTP/1.0 without Host: nothing a browser would send.
        return true;
    };
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _port)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site" | "same-site")) {
        return true;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin_authority(origin) != Some(host),
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// `http://host:port` -> `host:port`.
fn origin_authority(origin: &str) -> Option<&str> {
    origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn loopback_host_names() {
        for ok in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST",
            "[::1]:3000",
            "127.0.0.2",
        ] {
            assert!(host_is_loopback(&headers(&[("host", ok)])), "{ok}");
        }
        for bad in [
            "evil.example:3000",
            "10.0.0.1:3000",
            "localhost.evil.example",
            "[::2]:80",
        ] {
            assert!(!host_is_loopback(&headers(&[("host", bad)])), "{bad}");
        }
    }

    #[test]
    fn cross_site_detection() {
        let host = ("host", "127.0.0.1:3000");
        assert!(!is_cross_site(&headers(&[host])));
        assert!(!is_cross_site(&headers(&[
            host,
            ("origin", "http://127.0.0.1:3000")
        ])));
        assert!(!is_cross_site(&headers(&[
            host,
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(is_cross_site(&headers(&[
            host,
            ("origin", "http://evil.example")
        ])));
        assert!(is_cross_site(&headers(&[
            host,
            ("origin", "http://127.0.0.1:3001")
        ])));
        assert!(is_cross_site(&headers(&[host, ("origin", "null")])));
        assert!(is_cross_site(&headers(&[
            host,
            ("sec-fetch-site", "cross-site")
        ])));
    }
}
