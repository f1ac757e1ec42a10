//! The command line and its environment variables: one definition, which is also `--help`.
//! The README's configuration table lists the same options.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use shared::model::{Account, Role};
use shared::validation::check_application_name;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "strongroom",
    version,
    about = "Strongroom: a self-hosted secret store with a web control panel.",
    long_about = "Strongroom keeps passwords, API keys and tokens for your applications, encrypted \
                  with AES-256-GCM in a SQLite database, and serves a web control panel to manage \
                  them.\n\nWith no command, `strongroom` runs `serve`.",
    args_conflicts_with_subcommands = true,
    after_help = "Environment:\n  STRONGROOM_MASTER_KEY      The 32-byte master key in base64 (for example \
                  from `openssl rand -base64 32`).\n                             Takes precedence over \
                  --master-key-file; never pass it as a flag.\n  STRONGROOM_ADMIN_USER      With \
                  STRONGROOM_ADMIN_PASSWORD: create this Owner at start-up when no user exists\n  \
                  STRONGROOM_ADMIN_PASSWORD  (for automation; otherwise the log shows a one-time setup code)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the control panel and the Management API (the default command).
    Serve(ServeArgs),
    /// Create, list and revoke service-account keys for the Management API.
    #[command(subcommand)]
    ServiceAccount(ServiceAccountCommand),
    /// List panel users, add one, or reset a password (for when no Owner can sign in).
    #[command(subcommand)]
    User(UserCommand),
    /// Run an application's scenario here and print its log (exit status says how it ended).
    #[command(subcommand)]
    Scenario(ScenarioCommand),
    /// Import secrets into an application from a file (all or nothing).
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Internal: runs one scenario for a server or `scenario run`, speaking JSON lines on
    /// standard input and output.
    #[command(name = "scenario-worker", hide = true)]
    ScenarioWorker,
}

