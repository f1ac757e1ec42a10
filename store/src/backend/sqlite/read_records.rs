//! The group commit's batch insert (`audit_queue`): the records of a batch of value reads in
//! one statement, written only if nothing changed since the reads loaded their data.

use std::sync::LazyLock;

use super::{Conn, MAX_BIND_PARAMETERS};
use crate::audit::{COLUMN_COUNT, COLUMNS, Row};

/// Most distinct records one statement writes: the group commit's batch limit.
pub(crate) const MAX_READ_RECORDS: usize = 512;
const _: () = assert!(MAX_READ_RECORDS.is_power_of_two());
/// Parameters per distinct record: its columns and its number of copies.
const PER_RECORD: usize = COLUMN_COUNT + 1;
const _: () = assert!(MAX_READ_RECORDS * PER_RECORD + 2 <= MAX_BIND_PARAMETERS);

/// `INSERT_IF_CURRENT[k]` writes the records of a batch in one statement, so one implicit
/// transaction and one sync to disk, but only if the last parameter is still the database's
/// read generation: the check is part of the statement, which holds the write lock from its
/// start, so nothing can change between the check and the insert.
///
/// Parameters: the largest count of copies (for `copy`), then up to 2^k rows of `audit::Row`
/// and a count (padding rows are NULL and skipped), then the generation. Padding to powers of
/// two means ten statements in all, each prepared once.
static INSERT_IF_CURRENT: LazyLock<Vec<String>> = LazyLock::new(|| {
    let row = format!("({})", vec!["?"; PER_RECORD].join(", "));
    let columns = (1..=COLUMN_COUNT)
        .map(|i| format!("v.column{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    (0..=MAX_READ_RECORDS.trailing_zeros())
        .map(|k| {
            let rows = vec![row.as_str(); 1 << k].join(", ");
            format!(
                "WITH RECURSIVE copy(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copy WHERE n < ?) \
                 INSERT INTO audit_log ({COLUMNS}) SELECT {columns} \
                 FROM (VALUES {rows}) AS v JOIN copy ON copy.n <= v.column{PER_RECORD} \
                 WHERE v.column1 IS NOT NULL \
                 AND (SELECT value FROM read_generation WHERE id = 1) = ?",
            )
        })
        .collect()
});

/// Writes each distinct record as many times as it has copies, if the read generation is
/// still `generation`; true when it wrote them. At most `MAX_READ_RECORDS` distinct records.
pub(crate) async fn insert_reads_if_current(
    conn: &mut Conn,
    distinct: &[(Row<'_>, i64)],
    generation: i64,
) -> Result<bool, sqlx::Error> {
    debug_assert!(distinct.len() <= MAX_READ_RECORDS);
    let size = distinct.len().next_power_of_two();
    let sql = &INSERT_IF_CURRENT[size.trailing_zeros() as usize];
    let most = distinct.iter().map(|(_, n)| *n).max().unwrap_or(1);
    let mut query = sqlx::query(sql).bind(most);
    for (row, copies) in distinct {
        query = query
            .bind(row.at)
            .bind(row.actor_kind)
            .bind(&row.actor)
            .bind(row.source)
            .bind(&row.client_ip)
            .bind(row.action)
            .bind(row.outcome)
            .bind(row.application_id)
            .bind(&row.application_name)
            .bind(row.secret_id)
            .bind(&row.secret_name)
            .bind(&row.target)
            .bind(&row.detail)
            .bind(*copies);
    }
    for _ in distinct.len()..size {
        for _ in 0..PER_RECORD {
            query = query.bind(None::<i64>);
        }
    }
    let done = query.bind(generation).execute(conn).await?;
    Ok(done.rows_affected() > 0)
}
