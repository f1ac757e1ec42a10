//! `strongroom service-account create | list | revoke`: the command-line twin of the panel's
//! Service accounts page. Works on the database directly, also while a server is running. It
//! acts as the machine's operator (whoever can run it holds the database and the master key):
//! its keys belong to no user, so they work until revoked, and it may revoke any key.

use anyhow::Context;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use store::Actor;

use crate::cli::{ServiceAccountCommand, StoreArgs};
use crate::master_key::KeySource;

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
            let store = open(&store).await?;
            let result = store
                .create_service_account(&Actor::system("cli"), role, &description)
                .await;
            store.close().await;
            let (listed, credentials) = match result {
                Ok(created) => created,
                Err(err) => {
                    if let Some(path) = &out {
                        let _ = std::fs::remove_file(path);
                    }
                    return Err(err).context("cannot create the service account");
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
            let store = open(&store).await?;
            let keys = store.list_service_accounts().await;
            store.close().await;
            let keys = keys.context("cannot list the service accounts")?;
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
            let store = open(&store).await?;
            let result = store
                .revoke_service_account(&Actor::system("cli"), &key_id)
                .await;
            store.close().await;
            result.with_context(|| format!("cannot revoke {key_id:?}"))?;
            eprintln!("Revoked key {key_id}; requests signed with it now fail.");
            Ok(())
        }
    }
}

pub async fn open(args: &StoreArgs) -> anyhow::Result<store::SecretStore> {
    let (store, source) = crate::open_store::open(args).await?;
    if let KeySource::Generated(path) = source {
        eprintln!(
            "Generated a new master key in {}; back it up: without it the secrets cannot be read.",
            path.display()
        );
    }
    Ok(store)
}
