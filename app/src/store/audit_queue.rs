//! Group commit for the records of value reads. Every read is audited and its record must be
//! on disk before the value leaves the server; one transaction (one sync to disk) per read
//! would cap reads at the disk's sync rate. So a read queues its record and waits, and one
//! writer task commits everything that queued while its previous commit ran, in one
//! transaction, then wakes every waiter. Under load the batches grow by themselves; a lone
//! read still commits at once.

use sqlx::SqliteConnection;
use sqlx::pool::PoolConnection;
use std::sync::{Arc, LazyLock};
use tokio::sync::{mpsc, oneshot};

use super::audit::{self, Actor, Event};
use super::read_cache::ReadCache;
use super::{StoreError, Timestamp};

/// Most records in one transaction.
const MAX_BATCH: usize = 512;
const _: () = assert!(MAX_BATCH.is_power_of_two());
/// Reads waiting beyond this many make new reads wait for room first (back-pressure).
const QUEUE_DEPTH: usize = 8192;

struct Pending {
    actor: Actor,
    event: Event,
    at: Timestamp,
    /// The `read_generation` the read's data was loaded under. The record (and the read)
    /// stands only if the counter has not moved since.
    expected_generation: i64,
    /// `true` once committed; `false` when the generation had moved and nothing was written.
    done: oneshot::Sender<Result<bool, String>>,
}

/// The sending side; cheap to clone. The writer task ends when every clone is gone.
#[derive(Clone, Debug)]
pub(super) struct AuditQueue {
    sender: mpsc::Sender<Pending>,
}

impl AuditQueue {
    /// Starts the writer task on the current Tokio runtime. It tells `cache` whenever it sees
    /// that the read generation moved.
    pub(super) fn start(pool: sqlx::SqlitePool, cache: Arc<ReadCache>) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(write_batches(pool, cache, receiver));
        AuditQueue { sender }
    }

    /// Returns once the record is committed (`Ok(true)`), or with `Ok(false)` and nothing
    /// written when the database changed since `generation` (the read must be redone), or
    /// fails (and the caller must not hand out the value it audits).
    pub(super) async fn record_if_current(
        &self,
        actor: &Actor,
        event: Event,
        generation: i64,
    ) -> Result<bool, StoreError> {
        let (done, committed) = oneshot::channel();
        let pending = Pending {
            actor: actor.clone(),
            event,
            at: super::now(),
            expected_generation: generation,
            done,
        };
        let gone = || StoreError::Corrupt("the audit writer has stopped".to_owned());
        self.sender.send(pending).await.map_err(|_| gone())?;
        committed
            .await
            .map_err(|_| gone())?
            .map_err(|cause| StoreError::Corrupt(format!("cannot write the audit record: {cause}")))
    }
}

async fn write_batches(
    pool: sqlx::SqlitePool,
    cache: Arc<ReadCache>,
    mut receiver: mpsc::Receiver<Pending>,
) {
    // The writer's own connection, out of the pool: a pooled one would cost a checkout and a
    // ping on every return. Dropped after an error; the next batch opens another.
    let mut connection: Option<SqliteConnection> = None;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let conn = match connection.take() {
            Some(conn) => Ok(conn),
            None => pool.acquire().await.map(PoolConnection::detach),
        };
        let result = match conn {
            Ok(mut conn) => {
                let result = commit(&mut conn, &cache, &mut batch).await;
                if result.is_ok() {
                    connection = Some(conn);
                }
                result
            }
            Err(e) => Err(e.into()),
        };
        if let Err(e) = result {
            tracing::error!(error = %e, records = batch.len(), "cannot commit audit records");
            for pending in batch.drain(..) {
                let _ = pending.done.send(Err(e.to_string()));
            }
        }
    }
}

/// `INSERT_IF_CURRENT[k]` inserts up to 2^k records (13 parameters each, `audit::COLUMNS`
/// order; rows padded with NULLs are skipped) in one statement, so one implicit transaction
/// and one sync to disk, but only if the last parameter is still the database's read
/// generation: the check is part of the statement, which holds the write lock from its start,
/// so nothing can change between the check and the insert. A batch is padded up to the next
/// power of two, so SQLite prepares ten statements in all, once each.
static INSERT_IF_CURRENT: LazyLock<Vec<String>> = LazyLock::new(|| {
    let row = format!("({})", vec!["?"; COLUMN_COUNT].join(", "));
    (0..=MAX_BATCH.trailing_zeros())
        .map(|k| {
            let rows = vec![row.as_str(); 1 << k].join(", ");
            format!(
                "INSERT INTO audit_log ({}) SELECT * FROM (VALUES {rows}) AS v \
                 WHERE v.column1 IS NOT NULL \
                 AND (SELECT value FROM read_generation WHERE id = 1) = ?",
                audit::COLUMNS
            )
        })
        .collect()
});
const COLUMN_COUNT: usize = 13;

