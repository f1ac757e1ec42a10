//! Group commit for the records of value reads. Every read is audited and its record must be
//! on disk before the value leaves the server; one transaction (one sync to disk) per read
//! would cap reads at the disk's sync rate. So a read queues its record and waits, and one
//! writer task commits everything that queued while its previous commit ran, in one
//! transaction, then wakes every waiter. Under load the batches grow by themselves; a lone
//! read still commits at once.

use crate::backend::{self, Conn};
use sqlx::Connection;
use sqlx::pool::PoolConnection;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::audit::{self, Actor, Event};
use super::read_cache::ReadCache;
use super::{StoreError, Timestamp};

/// Most records in one transaction: as many as the engine's batch insert takes.
const MAX_BATCH: usize = backend::MAX_READ_RECORDS;
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

/// The sending side; cheap to clone. The writer task ends on `close`, or when every clone is
/// gone.
#[derive(Clone, Debug)]
pub(super) struct AuditQueue {
    sender: mpsc::Sender<Pending>,
    stop: Arc<Notify>,
    writer: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl AuditQueue {
    /// Starts the writer task on the current Tokio runtime. It tells `cache` whenever it sees
    /// that the read generation moved.
    pub(super) fn start(pool: crate::backend::Pool, cache: Arc<ReadCache>) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        let stop = Arc::new(Notify::new());
        let writer = tokio::spawn(write_batches(pool, cache, receiver, stop.clone()));
        AuditQueue {
            sender,
            stop,
            writer: Arc::new(Mutex::new(Some(writer))),
        }
    }

    /// Commits the records already queued, refuses new ones, and closes the writer's
    /// connection (so that closing the pool afterwards checkpoints the WAL: SQLite does that
    /// when its last connection closes).
    pub(super) async fn close(&self) {
        self.stop.notify_one();
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = writer {
            let _ = writer.await;
        }
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
    pool: crate::backend::Pool,
    cache: Arc<ReadCache>,
    mut receiver: mpsc::Receiver<Pending>,
    stop: Arc<Notify>,
) {
    // The writer's own connection, out of the pool: a pooled one would cost a checkout and a
    // ping on every return. Dropped after an error; the next batch opens another.
    let mut connection: Option<Conn> = None;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut stopping = false;
    loop {
        if !stopping {
            tokio::select! {
                () = stop.notified() => {
                    // Closing: no new records; those already queued are still committed.
                    stopping = true;
                    receiver.close();
                }
                received = receiver.recv_many(&mut batch, MAX_BATCH) => {
                    if received == 0 {
                        break;
                    }
                    // Let the reads already running reach the queue before committing: under
                    // load a batch then takes what one round of the scheduler produces, not
                    // just the first few; alone, a read waits for nothing.
                    tokio::task::yield_now().await;
                }
            }
        }
        while batch.len() < MAX_BATCH
            && let Ok(pending) = receiver.try_recv()
        {
            batch.push(pending);
        }
        if batch.is_empty() {
            break;
        }
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
    if let Some(conn) = connection {
        let _ = conn.close().await;
    }
}

/// Commits the batch and answers (and removes) every record it wrote or refused: one statement
/// per generation the records were read under (nearly always one), and after a refusal one
/// query for the new generation.
async fn commit(
    conn: &mut Conn,
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

/// Writes the records of `group` if the read generation is still `generation`; true when it
/// wrote them.
///
/// Each distinct record is bound once, with its number of copies: reads of one secret by one
/// caller within the same second make identical records (times are in seconds), and under
/// load most of a batch is such copies; binding is most of the database's work here. Every
/// read still gets its own row.
async fn insert_if_current(
    conn: &mut Conn,
    group: &[Pending],
    generation: i64,
) -> Result<bool, sqlx::Error> {
    // Distinct records in the order first seen, each with its number of copies.
    let mut distinct: Vec<(audit::Row, i64)> = Vec::new();
    let mut seen: HashMap<audit::Row, usize> = HashMap::new();
    for p in group {
        let record = audit::Row::new(&p.actor, &p.event, p.at);
        match seen.entry(record.clone()) {
            Entry::Occupied(at) => distinct[*at.get()].1 += 1,
            Entry::Vacant(slot) => {
                slot.insert(distinct.len());
                distinct.push((record, 1));
            }
        }
    }
    backend::insert_reads_if_current(conn, &distinct, generation).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MasterKey, SecretStore, Target};
    use shared::model::{ApplicationId, AuditAction, SecretId};

    /// `at`, `client_ip`, `secret_id`, `secret_name`, and how many rows have them.
    type Counted = (i64, Option<String>, Option<i64>, String, i64);

    /// The `i`-th of `kinds` different records (record `i` and `i + kinds` are copies).
    fn pending(i: usize, kinds: usize, generation: i64) -> Pending {
        let k = i % kinds;
        let actor = Actor {
            client_ip: k.is_multiple_of(2).then(|| format!("10.0.0.{k}")),
            ..Actor::system("batch")
        };
        let target = Target::secret(
            ApplicationId(7),
            "app",
            SecretId(k as i64),
            &format!("s{k}"),
        );
        Pending {
            actor,
            event: Event::success(AuditAction::SecretRead, target).with_detail("test"),
            at: Timestamp(1_000 + k as i64),
            expected_generation: generation,
            done: oneshot::channel().0,
        }
    }

    /// Every statement size, with and without copies, writes one row per record, column for
    /// column; under a generation that is not the database's, it writes nothing.
    #[tokio::test]
    async fn batches_write_one_row_per_record() {
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
        let cases = [
            (1, 1),
            (3, 1),
            (3, 3),
            (64, 64),
            (100, 7),
            (300, 300),
            (MAX_BATCH, 1),
            (MAX_BATCH, 2),
            (MAX_BATCH, MAX_BATCH / 2 + 1),
            (MAX_BATCH, MAX_BATCH),
        ];
        for (size, kinds) in cases {
            sqlx::query("DELETE FROM audit_log")
                .execute(&mut conn)
                .await
                .unwrap();
            let group: Vec<_> = (0..size).map(|i| pending(i, kinds, generation)).collect();
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
            let rows: Vec<Counted> = sqlx::query_as(
                "SELECT at, client_ip, secret_id, secret_name, COUNT(*) FROM audit_log \
                 WHERE actor = 'batch' AND detail = 'test' \
                 GROUP BY at, client_ip, secret_id, secret_name ORDER BY at",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let want: Vec<_> = (0..kinds)
                .map(|k| {
                    let copies = (0..size).filter(|i| i % kinds == k).count() as i64;
                    let ip = k.is_multiple_of(2).then(|| format!("10.0.0.{k}"));
                    (
                        1_000 + k as i64,
                        ip,
                        Some(k as i64),
                        format!("s{k}"),
                        copies,
                    )
                })
                .collect();
            assert_eq!(rows, want, "{size} records of {kinds} kinds");
        }
    }
}
