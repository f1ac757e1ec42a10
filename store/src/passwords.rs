//! The one gate every argon2 hash and check goes through. Each takes ~19 MiB and tens of
//! milliseconds of a core, so only as many run at once as there are cores; the rest wait in
//! line (first come, first served) for a while, and then give up with `StoreError::Busy`
//! instead of piling up memory.

use super::StoreError;
use super::crypto;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

/// How long a password check waits for a free core before the caller is told to come back.
pub const DEFAULT_QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub(super) struct PasswordGate {
    permits: Arc<Semaphore>,
    queue_timeout: Duration,
}

impl PasswordGate {
    /// `size` hashes at once (at least one).
    pub(super) fn new(size: usize, queue_timeout: Duration) -> Self {
        let size = size.clamp(1, 1024);
        PasswordGate {
            permits: Arc::new(Semaphore::new(size)),
            queue_timeout,
        }
    }

    /// One hash at a time per core of this machine.
    pub(super) fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        PasswordGate::new(cores, DEFAULT_QUEUE_TIMEOUT)
    }

    /// Runs `work` on a blocking thread once a permit is free, or fails with `Busy` after the
    /// queue timeout. The permit lives as long as the work, even if the caller goes away.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let permit = tokio::time::timeout(self.queue_timeout, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| StoreError::Busy)?
            .map_err(|_| StoreError::Busy)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("password hashing task failed: {e}")))
    }

    /// A new argon2id hash of `password`.
    pub(super) async fn hash(&self, password: &str) -> Result<String, StoreError> {
        let password = Zeroizing::new(password.to_owned());
        self.run(move || crypto::hash_password(&password))
            .await?
            .map_err(StoreError::from)
    }

    /// Whether `password` matches `stored`; with no stored hash (no such user) it costs the
    /// same and is false, so timing does not tell which names exist.
    pub(super) async fn verify(
        &self,
        password: &str,
        stored: Option<String>,
    ) -> Result<bool, StoreError> {
        let password = Zeroizing::new(password.to_owned());
        self.run(move || match stored {
            Some(hash) => crypto::verify_password(&password, &hash),
            None => {
                crypto::waste_password_check(&password);
                false
            }
        })
        .await
    }

    /// Takes every permit of an idle gate, as a flood of sign-ins would (tests of the queue).
    #[cfg(test)]
    pub(super) async fn hold_all(&self) -> tokio::sync::OwnedSemaphorePermit {
        let all = self.permits.available_permits() as u32;
        self.permits
            .clone()
            .acquire_many_owned(all)
            .await
            .expect("the gate is never closed")
    }
}