/// Commits the batch and answers (and removes) every record it wrote or refused: one round
/// trip to SQLite per batch.
async fn commit(
    conn: &mut SqliteConnection,
    cache: &ReadCache,
    batch: &mut Vec<Pending>,
) -> Result<(), StoreError> {
    // Nearly always one generation for the whole batch; after a change, maybe two.
    while let Some(generation) = batch.first().map(|p| p.expected_generation) {
        let group: Vec<Pending> = batch
            .extract_if(.., |p| p.expected_generation == generation)
            .collect();
        let written = insert_if_current(conn, &group, generation).await;
        let written = match written {
            Ok(written) => written,
            Err(e) => {
                // Put the group back so its readers hear of the failure.
                batch.extend(group);
                return Err(e.into());
            }
        };
        if written {
            cache.observe(generation);
        } else {
            // Something changed since these reads loaded their data: they must be redone,
            // and the cache must learn the new generation or it would keep missing.
            let current = sqlx::query_scalar("SELECT value FROM read_generation WHERE id = 1")
                .fetch_one(&mut *conn)
                .await;
            match current {
                Ok(current) => cache.observe(current),
                Err(e) => {
                    batch.extend(group);
                    return Err(e.into());
                }
            }
        }
        for pending in group {
            // A waiter that went away (its request was dropped) needs no answer.
            let _ = pending.done.send(Ok(written));
        }
    }
    Ok(())
}

/// Runs the `INSERT_IF_CURRENT` statement that fits `group`; true when it wrote the records.
async fn insert_if_current(
    conn: &mut SqliteConnection,
    group: &[Pending],
    generation: i64,
) -> Result<bool, sqlx::Error> {
    let size = group.len().next_power_of_two();
    let sql = &INSERT_IF_CURRENT[size.trailing_zeros() as usize];
    let mut query = sqlx::query(sql);
    for p in group {
        let c = audit::columns(&p.actor, &p.event, p.at);
        query = query
            .bind(c.0)
            .bind(c.1)
            .bind(c.2)
            .bind(c.3)
            .bind(c.4)
            .bind(c.5)
            .bind(c.6)
            .bind(c.7)
            .bind(c.8)
            .bind(c.9)
            .bind(c.10)
            .bind(c.11)
            .bind(c.12);
    }
    for _ in group.len()..size {
        for _ in 0..COLUMN_COUNT {
            query = query.bind(None::<i64>);
        }
    }
    let done = query.bind(generation).execute(conn).await?;
    Ok(done.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ApplicationId, AuditAction, SecretId};
    use crate::store::{MasterKey, SecretStore, Target};

    fn pending(i: usize, generation: i64) -> Pending {
        let actor = Actor {
            client_ip: i.is_multiple_of(2).then(|| format!("10.0.0.{i}")),
            ..Actor::system("batch")
        };
        let target = Target::secret(
            ApplicationId(7),
            "app",
            SecretId(i as i64),
            &format!("s{i}"),
        );
        Pending {
            actor,
            event: Event::success(AuditAction::SecretRead, target).with_detail("test"),
            at: Timestamp(1_000 + i as i64),
            expected_generation: generation,
            done: oneshot::channel().0,
        }
    }

    /// Every statement size, padded or not, writes exactly its records, column for column;
    /// under a generation that is not the database's, it writes nothing.
    #[tokio::test]
    async fn batches_of_every_size_write_exactly_their_records() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("batch.db").display());
        let store = SecretStore::open(&url, MasterKey::from_bytes(&[1; 32]).unwrap())
            .await
            .unwrap();
        let mut conn = store.pool.acquire().await.unwrap().detach();
        let generation: i64 = sqlx::query_scalar("SELECT value FROM read_generation")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        let mut expected = 0;
        for size in [1, 2, 3, 64, 100, 300, MAX_BATCH] {
            let group: Vec<_> = (0..size).map(|i| pending(i, generation)).collect();
            assert!(
                !insert_if_current(&mut conn, &group, generation + 1)
                    .await
                    .unwrap()
            );
            assert!(
                insert_if_current(&mut conn, &group, generation)
                    .await
                    .unwrap()
            );
            expected += size;
            let rows: Vec<(i64, Option<String>, Option<i64>, String)> = sqlx::query_as(
                "SELECT at, client_ip, secret_id, secret_name FROM audit_log \
                 WHERE actor = 'batch' ORDER BY id DESC LIMIT $1",
            )
            .bind(size as i64)
            .fetch_all(&mut conn)
            .await
            .unwrap();
            assert_eq!(rows.len(), size);
            for (i, row) in rows.into_iter().rev().enumerate() {
                let ip = i.is_multiple_of(2).then(|| format!("10.0.0.{i}"));
                let want = (1_000 + i as i64, ip, Some(i as i64), format!("s{i}"));
                assert_eq!(row, want, "batch of {size}, record {i}");
            }
        }
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE actor = 'batch'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(total, expected as i64);
    }
}