#[derive(Subcommand, Debug)]
pub enum ScenarioCommand {
    /// Run a saved scenario and print its log lines (UTC times) to standard output.
    #[command(after_help = "Exit status:\n  \
        0  the scenario called VoxEngine.terminate(), or ended with nothing left to run\n  \
        1  it could not run (no such application or scenario, unreadable data)\n  \
        3  an error: in the script (the message names the line), or a failed secret read\n  \
        4  the time limit stopped it\n  \
        5  the 16 MB memory limit stopped it\n\n\
        Example:\n  strongroom scenario run calls greeter --timeout-secs 5\n\n\
        Secret reads are audited as the command line (source scenario, with the scenario's name), \
        and the run is kept with the scenario's latest runs in the panel.")]
    Run {
        /// The application's short name (`calls`), full name, or id.
        application: String,
        /// The scenario's name.
        scenario: String,
        #[command(flatten)]
        limits: ScenarioArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List an application's scenarios with their latest run.
    List {
        /// The application's short name, full name, or id.
        application: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum SecretCommand {
    /// Create many secrets in one transaction, from JSON lines: one object per line with
    /// "name", "value" and optionally "description". Nothing is created if any line is invalid
    /// or names a secret that exists.
    #[command(after_help = "Example:\n  \
        printf '%s\\n' '{\"name\":\"sip_password\",\"value\":\"s3cr3t\"}' \\\n    \
        | strongroom secret import calls\n\n\
        Each created secret gets an audit record (secret.create, detail import) naming the command line.")]
    Import {
        /// The application's short name (`calls`), full name, or id.
        application: String,
        /// The JSON-lines file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// How long a scenario may run, and how many runs one person may have going; the panel's runs
/// and the command line's share them.
#[derive(Args, Debug, Clone)]
pub struct ScenarioArgs {
    /// A scenario run is stopped after this many seconds (wall clock).
    #[arg(long = "scenario-timeout-secs", alias = "timeout-secs", env = "STRONGROOM_SCENARIO_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout_secs: u64,
    /// At most this many scenario runs by one person at once; more are refused (429). Default:
    /// half the run slots (one per core), at least 1.
    #[arg(long = "scenario-runs-per-user", env = "STRONGROOM_SCENARIO_RUNS_PER_USER", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub runs_per_user: Option<u64>,
}

impl ScenarioArgs {
    pub fn limits(&self) -> scenario::Limits {
        scenario::Limits {
            wall_clock: std::time::Duration::from_secs(self.timeout_secs),
            runs_per_user: self
                .runs_per_user
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            ..scenario::Limits::default()
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// List the users: name, role, status, created.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Add a user. The password is read from standard input (one line), never from a flag.
    #[command(
        after_help = "Example:\n  printf '%s\\n' \"$PASSWORD\" | strongroom user create alice --role Owner"
    )]
    Create {
        username: String,
        /// Owner, Admin, Developer or Viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set a user's password (read from standard input, one line) and end their sessions.
    ResetPassword {
        username: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum ServiceAccountCommand {
    /// Make a new key pair and write its credentials.json (the private key exists only there).
    #[command(
        after_help = "Example:\n  strongroom service-account create --role Owner --out credentials.json\n\n\
        Use the file with the official Voximplant API clients, pointed at this server."
    )]
    Create {
        /// What the key may do: Owner, Admin or Developer may call every method; Viewer may only
        /// list applications and secrets.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Where to write credentials.json (created with mode 0600; never overwritten). Without
        /// it the file goes to standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// A note saying who or what uses the key (up to 200 characters).
        #[arg(long, default_value = "")]
        description: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the keys: id, role, created and last used (UTC).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a key; requests signed with it fail from now on, also on a running server.
    Revoke {
        /// The key id, as `list` shows it.
        key_id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

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
    #[arg(long, env = "STRONGROOM_TRUSTED_PROXY", value_delimiter = ',', value_parser = crate::trusted_proxy::parse_range)]
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

const MIB: u64 = 1024 * 1024;
/// A scenario's code is up to 256 K characters; as JSON, escapes make that up to ~1.5 MiB.
const MIN_BODY_BYTES: u64 = 2 * MIB;

/// Where the data lives: every command that opens the store takes these.
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// Directory for the SQLite database and the generated master-key file; created if missing.
    #[arg(long, env = "STRONGROOM_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Database URL. Default: `sqlite://<data-dir>/strongroom.db`.
    #[arg(long, env = "STRONGROOM_DATABASE_URL")]
    pub database_url: Option<String>,

    /// File holding the base64 master key; generated (mode 0600) on first start if missing and
    /// STRONGROOM_MASTER_KEY is not set. Default: `<data-dir>/master.key`.
    #[arg(long, env = "STRONGROOM_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,

    /// The account id the Management API expects in `account_id` and in a JWT's `iss`.
    #[arg(long, env = "STRONGROOM_ACCOUNT_ID", default_value_t = 1)]
    pub account_id: i64,

    /// The account name in full application names (`<app>.<account-name>.strongroom`).
    #[arg(long, env = "STRONGROOM_ACCOUNT_NAME", default_value = "default")]
    pub account_name: String,

    /// The e-mail written into credentials.json as `account_email`.
    #[arg(
        long,
        env = "STRONGROOM_ACCOUNT_EMAIL",
        default_value = "owner@strongroom.local"
    )]
    pub account_email: String,
}

impl StoreArgs {
    /// The database to open. The default is built from the path, not a URL string, so a data
    /// directory whose name contains `?` or `#` still means that directory.
    pub fn database(&self) -> anyhow::Result<store::Database> {
        match &self.database_url {
            Some(url) => {
                store::Database::from_url(url).context("STRONGROOM_DATABASE_URL / --database-url")
            }
            None => Ok(store::Database::file(self.data_dir.join("strongroom.db"))),
        }
    }

    /// The account, with its name checked by the application-name rules (it is part of every
    /// full application name).
    pub fn account(&self) -> anyhow::Result<Account> {
        check_application_name(&self.account_name).map_err(|m| {
            anyhow::anyhow!(
                "STRONGROOM_ACCOUNT_NAME / --account-name {:?} is not usable: {m}",
                self.account_name
            )
        })?;
        anyhow::ensure!(
            self.account_id >= 1,
            "STRONGROOM_ACCOUNT_ID / --account-id must be a positive whole number"
        );
        Ok(Account {
            id: self.account_id,
            name: self.account_name.clone(),
            email: self.account_email.clone(),
        })
    }

    pub fn master_key_file(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn no_command_means_serve_with_defaults() {
        let cli = Cli::try_parse_from(["strongroom"]).unwrap();
        assert!(cli.command.is_none());
        let database = cli.serve.store.database().unwrap();
        assert_eq!(
            database.file_path(),
            Some(PathBuf::from("./data/strongroom.db").as_path())
        );
        assert_eq!(
            cli.serve.store.master_key_file(),
            PathBuf::from("./data/master.key")
        );
    }

    #[test]
    fn odd_characters_in_the_data_dir_are_part_of_the_path() {
        let cli = Cli::try_parse_from(["strongroom", "--data-dir", "/srv/a?b#c"]).unwrap();
        let database = cli.serve.store.database().unwrap();
        assert_eq!(
            database.file_path(),
            Some(PathBuf::from("/srv/a?b#c/strongroom.db").as_path())
        );
    }

    #[test]
    fn user_commands_take_no_password_flag() {
        let cli = Cli::try_parse_from(["strongroom", "user", "create", "alice", "--role", "owner"])
            .unwrap();
        let Some(Command::User(UserCommand::Create { username, role, .. })) = cli.command else {
            panic!("parsed as something else");
        };
        assert_eq!((username.as_str(), role), ("alice", Role::Owner));
        let err = Cli::try_parse_from(["strongroom", "user", "create", "a", "--password", "x"])
            .unwrap_err();
        assert!(err.to_string().contains("--password"), "{err}");
        assert!(Cli::try_parse_from(["strongroom", "user", "reset-password", "alice"]).is_ok());
    }

    #[test]
    fn tls_needs_both_files() {
        let err = Cli::try_parse_from(["strongroom", "serve", "--tls-cert", "c.pem"]).unwrap_err();
        assert!(err.to_string().contains("--tls-key"), "{err}");
        let cli = Cli::try_parse_from(["strongroom", "--tls-cert", "c.pem", "--tls-key", "k.pem"])
            .unwrap();
        assert_eq!(cli.serve.tls_key, Some(PathBuf::from("k.pem")));
    }

    #[test]
    fn service_account_create_takes_role_and_out() {
        let cli = Cli::try_parse_from([
            "strongroom",
            "service-account",
            "create",
            "--role",
            "viewer",
            "--out",
            "c.json",
            "--data-dir",
            "/tmp/x",
        ])
        .unwrap();
        let Some(Command::ServiceAccount(ServiceAccountCommand::Create {
            role, out, store, ..
        })) = cli.command
        else {
            panic!("parsed as something else");
        };
        assert_eq!(role, Role::Viewer);
        assert_eq!(out, Some(PathBuf::from("c.json")));
        assert_eq!(store.data_dir, PathBuf::from("/tmp/x"));
        let err =
            Cli::try_parse_from(["strongroom", "service-account", "create", "--role", "boss"])
                .unwrap_err();
        assert!(err.to_string().contains("unknown role"), "{err}");
    }

    #[test]
    fn account_name_follows_the_application_name_rules() {
        let cli = Cli::try_parse_from(["strongroom", "--account-name", "Acme Corp"]).unwrap();
        let err = cli.serve.store.account().unwrap_err();
        assert!(err.to_string().contains("--account-name"), "{err}");
        let cli = Cli::try_parse_from(["strongroom"]).unwrap();
        assert_eq!(cli.serve.store.account().unwrap(), Account::default());
    }

    #[test]
    fn scenario_run_takes_application_scenario_and_a_timeout() {
        let cli = Cli::try_parse_from([
            "strongroom",
            "scenario",
            "run",
            "calls",
            "greeter",
            "--timeout-secs",
            "3",
        ])
        .unwrap();
        let Some(Command::Scenario(ScenarioCommand::Run {
            application,
            scenario,
            limits,
            ..
        })) = cli.command
        else {
            panic!("parsed as something else");
        };
        assert_eq!(
            (application.as_str(), scenario.as_str()),
            ("calls", "greeter")
        );
        assert_eq!(limits.limits().wall_clock.as_secs(), 3);
        let err = Cli::try_parse_from([
            "strongroom",
            "scenario",
            "run",
            "calls",
            "g",
            "--timeout-secs",
            "0",
        ])
        .unwrap_err();
        assert!(err.to_string().contains("timeout"), "{err}");
        let cli = Cli::try_parse_from(["strongroom"]).unwrap();
        assert_eq!(cli.serve.scenarios.limits().wall_clock.as_secs(), 10);
    }

    #[test]
    fn http_limits_have_defaults_and_refuse_zero() {
        let cli = Cli::try_parse_from(["strongroom"]).unwrap();
        let http = &cli.serve.http;
        assert_eq!(
            (
                http.header_timeout_secs,
                http.request_timeout_secs,
                http.max_connections,
                http.max_body_bytes
            ),
            (10, 60, None, 4 * MIB)
        );
        assert!(cli.serve.validate().is_ok());
        for (flag, bad) in [
            ("--header-timeout-secs", "0"),
            ("--request-timeout-secs", "0"),
            ("--max-connections", "0"),
            ("--max-body-bytes", "1000"),
            ("--max-body-bytes", "99999999999"),
        ] {
            let err = Cli::try_parse_from(["strongroom", flag, bad]).unwrap_err();
            assert!(err.to_string().contains(flag), "{flag} {bad}: {err}");
        }
    }

    #[test]
    fn a_request_must_outlast_a_scenario_run() {
        let cli = Cli::try_parse_from([
            "strongroom",
            "--scenario-timeout-secs",
            "60",
            "--request-timeout-secs",
            "60",
        ])
        .unwrap();
        let err = cli.serve.validate().unwrap_err().to_string();
        assert!(
            err.contains("--request-timeout-secs (60)") && err.contains("--scenario-timeout-secs"),
            "{err}"
        );
    }

    #[test]
    fn a_request_must_outlast_the_password_queue() {
        let cli = Cli::try_parse_from([
            "strongroom",
            "--scenario-timeout-secs",
            "1",
            "--request-timeout-secs",
            "5",
        ])
        .unwrap();
        let err = cli.serve.validate().unwrap_err().to_string();
        assert!(
            err.contains("--request-timeout-secs (5)") && err.contains("password check"),
            "{err}"
        );
    }

    #[test]
    fn trusted_proxies_are_a_list_and_trust_proxy_is_refused() {
        let cli = Cli::try_parse_from(["strongroom", "--trusted-proxy", "127.0.0.1/32,10.0.0.1"])
            .unwrap();
        let list: Vec<String> = cli
            .serve
            .trusted_proxy
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(list, ["127.0.0.1/32", "10.0.0.1/32"]);
        assert!(cli.serve.validate().is_ok());
        let err =
            Cli::try_parse_from(["strongroom", "--trusted-proxy", "proxy.local"]).unwrap_err();
        assert!(
            err.to_string().contains("not an address or a CIDR range"),
            "{err}"
        );
        let cli = Cli::try_parse_from(["strongroom", "--trust-proxy"]).unwrap();
        let err = cli.serve.validate().unwrap_err().to_string();
        assert!(err.contains("--trusted-proxy 127.0.0.1/32"), "{err}");
    }

    #[test]
    fn in_memory_databases_are_recognised() {
        let memory =
            Cli::try_parse_from(["strongroom", "--database-url", "sqlite::memory:"]).unwrap();
        let database = memory.serve.store.database().unwrap();
        assert_eq!(database.file_path(), None);
        let file =
            Cli::try_parse_from(["strongroom", "--database-url", "sqlite:///srv/s.db"]).unwrap();
        let database = file.serve.store.database().unwrap();
        assert_eq!(
            database.file_path(),
            Some(PathBuf::from("/srv/s.db").as_path())
        );
    }

    #[test]
    fn bad_listen_address_is_refused_by_name() {
        let err = Cli::try_parse_from(["strongroom", "serve", "--listen", "nowhere"]).unwrap_err();
        assert!(err.to_string().contains("--listen"), "{err}");
    }
}
