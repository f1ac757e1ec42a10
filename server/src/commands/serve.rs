//! `strongroom serve`: open the store, build the router, listen until Ctrl+C or SIGTERM.

use anyhow::Context;
use app::auth::AuthConfig;
use axum_server::tls_rustls::RustlsConfig;
use clap::Args;
use leptos::config::{Env, LeptosOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use store::{SecretStore, SessionLimits};
use tracing_subscriber::EnvFilter;

use super::scenario::ScenarioArgs;
use super::with_store;
use crate::cli::{EnvOnly, StoreArgs};
use crate::http::listener::{self, ListenerConfig};
use crate::http::request_guard::GuardConfig;
use crate::http::request_limits::RequestLimits;
use crate::http::trusted_proxy::TrustedProxies;
use crate::http::{self, HttpConfig};

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address and port to listen on. Use 0.0.0.0:3000 to accept other machines, ideally with
    /// --tls-cert or behind an HTTPS reverse proxy.
    #[arg(long, env = "STRONGROOM_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Directory with the built panel assets (the `pkg/` folder made by `cargo leptos build`).
    #[arg(long, env = "STRONGROOM_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// TLS certificate chain (PEM) for built-in HTTPS; needs --tls-key. Without it the server
    /// speaks plain HTTP, which is meant for loopback.
    #[arg(long, env = "STRONGROOM_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// TLS private key (PEM) matching --tls-cert.
    #[arg(long, env = "STRONGROOM_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Mark cookies `Secure` with the `__Host-` prefix. On by itself with --tls-cert; set it
    /// when an HTTPS reverse proxy serves the panel.
    #[arg(long, env = "STRONGROOM_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// The reverse proxies whose X-Forwarded-For is believed: a comma-separated list of
    /// addresses or CIDR ranges (for example `127.0.0.1/32,10.0.0.0/8`). A request from one of
    /// them gets its client address (for the audit log and sign-in throttling) from
    /// X-Forwarded-For, read from the right past these proxies; from any other peer the header
    /// is ignored. On a loopback listener, requests from them may carry any Host.
    #[arg(long, env = "STRONGROOM_TRUSTED_PROXY", value_delimiter = ',', value_parser = crate::http::trusted_proxy::parse_range)]
    pub trusted_proxy: Vec<ipnet::IpNet>,

    /// Replaced by --trusted-proxy. Still parsed only to refuse it: it trusted X-Forwarded-For
    /// from any peer, and silently dropping it would change whose address is audited.
    #[arg(long, env = "STRONGROOM_TRUST_PROXY", hide = true)]
    pub trust_proxy: bool,

    #[command(flatten)]
    pub http: HttpLimitArgs,

    /// A session unused for this many seconds ends.
    #[arg(long, env = "STRONGROOM_SESSION_IDLE_SECS", default_value_t = 1800, value_parser = clap::value_parser!(i64).range(60..))]
    pub session_idle_secs: i64,

    /// No session lasts longer than this many seconds, used or not.
    #[arg(long, env = "STRONGROOM_SESSION_LIFETIME_SECS", default_value_t = 43200, value_parser = clap::value_parser!(i64).range(60..))]
    pub session_lifetime_secs: i64,

    /// Revealing or copying a value needs the password typed within this many seconds.
    #[arg(long, env = "STRONGROOM_STEP_UP_SECS", default_value_t = 300, value_parser = clap::value_parser!(i64).range(1..=3600))]
    pub step_up_secs: i64,

    #[command(flatten)]
    pub scenarios: ScenarioArgs,

    /// STRONGROOM_ADMIN_USER: with the password, the Owner to create at start when no user
    /// exists (for automation).
    #[arg(long = "admin-user", env = "STRONGROOM_ADMIN_USER", hide = true, value_parser = crate::cli::env_only)]
    pub admin_user: Option<EnvOnly>,

    /// STRONGROOM_ADMIN_PASSWORD: that Owner's password.
    #[arg(long = "admin-password", env = "STRONGROOM_ADMIN_PASSWORD", hide = true, hide_env_values = true, value_parser = crate::cli::env_only)]
    pub admin_password: Option<EnvOnly>,

    /// Log filter, in tracing's EnvFilter syntax (for example `info` or `strongroom=debug`).
    #[arg(long, env = "STRONGROOM_LOG", default_value = "info")]
    pub log: String,

    #[command(flatten)]
    pub store: StoreArgs,
}

