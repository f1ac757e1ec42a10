//! `strongroom serve`: open the store, build the router, listen until Ctrl+C or SIGTERM.

use anyhow::Context;
use app::auth::AuthConfig;
use app::{App, shell};
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Router, middleware};
use axum_server::tls_rustls::RustlsConfig;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use scenario::ScenarioRunner;
use std::time::Duration;
use store::{SecretStore, SessionLimits};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::map_response_body::MapResponseBodyLayer;
use tracing_subscriber::EnvFilter;

use crate::cli::ServeArgs;
use crate::listener::{self, ListenerConfig};
use crate::platform_api;
use crate::request_guard::{self, GuardConfig};
use crate::request_limits::{self, RequestLimits};
use crate::security_headers::{self, HeaderConfig};
use crate::session_layer::{self, SessionState};
use crate::trusted_proxy::TrustedProxies;

/// Everything about how requests are handled, from the command line.
#[derive(Clone)]
pub struct HttpConfig {
    pub guard: GuardConfig,
    pub auth: AuthConfig,
    pub proxies: TrustedProxies,
    pub https: bool,
    pub scenarios: scenario::Limits,
    pub limits: RequestLimits,
}

impl HttpConfig {
    fn from_args(args: &ServeArgs) -> anyhow::Result<Self> {
        let https = args.tls_cert.is_some();
        let proxies = TrustedProxies::new(&args.trusted_proxy);
        Ok(HttpConfig {
            // The loopback-only Host check (against DNS rebinding) is for a browser on this
            // machine; a trusted reverse proxy decides which host names reach us.
            guard: GuardConfig {
                loopback_only: args.listen.ip().is_loopback(),
                proxies: proxies.clone(),
            },
            auth: AuthConfig {
                limits: SessionLimits {
                    idle_secs: args.session_idle_secs,
                    lifetime_secs: args.session_lifetime_secs,
                },
                step_up_secs: args.step_up_secs,
                secure_cookies: https || args.secure_cookies,
                ..AuthConfig::default()
            },
            proxies,
            https,
            scenarios: args.scenarios.limits(),
            limits: RequestLimits {
                timeout: Duration::from_secs(args.http.request_timeout_secs),
                max_body_bytes: usize::try_from(args.http.max_body_bytes)
                    .context("--max-body-bytes is too large for this machine")?,
            },
        })
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(&args.log)?;
    args.validate()?;
    let config = HttpConfig::from_args(&args)?;
    let listener_config = ListenerConfig::from_args(&args.http)?;
    let (store, key_source) = crate::open_store::open(&args.store).await?;
    key_source.log();
    let options = LeptosOptions::builder()
        .output_name("strongroom")
        .site_root(args.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .env(Env::PROD)
        .site_addr(args.listen)
        .hash_files(asset_names_are_hashed())
        .build();
    check_assets(&options);
    first_user(&store, &args).await?;
    spawn_session_cleanup(store.clone(), config.auth.limits);
    let app = router(options, store.clone(), config)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();

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
    let socket = std::net::TcpListener::bind(args.listen).with_context(|| {
        format!(
            "cannot listen on {} (STRONGROOM_LISTEN / --listen)",
            args.listen
        )
    })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(
        "Strongroom is serving the control panel at {scheme}://{0} and the Management API at \
         {scheme}://{0}/platform_api",
        args.listen
    );
    if tls.is_none() && !args.listen.ip().is_loopback() {
        tracing::warn!(
            "Listening on {} over plain HTTP: passwords and values cross the network unencrypted. \
             Use --tls-cert/--tls-key, or an HTTPS reverse proxy with --secure-cookies.",
            args.listen
        );
    }
    listener::serve(socket, tls, listener_config, app, shutdown_signal()).await?;
    store.close().await;
    tracing::info!("Strongroom stopped");
    Ok(())
}

/// The whole HTTP surface; separate from `run` so tests can drive it without a socket.
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

/// Warns at start when the page would link assets that `--site-root` does not hold (a binary
/// moved away from its `hash.txt`, or a site root from another build): the panel would not load.
fn check_assets(options: &LeptosOptions) {
    let pkg = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let hashes = std::env::current_exe()
        .ok()
        .and_then(|exe| std::fs::read_to_string(exe.with_file_name("hash.txt")).ok())
        .filter(|_| options.hash_files);
    let hash_of = |kind: &str| {
        hashes.as_deref().and_then(|text| {
            text.lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(k, _)| k.trim() == kind)
                .map(|(_, v)| format!(".{}", v.trim()))
        })
    };
    let missing: Vec<String> = ["js", "wasm", "css"]
        .iter()
        .map(|kind| {
            format!(
                "{}{}.{kind}",
                options.output_name,
                hash_of(kind).unwrap_or_default()
            )
        })
        .filter(|name| !pkg.join(name).is_file())
        .collect();
    if !missing.is_empty() {
        tracing::warn!(
            "The panel's assets {} are not in {}: pages will not load their code. Run `make build` \
             and serve with the binary it built, or point --site-root at that build's target/site.",
            missing.join(", "),
            pkg.display()
        );
    }
}

/// True when the release build left `hash.txt` (the content-hashed asset names) next to this
/// binary, where Leptos looks for it. A test or debug binary has none and links the plain names.
fn asset_names_are_hashed() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").is_file()))
        .unwrap_or(false)
}

/// Makes sure someone can sign in: the Owner from STRONGROOM_ADMIN_USER and
/// STRONGROOM_ADMIN_PASSWORD, or else (while no user exists) a one-time setup code in the log.
async fn first_user(store: &SecretStore, args: &ServeArgs) -> anyhow::Result<()> {
    let user = std::env::var("STRONGROOM_ADMIN_USER").ok();
    let password = std::env::var("STRONGROOM_ADMIN_PASSWORD").ok();
    match (user, password) {
        (Some(user), Some(password)) => {
            let created = store
                .create_first_owner(&user, &password)
                .await
                .with_context(|| {
                    "cannot create the Owner from STRONGROOM_ADMIN_USER and \
                     STRONGROOM_ADMIN_PASSWORD"
                })?;
            if created {
                tracing::info!("Created the Owner {user:?} from STRONGROOM_ADMIN_USER");
            } else {
                tracing::info!(
                    "Users exist already: STRONGROOM_ADMIN_USER and STRONGROOM_ADMIN_PASSWORD are \
                     ignored"
                );
            }
        }
        (Some(_), None) | (None, Some(_)) => anyhow::bail!(
            "set both STRONGROOM_ADMIN_USER and STRONGROOM_ADMIN_PASSWORD, or neither"
        ),
        (None, None) => {
            if let Some(code) = store.issue_setup_code().await? {
                let scheme = if args.tls_cert.is_some() {
                    "https"
                } else {
                    "http"
                };
                tracing::warn!(
                    "No user exists yet. Open {scheme}://{}/setup and enter this one-time setup \
                     code to create the first Owner: {}",
                    args.listen,
                    code.expose()
                );
            }
        }
    }
    Ok(())
}

/// Expired sessions are refused anyway; deleting them now and then keeps the table small.
fn spawn_session_cleanup(store: SecretStore, limits: SessionLimits) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(e) = store.delete_expired_sessions(limits).await {
                tracing::warn!(error = %e, "cannot delete expired sessions");
            }
        }
    });
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
