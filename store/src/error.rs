//! What can go wrong in the store. User-facing variants carry enough to name the problem;
//! database and crypto causes are for the server log only (see `app/src/server_fns/errors.rs`).

use super::crypto::CryptoError;
use shared::model::{Field, Role};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{message}")]
    Invalid { field: Field, message: String },
    #[error("An application named \"{0}\" already exists. Choose another name.")]
    DuplicateApplication(String),
    #[error("A secret named \"{0}\" already exists in this application. Choose another name.")]
    DuplicateSecret(String),
    #[error("A scenario named \"{0}\" already exists in this application. Choose another name.")]
    DuplicateScenario(String),
    #[error("The scenario does not exist.")]
    ScenarioNotFound,
    #[error("The application does not exist.")]
    ApplicationNotFound,
    #[error("The secret does not exist.")]
    SecretNotFound,
    #[error("Nothing to change.")]
    NothingToChange,
    #[error("application_id {0} does not exist")]
    ApplicationIdUnknown(i64),
    #[error("no application is named \"{0}\"")]
    ApplicationNameUnknown(String),
    #[error("secret_id {0} does not exist in this application")]
    SecretIdUnknown(i64),
    #[error("no secret is named \"{0}\" in this application")]
    SecretNameUnknown(String),
    #[error("no service-account key has the id \"{0}\"")]
    ServiceAccountNotFound(String),
    /// No one makes or revokes a key above their own role.
    #[error(
        "Your role ({own}) may not {action} a key with the {key} role: that takes {key} or higher."
    )]
    KeyRoleAboveOwn {
        own: Role,
        key: Role,
        action: &'static str,
    },
    #[error("A user named \"{0}\" already exists. Choose another name.")]
    DuplicateUser(String),
    #[error("The user does not exist.")]
    UserNotFound,
    #[error(
        "This would leave no enabled Owner, and only an Owner can manage users. Make another \
         user an Owner first."
    )]
    LastOwner,
    #[error("The current password is wrong.")]
    WrongPassword,
    /// A sign-in with a wrong username or password (which of the two is not said).
    #[error("Wrong username or password.")]
    SignInFailed,
    /// Too many failed attempts lately: refused without checking the password.
    #[error(
        "Too many failed attempts. Wait {} minutes, then try again.",
        minutes(.retry_after_secs)
    )]
    Throttled { retry_after_secs: i64 },
    /// Every core is busy checking passwords and the queue wait ran out: nothing was checked.
    #[error("The server is busy checking other passwords. Try again in a few seconds.")]
    Busy,
    #[error("The setup code is wrong or was already used. Use the code in the latest server log.")]
    WrongSetupCode,
    #[error("Setup is done: users exist. Sign in instead.")]
    AlreadySetUp,
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("crypto error: {0}")]
    Crypto(#[from] CryptoError),
}

/// Whole minutes, rounded up: "wait 0 minutes" would be wrong.
fn minutes(secs: &i64) -> i64 {
    (secs + 59) / 60
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
    BadUrl { url: String, source: sqlx::Error },
    #[error("cannot open the database {url}")]
    Connect { url: String, source: sqlx::Error },
    #[error("cannot apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error while checking the master key: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot use the master key: {0}")]
    Crypto(#[from] CryptoError),
    #[error(
        "the master key does not match this database: it is not the key the database was \
         created with. Start Strongroom with the original key (STRONGROOM_MASTER_KEY or the file \
         given by --master-key-file). Nothing was changed; secrets cannot be read without that key."
    )]
    WrongMasterKey,
}