impl ServeArgs {
    /// Refuses combinations no single option's parser can see, naming the option to change.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.trust_proxy,
            "--trust-proxy / STRONGROOM_TRUST_PROXY is gone: it believed X-Forwarded-For from any \
             peer. List the reverse proxies' addresses instead, for example \
             --trusted-proxy 127.0.0.1/32 (STRONGROOM_TRUSTED_PROXY)"
        );
        let (request, scenario) = (self.http.request_timeout_secs, self.scenarios.timeout_secs);
        anyhow::ensure!(
            request > scenario,
            "STRONGROOM_REQUEST_TIMEOUT_SECS / --request-timeout-secs ({request}) must be longer \
             than STRONGROOM_SCENARIO_TIMEOUT_SECS / --scenario-timeout-secs ({scenario}): a \
             scenario run from the panel is one request. Raise the first or lower the second"
        );
        // A sign-in cut off by the request timeout while it queues for argon2 would keep its
        // counted attempt; one that waits out the queue gets 503 and its attempt back.
        let queue = store::PASSWORD_QUEUE_TIMEOUT.as_secs();
        anyhow::ensure!(
            request > queue,
            "STRONGROOM_REQUEST_TIMEOUT_SECS / --request-timeout-secs ({request}) must be longer \
             than the {queue} s a sign-in may wait for its password check"
        );
        Ok(())
    }
}

/// How long and how much one connection or request may take, so that strangers cannot hold
/// the listener open (slow or idle connections, endless uploads).
#[derive(Args, Debug, Clone)]
pub struct HttpLimitArgs {
    /// A connection must send a complete request header within this many seconds: from
    /// connecting (or the end of its previous response) to the blank line. Slow and idle
    /// connections are closed; it also bounds the TLS handshake.
    #[arg(long, env = "STRONGROOM_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout_secs: u64,

    /// A request must be answered within this many seconds, reading its body included
    /// (otherwise 408). A response the client stops reading for this long is cut off too.
    /// Must be longer than --scenario-timeout-secs.
    #[arg(long, env = "STRONGROOM_REQUEST_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(2..=7200))]
    pub request_timeout_secs: u64,

    /// At most this many connections at once; a connection beyond it is closed at once.
    /// Default: 1024, or fewer if the open-file limit (`ulimit -n`) leaves too little room.
    #[arg(long, env = "STRONGROOM_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: Option<u32>,

    /// The largest request body accepted, in bytes, on every route (larger: 413). At least
    /// 2 MiB, which the panel's largest request needs (a scenario of 256 K characters).
    #[arg(long, env = "STRONGROOM_MAX_BODY_BYTES", default_value_t = 4 * MIB, value_parser = clap::value_parser!(u64).range(MIN_BODY_BYTES..=1024 * MIB))]
    pub max_body_bytes: u64,
}

pub(crate) const MIB: u64 = 1024 * 1024;
/// A scenario's code is up to 256 K characters; as JSON, escapes make that up to ~1.5 MiB.
const MIN_BODY_BYTES: u64 = 2 * MIB;

/// How requests are handled, from the command line.
fn http_config(args: &ServeArgs) -> anyhow::Result<HttpConfig> {
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

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(&args.log)?;
    args.validate()?;
    let config = http_config(&args)?;
    let listener_config = ListenerConfig::new(
        Duration::from_secs(args.http.header_timeout_secs),
        Duration::from_secs(args.http.request_timeout_secs),
        args.http.max_connections,
    )?;
    with_store(&args.store, async |store| {
        let options = LeptosOptions::builder()
            .output_name("strongroom")
            .site_root(args.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .env(Env::PROD)
            .site_addr(args.listen)
            .hash_files(asset_names_are_hashed())
            .build();
        check_assets(&options);
        first_user(store, &args).await?;
        let session_limits = config.auth.limits;
        let app = http::router(options, store.clone(), config)
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
        // After the bind: a start that fails leaves no cleanup racing the store's close.
        spawn_session_cleanup(store.clone(), session_limits);
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
        listener::serve(socket, tls, listener_config, app, shutdown_signal()).await
    })
    .await?;
    tracing::info!("Strongroom stopped");
    Ok(())
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
    let user = EnvOnly::get(&args.admin_user);
    let password = EnvOnly::get(&args.admin_password);
    match (user, password) {
        (Some(user), Some(password)) => {
            let created = store
                .create_first_owner(user, password)
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
