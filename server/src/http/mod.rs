//! The HTTP surface: the router and the layers every request passes, outermost first:
//! panics caught, response bodies boxed and compressed, security headers, the request
//! timeout, the cross-site and Host guard, the body limit, the session layer; then the
//! Management API (`platform_api`), the panel's pages and server functions, and the assets.
//! `listener` accepts the connections (header timeout, connection cap, TLS).

pub mod listener;
pub mod request_guard;
pub mod request_limits;
pub mod security_headers;
pub mod session_layer;
pub mod trusted_proxy;

use app::auth::AuthConfig;
use app::{App, shell};
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Router, middleware};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use scenario::ScenarioRunner;
use store::SecretStore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::map_response_body::MapResponseBodyLayer;

use crate::platform_api;
use request_guard::GuardConfig;
use request_limits::RequestLimits;
use security_headers::HeaderConfig;
use session_layer::SessionState;
use trusted_proxy::TrustedProxies;

/// Everything about how requests are handled (`serve` builds it from the command line).
#[derive(Clone)]
pub struct HttpConfig {
    pub guard: GuardConfig,
    pub auth: AuthConfig,
    pub proxies: TrustedProxies,
    pub https: bool,
    pub scenarios: scenario::Limits,
    pub limits: RequestLimits,
}

/// The whole HTTP surface, apart from the listener that feeds it connections.
pub fn router(options: LeptosOptions, store: SecretStore, config: HttpConfig) -> Router {
    let routes = generate_route_list(App);
    let sessions = SessionState {
        store: store.clone(),
        config: config.auth,
        proxies: config.proxies,
    };
    let auth = config.auth;
    // One run per core at a time: each holds a thread for up to the time limit.
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let mut runner = ScenarioRunner::new(store.clone(), config.scenarios, cores);
    // Each run in its own process, killed at the deadline (see `scenario::worker`).
    match std::env::current_exe() {
        Ok(program) => runner = runner.with_worker(program),
        Err(e) => {
            tracing::warn!(error = %e, "cannot locate the server binary: scenario runs will be refused")
        }
    }
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(platform_api::router(store.clone()))
        .leptos_routes_with_context(
            &options,
            routes,
            move || {
                provide_context(store.clone());
                provide_context(auth);
                provide_context(runner.clone());
            },
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        // Outermost last: the guard refuses foreign requests before anything but the clock runs.
        .layer(middleware::from_fn_with_state(
            sessions,
            session_layer::layer,
        ))
        // A body too large reaches no handler and no database query. Extractors (the server
        // functions') get the same limit instead of axum's own 2 MiB.
        .layer(DefaultBodyLimit::max(config.limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            config.limits,
            request_limits::body_limit,
        ))
        .layer(middleware::from_fn_with_state(
            config.guard,
            request_guard::guard,
        ))
        // The clock covers everything below, reading the body included.
        .layer(middleware::from_fn_with_state(
            config.limits,
            request_limits::timeout,
        ))
        .layer(middleware::from_fn_with_state(
            HeaderConfig {
                https: config.https,
            },
            security_headers::layer,
        ))
        // Pages and JSON are compressed on the fly (br or gzip, as the client accepts); the
        // assets are served from their precompressed .br/.gz copies and pass through as they are.
        .layer(CompressionLayer::new())
        // The compressing body type is ~6 KB (every encoder's state inline); boxing it at once
        // saves copying that much at each layer the response passes on its way out.
        .layer(MapResponseBodyLayer::new(Body::new))
        // A bug must cost one request a 500, never the connection or the process.
        .layer(CatchPanicLayer::custom(panic_response))
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    tracing::error!("a request handler panicked; see the panic message above");
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "Internal server error; the server log has the details.",
    )
        .into_response()
}
