//! `strongroom user list | create | reset-password`: user management from the machine the data
//! lives on, for automation and for when no Owner can sign in. Passwords come from standard
//! input, so they stay out of `ps` and shell history.

use anyhow::{Context, bail};
use std::io::BufRead;
use store::Actor;

use crate::cli::UserCommand;
use crate::service_account::open;

pub async fn run(command: UserCommand) -> anyhow::Result<()> {
    let cli = Actor::system("cli");
    match command {
        UserCommand::List { store } => {
            let store = open(&store).await?;
            let users = store.list_users().await;
            store.close().await;
            let users = users.context("cannot list the users")?;
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
            let store = open(&store).await?;
            let result = store.create_user(&cli, &username, &password, role).await;
            store.close().await;
            let user = result.with_context(|| format!("cannot create the user {username:?}"))?;
            eprintln!("Created {} with role {}.", user.username, user.role);
            Ok(())
        }
        UserCommand::ResetPassword { username, store } => {
            let password = read_password()?;
            let store = open(&store).await?;
            let result = async {
                let id = store
                    .find_user(&username)
                    .await?
                    .ok_or(store::StoreError::UserNotFound)?;
                store.reset_password(&cli, id, &password).await
            }
            .await;
            store.close().await;
            result.with_context(|| format!("cannot reset the password of {username:?}"))?;
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
