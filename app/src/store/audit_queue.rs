//! Group commit for the records of value reads. Every read is audited and its record must be
//! on disk before the value leaves the server; one transaction (one sync to disk) per read
//! would cap reads at the disk's sync rate. So a read queues its record and waits, and one
//! writer task commits everything that queued while its previous commit ran, in one
//! transaction, then wakes every waiter. Under load the batches grow by themselves; a lone
//! read still commits at once.

use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

use super::audit::{self, Actor, Event};
use super::read_cache::ReadCache;
use super::{StoreError, Timestamp};

/// Most records in one transaction.
const MAX_BATCH: usize = 512;
/// Rows per INSERT statement, largest first; the last must be 1.
const STATEMENT_ROWS: [usize; 3] = [64, 8, 1];
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
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match commit(&pool, &batch).await {
            Ok(generation) => {
                cache.observe(generation);
                for pending in batch.drain(..) {
                    let current = pending.expected_generation == generation;
                    // A waiter that went away (its request was dropped) needs no answer.
                    let _ = pending.done.send(Ok(current));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, records = batch.len(), "cannot commit audit records");
                for pending in batch.drain(..) {
                    let _ = pending.done.send(Err(e.to_string()));
                }
            }
        }
    }
}

/// One transaction for the whole batch, holding the write lock from the start, so the
/// generation read here is the newest committed one. Records of reads made under an older
/// generation are left out. Returns the generation.
async fn commit(pool: &sqlx::SqlitePool, batch: &[Pending]) -> Result<i64, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let generation: i64 = sqlx::query_scalar("SELECT value FROM read_generation WHERE id = 1")
        .fetch_one(&mut *tx)
        .await?;
    let records: Vec<_> = batch
        .iter()
        .filter(|p| p.expected_generation == generation)
        .map(|p| (&p.actor, &p.event, p.at))
        .collect();
    // A few fixed statement sizes, so SQLite parses each once and sqlx reuses the prepared
    // statement, instead of parsing a new INSERT of every batch's exact length.
    let mut rest = &records[..];
    for size in STATEMENT_ROWS {
        while rest.len() >= size {
            let (chunk, tail) = rest.split_at(size);
            audit::record_many(&mut tx, chunk).await?;
            rest = tail;
        }
    }
    tx.commit().await?;
    Ok(generation)
}
