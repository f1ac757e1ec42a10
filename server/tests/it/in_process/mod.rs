//! The fast tier: the server's router driven in this process (`tower::ServiceExt::oneshot`),
//! with a real store on a temporary SQLite file but no socket, no child process and no
//! restart. For request-level behaviour only; what needs a listener, a signal, TLS or a
//! restart stays in the real-process tests beside this folder. `api` drives the Management
//! API, `panel` the pages and server functions; this file holds the harness and the layers
//! every request passes.

mod api;
mod panel;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use leptos::config::LeptosOptions;
use server::http::request_guard::GuardConfig;
use server::http::request_limits::RequestLimits;
use server::http::trusted_proxy::TrustedProxies;
use server::http::{HttpConfig, router};
use std::net::SocketAddr;
use std::time::Duration;
use store::{MasterKey, SecretStore};
use tower::ServiceExt as _;

/// The router over a store of its own. `store` is the same store the router serves, for
/// arranging state and checking what a request wrote.
struct InProcess {
    app: Router,
    store: SecretStore,
    _dir: tempfile::TempDir,
}

/// The `Host` every request names: the listener's own address, which the guard accepts.
const HOST: &str = "127.0.0.1:3000";

async fn in_process() -> InProcess {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("in-process.db").display());
    let store = SecretStore::open(&url, MasterKey::from_bytes(&[3; 32]).expect("key"))
        .await
        .expect("store");
    let options = LeptosOptions::builder()
        .output_name("strongroom")
        .site_root(dir.path().display().to_string())
        .build();
    let config = HttpConfig {
        guard: GuardConfig {
            loopback_only: true,
            proxies: TrustedProxies::new(&[]),
        },
        auth: app::auth::AuthConfig::default(),
        proxies: TrustedProxies::new(&[]),
        https: false,
        scenarios: scenario::Limits::default(),
        limits: RequestLimits {
            timeout: Duration::from_secs(60),
            max_body_bytes: 4 * 1024 * 1024,
        },
    };
    InProcess {
        app: router(options, store.clone(), config),
        store,
        _dir: dir,
    }
}

impl InProcess {
    /// Sends one request from a loopback peer to `HOST`.
    async fn send(
        &self,
        builder: axum::http::request::Builder,
        body: impl Into<Body>,
    ) -> axum::response::Response {
        let builder = builder.header(header::HOST, HOST);
        let response = self.app.clone().oneshot(request(builder, body.into()));
        response.await.expect("the router always answers")
    }

    /// POSTs `form` (url-encoded) to `path`, with extra `headers`.
    async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> axum::response::Response {
        let mut builder =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.send(builder, form_body(form)).await
    }
}

/// `pairs` as an `application/x-www-form-urlencoded` body.
fn form_body(pairs: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let pairs = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)));
    pairs.collect::<Vec<_>>().join("&")
}

/// A request as the listener hands it over: with the peer's address.
fn request(builder: axum::http::request::Builder, body: Body) -> Request<Body> {
    let mut request = builder.body(body).expect("request");
    let peer: SocketAddr = "127.0.0.1:50000".parse().expect("address");
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

async fn text(response: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

#[tokio::test]
async fn healthz_answers_ok_with_the_security_headers() {
    let server = in_process().await;
    let response = server.send(Request::get("/healthz"), Body::empty()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
    assert_eq!(text(response).await, "ok");
}

#[tokio::test]
async fn a_foreign_host_and_a_cross_site_write_are_refused_before_any_handler() {
    let server = in_process().await;
    let rebinding = server
        .app
        .clone()
        .oneshot(request(
            Request::get("/healthz").header(header::HOST, "evil.example"),
            Body::empty(),
        ))
        .await
        .expect("response");
    assert_eq!(rebinding.status(), StatusCode::MISDIRECTED_REQUEST);
    let origin = [("origin", "https://evil.example")];
    let form = [("username", "a"), ("password", "b")];
    let cross_site = server.post_form("/api/sign_in", &form, &origin).await;
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert!(
        text(cross_site)
            .await
            .contains("Cross-site request refused")
    );
}
