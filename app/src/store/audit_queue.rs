//! Group commit for the records of value reads. Every read is audited and its record must be
//! on disk before the value leaves the server; one transaction (one sync to disk) per read
//! would cap reads at the disk's sync rate. So a read queues its record and waits, and one
//! writer task commits everything that queued while its previous commit ran, in one
//! transaction, then wakes every waiter. Under load the batches grow by themselves; a lone
//! read still commits at once.

use tokio::sync::{mpsc, oneshot};

use super::audit::{self, Actor, Event};
use super::{StoreError, Timestamp};

/// Most records in one transaction (13 bound parameters each, well under SQLite's limit).
const MAX_BATCH: usize = 512;
/// Reads waiting beyond this many make new reads wait for room first (back-pressure).
const QUEUE_DEPTH: usize = 8192;

struct Pending {
    actor: Actor,
    event: Event,
    at: Timestamp,
    done: oneshot::Sender<Result<(), String>>,
}

/// The sending side; cheap to clone. The writer task ends when every clone is gone.
#[derive(Clone, Debug)]
pub(super) struct AuditQueue {
    sender: mpsc::Sender<Pending>,
}

impl AuditQueue {
    /// Starts the writer task on the current Tokio runtime.
    pub(super) fn start(pool: sqlx::SqlitePool) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(write_batches(pool, receiver));
        AuditQueue { sender }
    }

    /// Returns once the record is committed, or fails (and the caller must not hand out the
    /// value it audits).
    pub(super) async fn record(&self, actor: &Actor, event: Event) -> Result<(), StoreError> {
        let (done, committed) = oneshot::channel();
        let pending = Pending {
            actor: actor.clone(),
            event,
            at: super::now(),
            done,
        };
        let gone = || StoreError::Corrupt("the audit writer has stopped".to_owned());
        self.sender.send(pending).await.map_err(|_| gone())?;
        match committed.await.map_err(|_| gone())? {
            Ok(()) => Ok(()),
            Err(cause) => Err(StoreError::Corrupt(format!(
                "cannot write the audit record: {cause}"
            ))),
        }
    }
}

async fn write_batches(pool: sqlx::SqlitePool, mut receiver: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let outcome = commit(&pool, &batch).await.map_err(|e| {
            tracing::error!(error = %e, records = batch.len(), "cannot commit audit records");
            e.to_string()
        });
        for pending in batch.drain(..) {
            // A waiter that went away (its request was dropped) needs no answer.
            let _ = pending.done.send(outcome.clone());
        }
    }
}

async fn commit(pool: &sqlx::SqlitePool, batch: &[Pending]) -> Result<(), StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let records: Vec<_> = batch.iter().map(|p| (&p.actor, &p.event, p.at)).collect();
    audit::record_many(&mut tx, &records).await?;
    tx.commit().await?;
    Ok(())
}
