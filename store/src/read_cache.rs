//! GetSecretValue without a database round trip, still exact. The hot path of the Management
//! API reads the same few secrets with the same keys over and over. This cache keeps, per
//! process, what those reads need from the database: the caller's key role, and the secret's
//! metadata with its *sealed* value and its application's data key, set up to open it (never
//! a value in plain; the data key is unwrapped once, when the entry is loaded: the master key
//! that unwraps it is in this process's memory anyway).
//!
//! Every entry is labelled with the `read_generation` counter it was loaded under (migration
//! 0006: triggers move it on any change a read could depend on). A cached read is answered only
//! after its audit record commits, and that transaction first checks the counter: if anything
//! changed since the entry was loaded, the record is not written, the value is not returned,
//! the cache is emptied, and the read is done again from the database. So a cached answer is
//! exactly what the database held when the read was audited, a revoked key fails at once, and
//! replicas sharing the database see each other's changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::audit::{Actor, Event, Target};
use super::secrets::{ReadPurpose, SECRET_COLUMNS, SecretRead};
use super::{SecretStore, StoreError};
use shared::model::{ApplicationId, AuditAction, Role, SecretMeta};

use super::crypto::ValueOpener;

/// Entries kept at most (of each kind); when full, the cache starts again empty.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default, Debug)]
pub(super) struct ReadCache {
    state: Mutex<State>,
}

#[derive(Default, Debug)]
struct State {
    /// The generation every entry below was loaded under.
    generation: i64,
    keys: HashMap<String, Role>,
    /// By application name, then secret name (so a lookup borrows the names it is given).
    secrets: HashMap<String, HashMap<String, Arc<CachedSecret>>>,
    secret_count: usize,
}

impl State {
    fn clear(&mut self) {
        self.keys.clear();
        self.secrets.clear();
        self.secret_count = 0;
    }
}

/// What the cache holds for one read, and the generation it was loaded under.
struct Lookup {
    role: Option<Role>,
    secret: Option<Arc<CachedSecret>>,
    generation: i64,
}

/// A secret as a read needs it; the value still sealed. Its last-read time is not kept
/// current (GetSecretValue does not show it).
#[derive(Debug)]
pub(super) struct CachedSecret {
    application: ApplicationId,
    application_name: String,
    meta: SecretMeta,
    sealed_value: Vec<u8>,
    key: ValueOpener,
}

impl ReadCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Something changed in the database: entries from before `generation` are gone.
    pub(super) fn observe(&self, generation: i64) {
        let mut state = self.lock();
        if generation != state.generation {
            state.clear();
            state.generation = generation;
        }
    }

    fn lookup(&self, key_id: &str, app: &str, name: &str) -> Lookup {
        let state = self.lock();
        Lookup {
            role: state.keys.get(key_id).copied(),
            secret: state.secrets.get(app).and_then(|s| s.get(name)).cloned(),
            generation: state.generation,
        }
    }

    /// Keeps an entry loaded under `generation` if that is still the newest one seen.
    fn keep(&self, generation: i64, put: impl FnOnce(&mut State)) {
        let mut state = self.lock();
        if generation > state.generation {
            state.clear();
            state.generation = generation;
        }
        if generation == state.generation {
            if state.keys.len() >= MAX_ENTRIES || state.secret_count >= MAX_ENTRIES {
                state.clear();
            }
            put(&mut state);
        }
    }
}

#[derive(sqlx::FromRow)]
struct LoadedSecret {
    #[sqlx(flatten)]
    meta: super::secrets::SecretRow,
    sealed_value: Vec<u8>,
    application_id: i64,
    wrapped_key: Vec<u8>,
    application_name: String,
    generation: i64,
}

impl SecretStore {
    /// GetSecretValue by application and secret name for the service-account key `key_id`,
    /// from the cache where it can be (see the module comment): `read_secret` with
    /// `ReadPurpose::Api`, audited the same way. `Ok(None)` means "not answered
    /// here": unknown names or key, a role that `may_read` refuses, or a change since the
    /// entries were loaded. The caller then takes the ordinary path, which names the problem.
    pub async fn read_secret_cached(
        &self,
        by: &Actor,
        key_id: &str,
        may_read: impl FnOnce(Role) -> bool,
        application: &str,
        secret: &str,
    ) -> Result<Option<SecretRead>, StoreError> {
        let found = self.cache.lookup(key_id, application, secret);
        let key = match found.role {
            Some(role) => Some((role, found.generation)),
            // Boxed, like the load below: misses are rare, and their futures are large.
            None => Box::pin(self.load_key(key_id)).await?,
        };
        let Some((role, key_generation)) = key else {
            return Ok(None);
        };
        if !may_read(role) {
            return Ok(None);
        }
        let entry = match found.secret {
            Some(entry) => Some((entry, found.generation)),
            None => Box::pin(self.load_secret(application, secret)).await?,
        };
        let Some((entry, generation)) = entry else {
            return Ok(None);
        };
        if generation != key_generation {
            return Ok(None);
        }
        let value = entry
            .key
            .open_value(entry.application, entry.meta.id, &entry.sealed_value)?;
        let event = Event::success(
            AuditAction::SecretRead,
            Target::secret(
                entry.application,
                &entry.application_name,
                entry.meta.id,
                &entry.meta.name,
            ),
        )
        .with_detail(ReadPurpose::Api.audit_detail());
        if self.reads.record_if_current(by, event, generation).await? {
            Ok(Some(SecretRead {
                application: entry.application,
                meta: entry.meta.clone(),
                value,
            }))
        } else {
            Ok(None)
        }
    }

    async fn load_key(&self, key_id: &str) -> Result<Option<(Role, i64)>, StoreError> {
        // One statement, so the role (and the creator's standing, which decides whether the key
        // works) and the counter come from the same snapshot.
        let Some((role, generation)) = self.usable_key_role(key_id).await? else {
            return Ok(None);
        };
        self.cache.keep(generation, |state| {
            state.keys.insert(key_id.to_owned(), role);
        });
        Ok(Some((role, generation)))
    }

    async fn load_secret(
        &self,
        application: &str,
        secret: &str,
    ) -> Result<Option<(Arc<CachedSecret>, i64)>, StoreError> {
        let row: Option<LoadedSecret> = sqlx::query_as(&format!(
            "SELECT {SECRET_COLUMNS}, s.sealed_value, a.id AS application_id, a.wrapped_key, \
             a.name AS application_name, \
             (SELECT value FROM read_generation WHERE id = 1) AS generation \
             FROM secrets s JOIN applications a ON a.id = s.application_id \
             WHERE a.name = $1 AND s.name = $2"
        ))
        .bind(application)
        .bind(secret)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let generation = row.generation;
        let application_id = ApplicationId(row.application_id);
        let entry = Arc::new(CachedSecret {
            key: self
                .master
                .unwrap(application_id, &row.wrapped_key)?
                .opener(),
            application: application_id,
            application_name: row.application_name,
            meta: SecretMeta::from(row.meta),
            sealed_value: row.sealed_value,
        });
        self.cache.keep(generation, |state| {
            let replaced = state
                .secrets
                .entry(application.to_owned())
                .or_default()
                .insert(secret.to_owned(), entry.clone());
            if replaced.is_none() {
                state.secret_count += 1;
            }
        });
        Ok(Some((entry, generation)))
    }
}
