//! `strongroom user list | create | reset-password`: user management from the machine the data
//! lives on, for automation and for when no Owner can sign in. Passwords come from standard
//! input, so they stay out of `ps` and shell history.

use anyhow::{Context, bail};
use std::io::BufRead;
use store::Actor;

use clap::Subcommand;
use shared::model::Role;

use super::with_store;
use crate::cli::{StoreArgs, parse_role};

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

pub async fn run(command: UserCommand) -> anyhow::Result<()> {
    let cli = Actor::system("cli");
    match command {
        UserCommand::List { store } => {
            let users = with_store(&store, async |store| {
                store.list_users().await.context("cannot list the users")
            })
            .await?;
            if users.is_empty() {
                println!(
                    "No users yet. Start the server for a setup code, or: strongroom user create NAME --role Owner"
                );
                return Ok(());
            }
            println!(
                "{:<32}  {:<9}  {:<8}  CREATED (UTC)",
                "USERNAME", "ROLE", "STATUS"
            );
            for user in users {
                let status = if user.disabled { "disabled" } else { "active" };
                println!(
                    "{:<32}  {:<9}  {:<8}  {}",
                    user.username, user.role, status, user.created
                );
            }
            Ok(())
        }
        UserCommand::Create {
            username,
            role,
            store,
        } => {
            let password = read_password()?;
            let user = with_store(&store, async |store| {
                store
                    .create_user(&cli, &username, &password, role)
                    .await
                    .with_context(|| format!("cannot create the user {username:?}"))
            })
            .await?;
            eprintln!("Created {} with role {}.", user.username, user.role);
            Ok(())
        }
        UserCommand::ResetPassword { username, store } => {
            let password = read_password()?;
            with_store(&store, async |store| {
                let reset = async {
                    let id = store
                        .find_user(&username)
                        .await?
                        .ok_or(store::StoreError::UserNotFound)?;
                    store.reset_password(&cli, id, &password).await
                };
                reset
                    .await
                    .with_context(|| format!("cannot reset the password of {username:?}"))
            })
            .await?;
            eprintln!("Set a new password for {username}; their sessions have ended.");
            Ok(())
        }
    }
}

/// One line from standard input, without its line ending.
fn read_password() -> anyhow::Result<zeroize::Zeroizing<String>> {
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let trimmed = line.trim_end_matches(['\r', '\n']).to_owned();
    if trimmed.is_empty() {
        bail!(
            "no password on standard input: pipe one line, for example printf '%s\\n' \"$PASSWORD\" | strongroom user ..."
        );
    }
    Ok(zeroize::Zeroizing::new(trimmed))
}
