//! `strongroom serve`: open the store, build the router, listen until Ctrl+C or SIGTERM.

use anyhow::Context;
use app::store::{OpenError, SecretStore};
use app::{App, shell};
use axum::routing::get;
use axum::{Router, middleware};
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::os::unix::fs::DirBuilderExt;
use tracing_subscriber::EnvFilter;

use crate::cli::ServeArgs;
use crate::master_key::{self, KeySource};
use crate::request_guard::{self, GuardConfig};

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(&args.log)?;
    let store = open_store(&args).await?;
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

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (STRONGROOM_LISTEN / --listen)",
                args.listen
            )
        })?;
    tracing::info!(
        "Strongroom is serving the control panel at http://{}",
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
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server stopped with an error")?;
    store.close().await;
    tracing::info!("Strongroom stopped");
    Ok(())
}

/// The whole HTTP surface; separate from `run` so tests can drive it without a socket.
pub fn router(options: LeptosOptions, store: SecretStore, guard: GuardConfig) -> Router {
    let routes = generate_route_list(App);
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .leptos_routes_with_context(&options, routes, move || provide_context(store.clone()), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .layer(middleware::from_fn_with_state(guard, request_guard::guard))
}

async fn open_store(args: &ServeArgs) -> anyhow::Result<SecretStore> {
    let data_dir = &args.store.data_dir;
    // 0700: the database holds names and descriptions in plaintext, and the key file sits beside it.
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let key_file = args.store.master_key_file();
    let env_key = std::env::var(master_key::ENV_VAR)
        .ok()
        .filter(|v| !v.is_empty());
    let (key, source) = master_key::load(env_key, &key_file)?;
    match &source {
        KeySource::Environment => {
            tracing::info!("using the master key from {}", master_key::ENV_VAR)
        }
        KeySource::File(path) => {
            tracing::info!(file = %path.display(), "using the master key file")
        }
        KeySource::Generated(path) => tracing::info!(
            file = %path.display(),
            "generated a new master key; back it up: without it the secrets cannot be read"
        ),
    }
    let database = args.store.database()?;
    let location = database.get_filename().display().to_string();
    match SecretStore::open_with(database, key).await {
        Ok(store) => {
            tracing::info!(database = %location, "database ready");
            Ok(store)
        }
        Err(err) => {
            if let KeySource::Generated(path) = &source {
                // Nothing was sealed with a key made at this start: don't leave it behind to be
                // mistaken for the real one at the next start.
                let _ = std::fs::remove_file(path);
                if let OpenError::WrongMasterKey = err {
                    return Err(anyhow::anyhow!(
                        "the database {location} already holds secrets, but its master key file \
                         {} is missing. Restore that file (or set STRONGROOM_MASTER_KEY) and start \
                         again",
                        path.display()
                    ));
                }
            }
            Err(err).context("cannot open the secret store")
        }
    }
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
