//! Opening the secret store from the command line's settings: the data directory, the master
//! key (from the environment, the key file, or generated) and the account. Commands reach it
//! through `with_store`, which also closes the store.

use anyhow::Context;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use store::{OpenError, SecretStore};

use crate::cli::{EnvOnly, StoreArgs};
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
    let env_key = EnvOnly::get(&args.master_key).map(str::to_owned);
    let (key, source) = master_key::load(env_key, &key_file)?;
    let database = args.database()?;
    let location = database.to_string();
    if let Some(file) = database.file_path() {
        make_private(file)?;
    }
    match SecretStore::open_database(&database, key).await {
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

/// The database and its `-wal` and `-shm` hold names, descriptions and sealed values: owner
/// only (0600), wherever `--database-url` puts them. SQLite creates the `-wal` and `-shm` with
/// the main file's mode, so creating that file 0600 here covers them; files that exist already
/// (from an older version, a copy, a crash) are tightened.
fn make_private(database: &Path) -> anyhow::Result<()> {
    // An empty file is what SQLite takes for a new, empty database.
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(database);
    match created {
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(e).with_context(|| {
                format!("cannot create the database file {}", database.display())
            });
        }
    }
    for path in [
        database.to_owned(),
        with_suffix(database, "-wal"),
        with_suffix(database, "-shm"),
    ] {
        tighten(&path);
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Takes the group's and others' permissions away from `path`, if it exists and has any.
fn tighten(path: &Path) {
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    let mode = metadata.permissions().mode() & 0o777;
    if !metadata.is_file() || mode & 0o077 == 0 {
        return;
    }
    let private = mode & 0o700;
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(private)) {
        Ok(()) => tracing::warn!(
            file = %path.display(),
            "the database file was readable by others (mode {mode:04o}); it is now {private:04o}"
        ),
        Err(e) => tracing::warn!(
            file = %path.display(),
            error = %e,
            "the database file is readable by others (mode {mode:04o}) and cannot be changed: \
             make the user running Strongroom its owner, or run chmod 600 on it"
        ),
    }
}

/// An application named on the command line: by short name, full name, or id (a name wins
/// over an id that reads the same; names cannot start with a digit today, but may one day).
pub async fn find_application(
    store: &SecretStore,
    name: &str,
) -> anyhow::Result<shared::model::ApplicationId> {
    use shared::model::ApplicationId;
    use store::{ApplicationRef, StoreError};
    let by_id = name.parse::<i64>().ok().map(ApplicationId);
    let tries = std::iter::once(ApplicationRef::Name(name)).chain(by_id.map(ApplicationRef::Id));
    for which in tries {
        match store.find_application(which).await {
            Err(StoreError::ApplicationNotFound) => {}
            found => return Ok(found?),
        }
    }
    anyhow::bail!("no application is named {name:?}")
}
