//! Who may call the Management API: service-account keys (only their public halves are kept)
//! and the account's legacy API key (only its hash is kept).

use super::audit::{self, Actor, Event, Target};
use super::crypto::{self, SecretValue};
use super::{SecretStore, StoreError, now, parse_role};
use crate::model::{AuditAction, Credentials, Role, ServiceAccount, Timestamp};
use crate::validation::normalize_description;

/// A service-account key as the API's authentication needs it.
pub struct VerifyingKey {
    pub role: Role,
    pub public_pem: String,
}

#[derive(sqlx::FromRow)]
struct ServiceAccountRow {
    key_id: String,
    role: String,
    description: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl TryFrom<ServiceAccountRow> for ServiceAccount {
    type Error = StoreError;

    fn try_from(row: ServiceAccountRow) -> Result<Self, StoreError> {
        Ok(ServiceAccount {
            role: parse_role(&row.role, "service_accounts")?,
            key_id: row.key_id,
            description: row.description,
            created: Timestamp(row.created_at),
            last_used: row.last_used_at.map(Timestamp),
        })
    }
}

/// Writing `last_used_at` on every call would turn each read into a write; once a minute is
/// precise enough for "last used".
const LAST_USED_RESOLUTION_SECS: i64 = 60;

impl SecretStore {
    /// Makes a key pair, stores the public half and returns the credentials file's contents:
    /// the only time the private key exists outside the caller's hands.
    pub async fn create_service_account(
        &self,
        by: &Actor,
        role: Role,
        description: &str,
    ) -> Result<(ServiceAccount, Credentials), StoreError> {
        // RSA key generation takes a while; keep it off the async workers.
        let pair = tokio::task::spawn_blocking(crypto::generate_service_account_key)
            .await
            .map_err(|e| StoreError::Corrupt(format!("key generation task failed: {e}")))??;
        let key_id = crypto::new_key_id();
        let created = now();
        let description = normalize_description(description);
        let mut tx = self.write_transaction().await?;
        sqlx::query(
            "INSERT INTO service_accounts (key_id, role, description, public_key, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key_id)
        .bind(role.as_str())
        .bind(&description)
        .bind(&pair.public_pem)
        .bind(created.0)
        .execute(&mut *tx)
        .await?;
        let event = Event::success(AuditAction::ServiceAccountCreate, Target::other(&key_id))
            .with_detail(format!("role {role}"));
        audit::record(&mut tx, by, &event).await?;
        tx.commit().await?;
        let credentials = Credentials {
            account_email: self.account.email.clone(),
            account_id: self.account.id,
            key_id: key_id.clone(),
            private_key: pair.private_pem.to_string(),
        };
        let listed = ServiceAccount {
            key_id,
            role,
            description,
            created,
            last_used: None,
        };
        Ok((listed, credentials))
    }

    /// All keys, oldest first.
    pub async fn list_service_accounts(&self) -> Result<Vec<ServiceAccount>, StoreError> {
        let rows: Vec<ServiceAccountRow> = sqlx::query_as(
            "SELECT key_id, role, description, created_at, last_used_at FROM service_accounts \
             ORDER BY created_at, key_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Deletes the key; the next request signed with it fails.
    /// The revocation stays in the audit log with the key's role.
    pub async fn revoke_service_account(&self, by: &Actor, key_id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        let role: String =
            sqlx::query_scalar("DELETE FROM service_accounts WHERE key_id = $1 RETURNING role")
                .bind(key_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::ServiceAccountNotFound(key_id.to_owned()))?;
        let event = Event::success(AuditAction::ServiceAccountRevoke, Target::other(key_id))
            .with_detail(format!("role {role}"));
        audit::record(&mut tx, by, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The public key and role for `key_id`, or `None` if there is no such (or a revoked) key.
    pub async fn service_account_key(
        &self,
        key_id: &str,
    ) -> Result<Option<VerifyingKey>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT role, public_key FROM service_accounts WHERE key_id = $1")
                .bind(key_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(role, public_pem)| {
            Ok(VerifyingKey {
                role: parse_role(&role, "service_accounts")?,
                public_pem,
            })
        })
        .transpose()
    }

    /// Records that `key_id` was just used (at most once a minute per key).
    pub async fn mark_service_account_used(&self, key_id: &str) -> Result<(), StoreError> {
        let now = now().0;
        sqlx::query(
            "UPDATE service_accounts SET last_used_at = $1 WHERE key_id = $2 \
             AND (last_used_at IS NULL OR last_used_at <= $3)",
        )
        .bind(now)
        .bind(key_id)
        .bind(now - LAST_USED_RESOLUTION_SECS)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Makes a new legacy API key, replacing any previous one, and returns it: it is not
    /// stored, only its hash is.
    pub async fn regenerate_api_key(&self, by: &Actor) -> Result<SecretValue, StoreError> {
        let (key, hash) = crypto::new_api_key();
        let mut tx = self.write_transaction().await?;
        sqlx::query(
            "INSERT INTO api_keys (id, key_hash, created_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET key_hash = excluded.key_hash, \
             created_at = excluded.created_at",
        )
        .bind(hash)
        .bind(now().0)
        .execute(&mut *tx)
        .await?;
        let event = Event::success(AuditAction::ApiKeyRegenerate, Target::other("api key"));
        audit::record(&mut tx, by, &event).await?;
        tx.commit().await?;
        Ok(SecretValue::new(key.to_string()))
    }

    /// When the current API key was made, if there is one.
    pub async fn api_key_created(&self) -> Result<Option<Timestamp>, StoreError> {
        let created: Option<i64> = sqlx::query_scalar("SELECT created_at FROM api_keys")
            .fetch_optional(&self.pool)
            .await?;
        Ok(created.map(Timestamp))
    }

    /// Whether `candidate` is the current API key (compared by hash, in constant time).
    pub async fn api_key_matches(&self, candidate: &str) -> Result<bool, StoreError> {
        let stored: Option<Vec<u8>> = sqlx::query_scalar("SELECT key_hash FROM api_keys")
            .fetch_optional(&self.pool)
            .await?;
        Ok(
            stored
                .is_some_and(|hash| crypto::hashes_match(&hash, &crypto::hash_api_key(candidate))),
        )
    }
}
