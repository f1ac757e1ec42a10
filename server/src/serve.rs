//! `strongroom serve`: open the store, build the router, listen until Ctrl+C or SIGTERM.

use anyhow::Context;
use app::store::SecretStore;
use app::{App, shell};
use axum::routing::get;
use axum::{Router, middleware};
use axum_server::tls_rustls::RustlsConfig;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tracing_subscriber::EnvFilter;

use crate::cli::ServeArgs;
use crate::platform_api;
use crate::request_guard::{self, GuardConfig};

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(&args.log)?;
    let (store, key_source) = crate::open_store::open(&args.store).await?;
    key_source.log();
    let options = LeptosOptions::builder()
        .output_name("strongroom")
        .site_root(args.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .env(Env::PROD)
        .site_addr(args.listen)
        .build();
    let guard = GuardConfig {
        loopback_only: args.listen.ip().is_loopback(),
    };
    let app = router(options, store.clone(), guard);

    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(
            RustlsConfig::from_pem_file(cert, key)
                .await
                .with_context(|| {
                    format!(
                        "cannot load the TLS certificate {} and key {} (--tls-cert, --tls-key): \
                         both must be PEM files",
                        cert.display(),
                        key.display()
                    )
                })?,
        ),
        _ => None,
    };
    let listener = std::net::TcpListener::bind(args.listen).with_context(|| {
        format!(
            "cannot listen on {} (STRONGROOM_LISTEN / --listen)",
            args.listen
        )
    })?;
    listener.set_nonblocking(true)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(
        "Strongroom is serving the control panel at {scheme}://{0} and the Management API at \
         {scheme}://{0}/platform_api",
        args.listen
    );
    if args.listen.ip().is_loopback() {
        tracing::warn!(
            "The panel has no sign-in yet: anyone who can connect to {} can read and change every \
             secret. It listens on loopback only, so that means this machine's users.",
            args.listen
        );
    } else {
        tracing::warn!(
            "The panel has no sign-in yet and listens on {}, which is not loopback: anyone who can \
             reach this address can change every secret. Use --listen 127.0.0.1:3000 unless this \
             network is private to you.",
            args.listen
        );
    }
    match tls {
        Some(config) => {
            let handle = axum_server::Handle::new();
            tokio::spawn({
                let handle = handle.clone();
                async move {
                    shutdown_signal().await;
                    handle.graceful_shutdown(Some(Duration::from_secs(10)));
                }
            });
            axum_server::from_tcp_rustls(listener, config)?
                .handle(handle)
                .serve(app.into_make_service())
                .await
                .context("the server stopped with an error")?;
        }
        None => {
            axum::serve(tokio::net::TcpListener::from_std(listener)?, app)
                .with_graceful_shutdown(shutdown_signal())
                .await
                .context("the server stopped with an error")?;
        }
    }
    store.close().await;
    tracing::info!("Strongroom stopped");
    Ok(())
}

/// The whole HTTP surface; separate from `run` so tests can drive it without a socket.
pub fn router(options: LeptosOptions, store: SecretStore, guard: GuardConfig) -> Router {
    let routes = generate_route_list(App);
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(platform_api::router(store.clone()))
        .leptos_routes_with_context(&options, routes, move || provide_context(store.clone()), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .layer(middleware::from_fn_with_state(guard, request_guard::guard))
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

fn init_logging(filter: &str) -> anyhow::Result<()> {
    let filter = EnvFilter::try_new(filter)
        .with_context(|| format!("STRONGROOM_LOG / --log {filter:?} is not a valid log filter"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
