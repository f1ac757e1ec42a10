//! The secret store: the one service that owns storage and encryption. The panel's server
//! functions and the Management API both call it; nothing else touches the database or the
//! cipher. Every rule of `validation` is enforced here, whichever door a request came through.

mod applications;
pub mod crypto;
mod error;
mod secrets;
#[cfg(test)]
mod tests;

pub use crypto::{MasterKey, SecretValue};
pub use error::{OpenError, StoreError};
pub use secrets::{NewSecret, SecretChanges, SecretFilter};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::model::Timestamp;

const KEY_CHECK_SETTING: &str = "master_key_check";

/// Cheap to clone: a connection pool and the master key, both shared.
#[derive(Clone, Debug)]
pub struct SecretStore {
    pool: SqlitePool,
    master: Arc<MasterKey>,
}

impl SecretStore {
    /// Opens (creating if needed) the database, applies migrations, and proves that `master` is
    /// the key this database was created with before anything else can happen.
    pub async fn open(database_url: &str, master: MasterKey) -> Result<Self, OpenError> {
        let options = SqliteConnectOptions::from_str(database_url)
            .map_err(|source| OpenError::BadUrl {
                url: database_url.to_owned(),
                source,
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|source| OpenError::Connect {
                url: database_url.to_owned(),
                source,
            })?;
        sqlx::migrate!("../migrations").run(&pool).await?;
        let store = SecretStore {
            pool,
            master: Arc::new(master),
        };
        store.check_master_key().await?;
        Ok(store)
    }

    /// The first start stores a value sealed with the master key; every later start must open it.
    async fn check_master_key(&self) -> Result<(), OpenError> {
        let check = self.master.key_check()?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(KEY_CHECK_SETTING)
        .bind(check)
        .execute(&self.pool)
        .await?;
        let stored: Vec<u8> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(KEY_CHECK_SETTING)
            .fetch_one(&self.pool)
            .await?;
        self.master
            .verify_key_check(&stored)
            .map_err(|_| OpenError::WrongMasterKey)
    }

    /// Closes the pool, checkpointing the WAL, so a restart or a file copy sees everything.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn now() -> Timestamp {
    Timestamp(chrono::Utc::now().timestamp())
}

/// True when a database error is a UNIQUE constraint violation (a duplicate name).
fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}
