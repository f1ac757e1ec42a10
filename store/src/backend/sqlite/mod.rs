//! SQLite: the embedded default. Everything the store does that only SQLite does, or does its
//! own way, is here: the connection settings (WAL, foreign keys, busy timeout), the write lock
//! taken up front (`BEGIN IMMEDIATE`), the migrations of this engine (its triggers among
//! them), the trigram name search (FTS5, `name_match`) and the group commit's batch insert
//! (`read_records`). A second engine gets a folder of its own beside this one, with the same
//! names.

mod name_match;
mod read_records;

pub(crate) use name_match::NameMatch;
pub(crate) use read_records::{MAX_READ_RECORDS, insert_reads_if_current};

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::OpenError;

pub(crate) type Db = sqlx::Sqlite;
pub(crate) type Pool = sqlx::SqlitePool;
pub(crate) type Conn = sqlx::SqliteConnection;
pub(crate) type Tx = sqlx::Transaction<'static, Db>;

/// The most parameters one statement may bind (SQLite's `SQLITE_MAX_VARIABLE_NUMBER`).
pub(crate) const MAX_BIND_PARAMETERS: usize = 32_766;

/// This engine's schema, embedded in the binary and applied at start (append-only).
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");

/// Where the data lives: a SQLite file, or a database in memory (tests).
#[derive(Clone, Debug)]
pub struct Database {
    options: SqliteConnectOptions,
    in_memory: bool,
}

impl Database {
    /// A database file. Built from the path, not a URL string, so a directory whose name holds
    /// `?` or `#` still means that directory.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Database {
            options: SqliteConnectOptions::new().filename(path.into()),
            in_memory: false,
        }
    }

    /// `sqlite://path`, `sqlite::memory:` and the other forms sqlx's SQLite driver reads.
    pub fn from_url(url: &str) -> Result<Self, OpenError> {
        let options = SqliteConnectOptions::from_str(url).map_err(|source| OpenError::BadUrl {
            url: url.to_owned(),
            source: source.into(),
        })?;
        Ok(Database {
            options,
            in_memory: url.contains(":memory:") || url.contains("mode=memory"),
        })
    }

    /// The database file, or `None` for one that lives only in memory.
    pub fn file_path(&self) -> Option<&Path> {
        (!self.in_memory).then(|| self.options.get_filename())
    }
}

impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.options.get_filename().display().fmt(f)
    }
}

pub(crate) async fn connect(database: &Database) -> Result<Pool, OpenError> {
    let options = database
        .options
        .clone()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    SqlitePoolOptions::new()
        .max_connections(8)
        // A ping per checkout would double the round trips of every query; a broken
        // connection fails its query instead, which reports the error just the same.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(|source| OpenError::Connect {
            url: database.to_string(),
            source: source.into(),
        })
}

/// A transaction that holds the write lock from its first statement, for work that reads
/// before it writes (a deferred one could fail with "busy" when it upgrades).
pub(crate) async fn begin_write(pool: &Pool) -> Result<Tx, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}
