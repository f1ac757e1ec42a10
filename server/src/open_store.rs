//! Opening the secret store from the command line's settings: the data directory, the master
//! key (from the environment, the key file, or generated) and the account. Shared by `serve`
//! and the `service-account` commands.

use anyhow::Context;
use app::store::{OpenError, SecretStore};
use std::os::unix::fs::DirBuilderExt;

use crate::cli::StoreArgs;
use crate::master_key::{self, KeySource};

impl KeySource {
    /// Says where the master key came from, in the server log.
    pub fn log(&self) {
        match self {
            KeySource::Environment => {
                tracing::info!("using the master key from {}", master_key::ENV_VAR)
            }
            KeySource::File(path) => {
                tracing::info!(file = %path.display(), "using the master key file")
            }
            KeySource::Generated(path) => tracing::info!(
                file = %path.display(),
                "generated a new master key; back it up: without it the secrets cannot be read"
            ),
        }
    }
}

pub async fn open(args: &StoreArgs) -> anyhow::Result<(SecretStore, KeySource)> {
    let data_dir = &args.data_dir;
    // 0700: the database holds names and descriptions in plaintext, and the key file sits beside it.
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let account = args.account()?;
    let key_file = args.master_key_file();
    let env_key = std::env::var(master_key::ENV_VAR)
        .ok()
        .filter(|v| !v.is_empty());
    let (key, source) = master_key::load(env_key, &key_file)?;
    let database = args.database()?;
    let location = database.get_filename().display().to_string();
    match SecretStore::open_with(database, key).await {
        Ok(store) => {
            tracing::info!(database = %location, "database ready");
            Ok((store.with_account(account), source))
        }
        Err(err) => {
            if let KeySource::Generated(path) = &source {
                // Nothing was sealed with a key made at this start: don't leave it behind to be
                // mistaken for the real one at the next start.
                let _ = std::fs::remove_file(path);
                if let OpenError::WrongMasterKey = err {
                    return Err(anyhow::anyhow!(
                        "the database {location} already holds secrets, but its master key file \
                         {} is missing. Restore that file (or set STRONGROOM_MASTER_KEY) and start \
                         again",
                        path.display()
                    ));
                }
            }
            Err(err).context("cannot open the secret store")
        }
    }
}

/// An application named on the command line: by short name, full name, or id.
pub async fn find_application(
    store: &SecretStore,
    name: &str,
) -> anyhow::Result<app::model::ApplicationId> {
    use app::model::ApplicationId;
    let short = store.account().short_application_name(name);
    if let Some(id) = store.find_application(short).await? {
        return Ok(id);
    }
    if let Ok(id) = name.parse::<i64>()
        && store.get_application(ApplicationId(id)).await.is_ok()
    {
        return Ok(ApplicationId(id));
    }
    anyhow::bail!("no application is named {name:?}")
}
