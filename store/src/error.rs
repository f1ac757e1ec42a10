//! What can go wrong in the store. The variants carry data (names, ids, roles, seconds), not
//! sentences: each door words its own messages (the panel in `app/src/server_fns/errors.rs`,
//! the Management API in `server/src/platform_api/error.rs`, the command line in
//! `server/src/commands/errors.rs`). `Display` is a terse statement for the server log.
//! Database and crypto causes are for that log only.

use super::crypto::CryptoError;
use shared::model::{Field, Role};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A rule of `shared::validation` refused the input; `message` is that rule's own wording,
    /// the same words the browser shows before sending.
    #[error("invalid {field:?}: {message}")]
    Invalid { field: Field, message: String },
    #[error("duplicate application name {0:?}")]
    DuplicateApplication(String),
    #[error("duplicate secret name {0:?}")]
    DuplicateSecret(String),
    #[error("duplicate scenario name {0:?}")]
    DuplicateScenario(String),
    #[error("no such scenario")]
    ScenarioNotFound,
    #[error("no such application")]
    ApplicationNotFound,
    #[error("no such secret")]
    SecretNotFound,
    #[error("nothing to change")]
    NothingToChange,
    /// Like `ApplicationNotFound`, for a caller that must name which id it sent.
    #[error("unknown application id {0}")]
    ApplicationIdUnknown(i64),
    #[error("unknown application name {0:?}")]
    ApplicationNameUnknown(String),
    #[error("unknown secret id {0}")]
    SecretIdUnknown(i64),
    #[error("unknown secret name {0:?}")]
    SecretNameUnknown(String),
    #[error("unknown service-account key {0:?}")]
    ServiceAccountNotFound(String),
    /// No one makes or revokes a key above their own role.
    #[error("role {own} may not {action} a {key} key")]
    KeyRoleAboveOwn {
        own: Role,
        key: Role,
        action: KeyAction,
    },
    #[error("duplicate username {0:?}")]
    DuplicateUser(String),
    #[error("no such user")]
    UserNotFound,
    /// The change would leave no enabled Owner.
    #[error("last enabled owner")]
    LastOwner,
    #[error("wrong current password")]
    WrongPassword,
    /// A sign-in with a wrong username or password (which of the two is not said).
    #[error("sign-in failed")]
    SignInFailed,
    /// Too many failed attempts lately: refused without checking the password.
    #[error("throttled for {retry_after_secs} s")]
    Throttled { retry_after_secs: i64 },
    /// Every core is busy checking passwords and the queue wait ran out: nothing was checked.
    #[error("password checks busy")]
    Busy,
    #[error("wrong or used setup code")]
    WrongSetupCode,
    #[error("already set up")]
    AlreadySetUp,
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] DatabaseError),
    #[error("crypto error: {0}")]
    Crypto(#[from] CryptoError),
}

/// A failure of the database itself, opaque to the doors: they log it and report a fault. It
/// prints the driver's own words, and keeps the driver's type out of the store's API.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DatabaseError(sqlx::Error);

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        StoreError::Database(DatabaseError(err))
    }
}

impl From<sqlx::Error> for OpenError {
    fn from(err: sqlx::Error) -> Self {
        OpenError::Database(DatabaseError(err))
    }
}

impl From<sqlx::migrate::MigrateError> for OpenError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        OpenError::Migrate(MigrationError(err))
    }
}

/// Migrations that could not be applied (the driver's words), opaque like `DatabaseError`.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct MigrationError(sqlx::migrate::MigrateError);

impl From<sqlx::Error> for DatabaseError {
    fn from(err: sqlx::Error) -> Self {
        DatabaseError(err)
    }
}

/// What a caller tried to do with a service-account key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    Make,
    Revoke,
}

impl std::fmt::Display for KeyAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyAction::Make => "make",
            KeyAction::Revoke => "revoke",
        })
    }
}

impl StoreError {
    pub(crate) fn invalid(field: Field, message: String) -> Self {
        StoreError::Invalid { field, message }
    }
}

/// A fresh id for a server fault: the door shows it, the log holds it with the cause, so one
/// failure can be found without the cause reaching the caller. Time-based (seconds and
/// nanoseconds, hex): unique enough for that, and it sorts like the log.
pub fn fault_reference() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{:x}{:08x}", now.as_secs(), now.subsec_nanos())
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    // The cause is `source`: printed by the caller's error chain, not repeated here.
    #[error("{url:?} is not a valid SQLite URL")]
    BadUrl { url: String, source: DatabaseError },
    #[error("cannot open the database {url}")]
    Connect { url: String, source: DatabaseError },
    #[error("cannot apply the database migrations: {0}")]
    Migrate(#[source] MigrationError),
    #[error("database error while checking the master key: {0}")]
    Database(#[source] DatabaseError),
    #[error("cannot use the master key: {0}")]
    Crypto(#[from] CryptoError),
    /// Nothing was changed. The command line says what to do about it.
    #[error("the master key fails the database's key check")]
    WrongMasterKey,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    /// The opaque wrappers keep the driver's error as the cause, so an error chain (the
    /// command line prints it) still reaches the driver's words.
    #[test]
    fn open_errors_keep_the_drivers_error_as_their_cause() {
        let migrate = OpenError::from(sqlx::migrate::MigrateError::VersionMissing(7));
        let cause = migrate.source().expect("a cause");
        assert_eq!(
            cause.to_string(),
            sqlx::migrate::MigrateError::VersionMissing(7).to_string()
        );
        let database = OpenError::from(sqlx::Error::PoolTimedOut);
        let cause = database.source().expect("a cause");
        assert_eq!(cause.to_string(), sqlx::Error::PoolTimedOut.to_string());
        let store = StoreError::from(sqlx::Error::PoolTimedOut);
        let words = sqlx::Error::PoolTimedOut.to_string();
        assert_eq!(store.to_string(), format!("database error: {words}"));
    }
}
