//! The command line and its environment variables: one definition, which is also `--help`.
//! The README's configuration table lists the same options.

use anyhow::Context;
use app::store::SqliteConnectOptions;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Parser, Debug)]
#[command(
    name = "strongroom",
    version,
    about = "Strongroom: a self-hosted secret store with a web control panel.",
    long_about = "Strongroom keeps passwords, API keys and tokens for your applications, encrypted \
                  with AES-256-GCM in a SQLite database, and serves a web control panel to manage \
                  them.\n\nWith no command, `strongroom` runs `serve`.",
    args_conflicts_with_subcommands = true,
    after_help = "Environment:\n  STRONGROOM_MASTER_KEY  The 32-byte master key in base64 (for example from \
                  `openssl rand -base64 32`).\n                         Takes precedence over --master-key-file; \
                  never pass it as a flag."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the control panel (the default command).
    Serve(ServeArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address and port to listen on. The panel has no sign-in yet: keep it on loopback.
    #[arg(long, env = "STRONGROOM_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Directory with the built panel assets (the `pkg/` folder made by `cargo leptos build`).
    #[arg(long, env = "STRONGROOM_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Log filter, in tracing's EnvFilter syntax (for example `info` or `strongroom=debug`).
    #[arg(long, env = "STRONGROOM_LOG", default_value = "info")]
    pub log: String,

    #[command(flatten)]
    pub store: StoreArgs,
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
}

impl StoreArgs {
    /// The database to open. The default is built from the path, not a URL string, so a data
    /// directory whose name contains `?` or `#` still means that directory.
    pub fn database(&self) -> anyhow::Result<SqliteConnectOptions> {
        match &self.database_url {
            Some(url) => SqliteConnectOptions::from_str(url).with_context(|| {
                format!(
                    "STRONGROOM_DATABASE_URL / --database-url {url:?} is not a valid SQLite URL"
                )
            }),
            None => Ok(SqliteConnectOptions::new().filename(self.data_dir.join("strongroom.db"))),
        }
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
            database.get_filename(),
            PathBuf::from("./data/strongroom.db")
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
            database.get_filename(),
            PathBuf::from("/srv/a?b#c/strongroom.db")
        );
    }

    #[test]
    fn bad_listen_address_is_refused_by_name() {
        let err = Cli::try_parse_from(["strongroom", "serve", "--listen", "nowhere"]).unwrap_err();
        assert!(err.to_string().contains("--listen"), "{err}");
    }
}
