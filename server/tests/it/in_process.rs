//! The fast tier: the server's router driven in this process (`tower::ServiceExt::oneshot`),
//! with a real store on a temporary SQLite file but no socket, no child process and no
//! restart. For request-level behaviour only; what needs a listener, a signal, TLS or a
//! restart stays in the real-process tests beside this file.

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

struct InProcess {
    app: Router,
    _dir: tempfile::TempDir,
}

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
        app: router(options, store, config),
        _dir: dir,
    }
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
    let response = server
        .app
        .oneshot(request(
            Request::get("/healthz").header(header::HOST, "127.0.0.1:3000"),
            Body::empty(),
        ))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
    assert_eq!(text(response).await, "ok");
}

#[tokio::test]
async fn the_management_api_refuses_a_call_without_credentials() {
    let server = in_process().await;
    let response = server
        .app
        .oneshot(request(
            Request::post("/platform_api")
                .header(header::HOST, "127.0.0.1:3000")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from("cmd=GetApplications"),
        ))
        .await
        .expect("response");
    // API errors are HTTP 200 with an error body, as the official clients expect.
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = serde_json::from_str(&text(response).await).expect("json");
    assert_eq!(body["error"]["code"], 100, "{body}");
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
    let cross_site = server
        .app
        .oneshot(request(
            Request::post("/api/sign_in")
                .header(header::HOST, "127.0.0.1:3000")
                .header(header::ORIGIN, "https://evil.example")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from("username=a&password=b"),
        ))
        .await
        .expect("response");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert!(
        text(cross_site)
            .await
            .contains("Cross-site request refused")
    );
}
