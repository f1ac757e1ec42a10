//! One file per subcommand, each with its arguments (clap) and its `run`; `cli` puts them
//! together. Every command that needs the store opens it through `with_store`, which closes it
//! whatever the command's work returned.

pub mod errors;
pub mod open_store;
pub mod scenario;
pub mod secret;
pub mod serve;
pub mod service_account;
pub mod user;

use store::SecretStore;

use crate::cli::StoreArgs;
use crate::master_key::KeySource;

/// Opens the store for one command, runs `work` with it, then closes it (committing queued
/// audit records and checkpointing the WAL), also when `work` failed.
pub async fn with_store<T>(
    args: &StoreArgs,
    work: impl AsyncFnOnce(&SecretStore) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let (store, source) = open_store::open(args).await?;
    announce(&source);
    let result = work(&store).await;
    store.close().await;
    result
}

/// Says where the master key came from: in the log when the command logs (`serve`); otherwise
/// only a newly generated key is worth a line on the terminal.
fn announce(source: &KeySource) {
    if tracing::dispatcher::has_been_set() {
        source.log();
    } else if let KeySource::Generated(path) = source {
        eprintln!(
            "Generated a new master key in {}; back it up: without it the secrets cannot be read.",
            path.display()
        );
    }
}
