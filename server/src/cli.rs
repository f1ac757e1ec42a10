//! The command line and its environment variables: one definition, which is also `--help`.
//! Each subcommand's own arguments live with it in `commands/`; here are the top level and
//! what every command that opens the store takes. The README's configuration table lists the
//! same options.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use shared::model::{Account, Role};
use shared::validation::check_application_name;
use std::path::PathBuf;

use crate::commands::scenario::ScenarioCommand;
use crate::commands::secret::SecretCommand;
use crate::commands::serve::ServeArgs;
use crate::commands::service_account::ServiceAccountCommand;
use crate::commands::user::UserCommand;

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
    Serve(Box<ServeArgs>),
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

pub fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

/// A value read only from the environment: secrets never travel as flags (a flag shows in
/// `ps` and shell history). Each is a hidden option so that clap reads its variable with the
/// rest of the configuration, and `refuse_env_only_flags` refuses it on the command line.
/// `Debug` shows nothing of it, and this copy is wiped when dropped (clap's parsed matches keep
/// their own while `main` runs, as the process environment does).
#[derive(Clone)]
pub struct EnvOnly(zeroize::Zeroizing<String>);

impl EnvOnly {
    /// The value; `None` for an empty variable, which counts as unset.
    pub fn get(this: &Option<EnvOnly>) -> Option<&str> {
        this.as_ref()
            .map(|v| v.0.as_str())
            .filter(|v| !v.is_empty())
    }
}

impl std::fmt::Debug for EnvOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnvOnly(..)")
    }
}

pub fn env_only(value: &str) -> Result<EnvOnly, String> {
    Ok(EnvOnly(zeroize::Zeroizing::new(value.to_owned())))
}

/// The clap ids of the `EnvOnly` options, with the variable each is read from.
const ENV_ONLY: [(&str, &str); 3] = [
    ("master_key", "STRONGROOM_MASTER_KEY"),
    ("admin_user", "STRONGROOM_ADMIN_USER"),
    ("admin_password", "STRONGROOM_ADMIN_PASSWORD"),
];

/// Refuses an environment-only option given as a flag, in any subcommand, naming its
/// variable.
pub fn refuse_env_only_flags(matches: &clap::ArgMatches) -> anyhow::Result<()> {
    for id in matches.ids() {
        let Some((_, var)) = ENV_ONLY.iter().find(|(name, _)| id == *name) else {
            continue;
        };
        if matches.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine) {
            anyhow::bail!(
                "{var} is read from the environment only: a flag would show the value in `ps` \
                 and shell history. Set {var} instead"
            );
        }
    }
    match matches.subcommand() {
        Some((_, sub)) => refuse_env_only_flags(sub),
        None => Ok(()),
    }
}

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

    /// STRONGROOM_MASTER_KEY: the master key itself (base64); wins over the key file.
    #[arg(long = "master-key", env = "STRONGROOM_MASTER_KEY", hide = true, hide_env_values = true, value_parser = env_only)]
    pub master_key: Option<EnvOnly>,

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
    use crate::commands::serve::MIB;
    use clap::CommandFactory;

    #[test]
    fn secrets_given_as_flags_are_refused_naming_their_variable() {
        for (args, var) in [
            (
                vec!["strongroom", "--master-key", "a2V5"],
                "STRONGROOM_MASTER_KEY",
            ),
            (
                vec!["strongroom", "serve", "--admin-password", "pw"],
                "STRONGROOM_ADMIN_PASSWORD",
            ),
            (
                vec!["strongroom", "serve", "--admin-user", "ada"],
                "STRONGROOM_ADMIN_USER",
            ),
            (
                vec!["strongroom", "user", "list", "--master-key", "a2V5"],
                "STRONGROOM_MASTER_KEY",
            ),
        ] {
            let matches = Cli::command().try_get_matches_from(&args).unwrap();
            let err = refuse_env_only_flags(&matches).unwrap_err().to_string();
            assert!(
                err.contains(var) && err.contains("environment only"),
                "{args:?}: {err}"
            );
        }
        let plain = Cli::command()
            .try_get_matches_from(["strongroom", "user", "list"])
            .unwrap();
        refuse_env_only_flags(&plain).unwrap();
    }

    #[test]
    fn env_only_values_never_show_in_debug_output() {
        let value = Some(env_only("c2VjcmV0LWtleQ==").unwrap());
        assert_eq!(format!("{value:?}"), "Some(EnvOnly(..))");
        assert_eq!(EnvOnly::get(&value), Some("c2VjcmV0LWtleQ=="));
        assert_eq!(EnvOnly::get(&Some(env_only("").unwrap())), None);
    }

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
