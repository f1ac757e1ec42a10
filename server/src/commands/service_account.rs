//! `strongroom service-account create | list | revoke`: the command-line twin of the panel's
//! Service accounts page. Works on the database directly, also while a server is running. It
//! acts as the machine's operator (whoever can run it holds the database and the master key):
//! its keys belong to no user, so they work until revoked, and it may revoke any key.

use anyhow::Context;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use store::Actor;

use clap::Subcommand;
use shared::model::Role;
use std::path::PathBuf;

use super::with_store;
use crate::cli::{StoreArgs, parse_role};

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

pub async fn run(command: ServiceAccountCommand) -> anyhow::Result<()> {
    match command {
        ServiceAccountCommand::Create {
            role,
            out,
            description,
            store,
        } => {
            // Refuse before making a key that could not be written.
            let mut file = match &out {
                Some(path) => Some(
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o600)
                        .open(path)
                        .with_context(|| {
                            format!(
                                "cannot create {} (an existing file is never overwritten)",
                                path.display()
                            )
                        })?,
                ),
                None => None,
            };
            let result = with_store(&store, async |store| {
                store
                    .create_service_account(&Actor::system("cli"), role, &description)
                    .await
                    .context("cannot create the service account")
            })
            .await;
            let (listed, credentials) = match result {
                Ok(created) => created,
                Err(err) => {
                    // Also when the store could not be opened: no empty file is left behind.
                    if let Some(path) = &out {
                        let _ = std::fs::remove_file(path);
                    }
                    return Err(err);
                }
            };
            let json = serde_json::to_string_pretty(&credentials)? + "\n";
            match (&mut file, &out) {
                (Some(file), Some(path)) => {
                    file.write_all(json.as_bytes())?;
                    file.sync_all()?;
                    eprintln!(
                        "Created key {} with role {}; its credentials are in {} (keep that file \
                         secret: the server does not keep the private key).",
                        listed.key_id,
                        listed.role,
                        path.display()
                    );
                }
                _ => print!("{json}"),
            }
            Ok(())
        }
        ServiceAccountCommand::List { store } => {
            let keys = with_store(&store, async |store| {
                store
                    .list_service_accounts()
                    .await
                    .context("cannot list the service accounts")
            })
            .await?;
            if keys.is_empty() {
                println!(
                    "No service-account keys yet. Make one with: strongroom service-account create --role Owner --out credentials.json"
                );
                return Ok(());
            }
            println!(
                "{:<36}  {:<9}  {:<19}  {:<19}  {:<24}  DESCRIPTION",
                "KEY ID", "ROLE", "CREATED (UTC)", "LAST USED (UTC)", "MADE BY"
            );
            for key in keys {
                let last_used = key
                    .last_used
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "never".into());
                let made_by = match (&key.creator, key.stopped) {
                    (None, _) => key.maker().to_lowercase(),
                    (Some(user), None) => user.clone(),
                    (Some(user), Some(_)) => format!("{user} (STOPPED)"),
                };
                println!(
                    "{:<36}  {:<9}  {:<19}  {:<19}  {:<24}  {}",
                    key.key_id, key.role, key.created, last_used, made_by, key.description
                );
            }
            Ok(())
        }
        ServiceAccountCommand::Revoke { key_id, store } => {
            with_store(&store, async |store| {
                store
                    .revoke_service_account(&Actor::system("cli"), &key_id)
                    .await
                    .with_context(|| format!("cannot revoke {key_id:?}"))
            })
            .await?;
            eprintln!("Revoked key {key_id}; requests signed with it now fail.");
            Ok(())
        }
    }
}
