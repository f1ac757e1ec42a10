//! Many secrets at once (`strongroom secret import`): moving an application's settings in from
//! another store. All or nothing: every entry is checked by the same rules as a single create
//! before anything is written, and the inserts share one transaction.

use std::collections::HashSet;

use super::audit::{self, Actor, Event, Target};
use super::secrets::{NewSecret, checked_name, checked_value, insert_secret};
use super::{SecretStore, StoreError, now};
use shared::model::{ApplicationId, AuditAction, Timestamp};

/// Audit records written per statement.
const AUDIT_CHUNK: usize = 500;

impl SecretStore {
    /// Creates every secret in `new`, or none. Returns how many were created.
    pub async fn import_secrets(
        &self,
        by: &Actor,
        app: ApplicationId,
        new: &[NewSecret],
    ) -> Result<u64, StoreError> {
        let mut seen = HashSet::with_capacity(new.len());
        for secret in new {
            checked_name(&secret.name)?;
            checked_value(&secret.value)?;
            if !seen.insert(secret.name.as_str()) {
                return Err(StoreError::DuplicateSecret(secret.name.clone()));
            }
        }
        let created = now();
        let mut tx = self.write_transaction().await?;
        let (key, app_name) = self.touch_application(&mut tx, app).await?;
        let mut events = Vec::with_capacity(new.len());
        for secret in new {
            let id = insert_secret(&mut tx, &key, app, secret, created).await?;
            events.push(
                Event::success(
                    AuditAction::SecretCreate,
                    Target::secret(app, &app_name, id, &secret.name),
                )
                .with_detail("import"),
            );
        }
        for chunk in events.chunks(AUDIT_CHUNK) {
            let records: Vec<(&Actor, &Event, Timestamp)> =
                chunk.iter().map(|event| (by, event, created)).collect();
            audit::record_many(&mut tx, &records).await?;
        }
        tx.commit().await?;
        Ok(new.len() as u64)
    }
}
