//! The database engine behind the store. Each engine has one folder here holding everything
//! the store does that only that engine does, or does its own way (connection settings, the
//! write lock, migrations, name search, the group commit's batch insert); the rest of the
//! store speaks through the names this module exports and does not know which engine runs.
//! SQLite is the only engine so far.

mod sqlite;

pub use sqlite::Database;
pub(crate) use sqlite::{
    Conn, Db, MAX_BIND_PARAMETERS, MAX_READ_RECORDS, MIGRATOR, NameMatch, Pool, Tx, begin_write,
    connect, insert_reads_if_current,
};
