//! The secret store: the one service that owns storage and encryption. The panel's server
//! functions and the Management API both call it; nothing else touches the database or the
//! cipher. Every rule of `validation` is enforced here, whichever door a request came through.

mod access;
mod applications;
mod audit;
mod audit_queue;
mod backend;
pub mod crypto;
mod error;
mod passwords;
/// How long a sign-in waits for an argon2 turn before it is answered 503.
pub use passwords::DEFAULT_QUEUE_TIMEOUT as PASSWORD_QUEUE_TIMEOUT;
mod read_cache;
mod scenarios;
mod secret_import;
mod secrets;
mod sessions;
mod sign_in;
#[cfg(test)]
mod tests;
mod throttle;
mod users;

pub use access::VerifyingKey;
pub use applications::{ApplicationFilter, Selection};
pub use audit::{Actor, ActorKind, Event, Target};
pub use backend::Database;
pub use crypto::{MasterKey, SecretValue};
pub use error::{DatabaseError, KeyAction, MigrationError, OpenError, StoreError, fault_reference};
pub use scenarios::NewRun;
pub use secrets::{
    ApplicationRef, NewSecret, ReadPurpose, SecretChanges, SecretFilter, SecretRead, SecretRef,
};
pub use sessions::{NewSession, Session, SessionLimits};
pub use sign_in::SignedIn;
pub use throttle::Throttle;

use std::sync::Arc;
use std::time::Duration;

use shared::model::{Account, Timestamp};

const KEY_CHECK_SETTING: &str = "master_key_check";

/// Cheap to clone: one shared `StoreParts`. (One reference count, not one per part: every request
/// clones the store, on every core, and each count is a cache line the cores pass around.)
#[derive(Clone, Debug)]
pub struct SecretStore(Arc<StoreParts>);

#[derive(Clone, Debug)]
pub struct StoreParts {
    pool: backend::Pool,
    master: Arc<MasterKey>,
    account: Arc<Account>,
    /// Where value reads leave their audit records (group commit).
    reads: audit_queue::AuditQueue,
    /// What cached GetSecretValue reads need; checked at each read's audit commit.
    cache: Arc<read_cache::ReadCache>,
    /// Every argon2 hash and check waits here for a core.
    passwords: Arc<passwords::PasswordGate>,
}

/// The store's methods read its parts as `self.pool`, `self.master` and so on.
impl std::ops::Deref for SecretStore {
    type Target = StoreParts;

    fn deref(&self) -> &StoreParts {
        &self.0
    }
}

impl SecretStore {
    /// Opens (creating if needed) the database at `database_url`; see `open_database`.
    pub async fn open(database_url: &str, master: MasterKey) -> Result<Self, OpenError> {
        Self::open_database(&Database::from_url(database_url)?, master).await
    }

    /// Opens the database, proves that `master` is the key it was created with, and only then
    /// applies migrations: a wrong key changes nothing.
    pub async fn open_database(database: &Database, master: MasterKey) -> Result<Self, OpenError> {
        let pool = backend::connect(database).await?;
        let cache = Arc::new(read_cache::ReadCache::default());
        let store = SecretStore(Arc::new(StoreParts {
            reads: audit_queue::AuditQueue::start(pool.clone(), cache.clone()),
            cache,
            pool,
            master: Arc::new(master),
            account: Arc::new(Account::default()),
            passwords: Arc::new(passwords::PasswordGate::per_core()),
        }));
        let existing_check = store.stored_key_check().await;
        if let Some(stored) = &existing_check {
            store
                .master
                .verify_key_check(stored)
                .map_err(|_| OpenError::WrongMasterKey)?;
        }
        backend::MIGRATOR.run(&store.pool).await?;
        if existing_check.is_none() {
            store.record_key_check().await?;
        }
        Ok(store)
    }

    /// The key-check value, or `None` for a new database (no `settings` table or no row yet).
    async fn stored_key_check(&self) -> Option<Vec<u8>> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(KEY_CHECK_SETTING)
            .fetch_optional(&self.pool)
            .await
            .ok()
            .flatten()
    }

    /// First start: store a value sealed with the master key. If another replica got there
    /// first, its value wins and must open with our key too.
    async fn record_key_check(&self) -> Result<(), OpenError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(KEY_CHECK_SETTING)
        .bind(self.master.key_check()?)
        .execute(&self.pool)
        .await?;
        let stored = self
            .stored_key_check()
            .await
            .ok_or(OpenError::WrongMasterKey)?;
        self.master
            .verify_key_check(&stored)
            .map_err(|_| OpenError::WrongMasterKey)
    }

    /// Names the account this server is (its id, name and e-mail appear in credentials files
    /// and full application names).
    pub fn with_account(self, account: Account) -> Self {
        SecretStore(Arc::new(StoreParts {
            account: Arc::new(account),
            ..StoreParts::clone(&self.0)
        }))
    }

    /// At most `at_once` password hashes run together (default: one per core); a check that
    /// waited `queue_timeout` for its turn fails with `StoreError::Busy`.
    pub fn with_password_queue(self, at_once: usize, queue_timeout: Duration) -> Self {
        SecretStore(Arc::new(StoreParts {
            passwords: Arc::new(passwords::PasswordGate::new(at_once, queue_timeout)),
            ..StoreParts::clone(&self.0)
        }))
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    /// A transaction that holds the write lock from its first statement, for work that reads
    /// before it writes.
    async fn write_transaction(&self) -> Result<backend::Tx, sqlx::Error> {
        backend::begin_write(&self.pool).await
    }

    /// Commits the audit records still queued, then closes every connection, which checkpoints
    /// the WAL, so a restart or a file copy sees everything.
    pub async fn close(&self) {
        self.reads.close().await;
        self.pool.close().await;
    }
}

fn now() -> Timestamp {
    Timestamp(chrono::Utc::now().timestamp())
}

/// A role as stored in `table`; anything else means the database was edited by hand.
fn parse_role(stored: &str, table: &str) -> Result<shared::model::Role, StoreError> {
    stored
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown role {stored:?} in {table}")))
}

/// True when a database error is a UNIQUE constraint violation (a duplicate name).
fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

/// A `LIKE` pattern for a case-insensitive substring: `%` and `_` in a user's filter match
/// themselves, not any character. `None` when the filter is longer than any name, so it can
/// match nothing (and SQLite refuses very long patterns).
fn like_pattern(part: Option<&str>) -> Option<String> {
    let part = part.unwrap_or("");
    if part.chars().count() > shared::validation::NAME_MAX_CHARS {
        return None;
    }
    let escaped = part
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Some(format!("%{escaped}%"))
}
