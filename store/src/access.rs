//! Who may call the Management API: service-account keys (only their public halves are kept)
//! and the account's legacy API key (only its hash is kept).
//!
//! A key made by a user belongs to them: it works only while they are enabled and still hold a
//! role at least the key's (checked wherever a key is looked up for a request, by a join, so a
//! disabled or demoted user's keys fail on the next request). No one makes or revokes a key
//! above their own role. The command line acts as the machine's operator (whoever can run it
//! holds the database and the master key): its keys belong to no user and work until revoked.

use super::audit::{self, Actor, ActorKind, Event, Target};
use super::crypto::{self, SecretValue};
use super::error::KeyAction;
use super::{SecretStore, StoreError, now, parse_role};
use crate::backend::Conn;
use shared::model::{AuditAction, Credentials, KeyStop, Role, ServiceAccount, Timestamp};
use shared::validation::normalize_description;

/// A service-account key as the API's authentication needs it.
pub struct VerifyingKey {
    pub role: Role,
    pub public_pem: String,
}

/// A key with its creator, as every lookup reads it: `KEY_COLUMNS` from `KEYS_WITH_CREATOR`.
const KEYS_WITH_CREATOR: &str = "service_accounts k LEFT JOIN users u ON u.id = k.created_by";
const KEY_COLUMNS: &str = "k.role, k.created_by, u.username AS creator, u.role AS creator_role, \
     u.disabled AS creator_disabled";

/// A key's role and its creator's standing: what decides whether the key still works.
#[derive(sqlx::FromRow)]
struct KeyStanding {
    role: String,
    created_by: Option<i64>,
    creator: Option<String>,
    creator_role: Option<String>,
    creator_disabled: Option<bool>,
}

impl KeyStanding {
    fn role(&self) -> Result<Role, StoreError> {
        parse_role(&self.role, "service_accounts")
    }

    /// Why the key no longer works, or `None` while it does. A key without a creator works; a
    /// creator who is gone counts as disabled.
    fn stopped(&self) -> Result<Option<KeyStop>, StoreError> {
        if self.created_by.is_none() {
            return Ok(None);
        }
        let (Some(false), Some(creator_role)) = (self.creator_disabled, &self.creator_role) else {
            return Ok(Some(KeyStop::CreatorDisabled));
        };
        let creator_role = parse_role(creator_role, "users")?;
        Ok((!creator_role.may_grant(self.role()?)).then_some(KeyStop::CreatorRole(creator_role)))
    }

    /// The key's role, if the key works.
    fn usable_role(&self) -> Result<Option<Role>, StoreError> {
        Ok(match self.stopped()? {
            None => Some(self.role()?),
            Some(_) => None,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ServiceAccountRow {
    key_id: String,
    description: String,
    created_at: i64,
    last_used_at: Option<i64>,
    by_operator: bool,
    #[sqlx(flatten)]
    standing: KeyStanding,
}

/// Whether the command line (the operator) made key `k`, for a key without a creator: the
/// audit log records who made each key (`Actor::system("cli")`).
const BY_OPERATOR: &str = "(k.created_by IS NULL AND EXISTS (SELECT 1 FROM audit_log a \
     WHERE a.target = k.key_id AND a.action = 'service_account.create' \
     AND a.actor_kind = 'system' AND a.outcome = 'success')) AS by_operator";

impl TryFrom<ServiceAccountRow> for ServiceAccount {
    type Error = StoreError;

    fn try_from(row: ServiceAccountRow) -> Result<Self, StoreError> {
        Ok(ServiceAccount {
            role: row.standing.role()?,
            stopped: row.standing.stopped()?,
            creator: row.standing.creator,
            by_operator: row.by_operator,
            key_id: row.key_id,
            description: row.description,
            created: Timestamp(row.created_at),
            last_used: row.last_used_at.map(Timestamp),
        })
    }
}

/// The user `by` names, as a key's creator: their id and role, read in the transaction that
/// makes or revokes the key. `None` for the operator (the command line). API credentials never
/// manage keys, and a disabled user counts as gone.
async fn key_manager(tx: &mut Conn, by: &Actor) -> Result<Option<(i64, Role)>, StoreError> {
    let username = match &by.kind {
        ActorKind::System(_) => return Ok(None),
        ActorKind::User(username) => username,
        ActorKind::ServiceAccount(_) | ActorKind::ApiKey => return Err(StoreError::UserNotFound),
    };
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT id, role FROM users WHERE username = $1 AND disabled = 0")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await?;
    let (id, role) = row.ok_or(StoreError::UserNotFound)?;
    Ok(Some((id, parse_role(&role, "users")?)))
}

/// Refuses a key above the role of whoever makes or revokes it.
fn check_key_role(
    manager: Option<(i64, Role)>,
    key: Role,
    action: KeyAction,
) -> Result<(), StoreError> {
    match manager {
        Some((_, own)) if !own.may_grant(key) => {
            Err(StoreError::KeyRoleAboveOwn { own, key, action })
        }
        _ => Ok(()),
    }
}

/// Writing `last_used_at` on every call would turn each read into a write; once a minute is
/// precise enough for "last used".
const LAST_USED_RESOLUTION_SECS: i64 = 60;

impl SecretStore {
    /// Makes a key pair, stores the public half and returns the credentials file's contents:
    /// the only time the private key exists outside the caller's hands. A user (`by`) makes
    /// keys up to their own role, and the key is theirs; the operator's keys are no one's.
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
        let manager = key_manager(&mut tx, by).await?;
        check_key_role(manager, role, KeyAction::Make)?;
        sqlx::query(
            "INSERT INTO service_accounts \
             (key_id, role, description, public_key, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&key_id)
        .bind(role.as_str())
        .bind(&description)
        .bind(&pair.public_pem)
        .bind(created.0)
        .bind(manager.map(|(id, _)| id))
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
            creator: manager.map(|_| by.name().to_owned()),
            by_operator: matches!(by.kind, ActorKind::System(_)),
            stopped: None,
        };
        Ok((listed, credentials))
    }

    /// All keys, oldest first.
    pub async fn list_service_accounts(&self) -> Result<Vec<ServiceAccount>, StoreError> {
        let rows: Vec<ServiceAccountRow> = sqlx::query_as(&format!(
            "SELECT k.key_id, k.description, k.created_at, k.last_used_at, {BY_OPERATOR}, \
             {KEY_COLUMNS} FROM {KEYS_WITH_CREATOR} ORDER BY k.created_at, k.key_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Deletes the key; the next request signed with it fails. A user revokes keys up to their
    /// own role (whoever made them). The revocation stays in the audit log with the key's role.
    pub async fn revoke_service_account(&self, by: &Actor, key_id: &str) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        let manager = key_manager(&mut tx, by).await?;
        let role: String =
            sqlx::query_scalar("SELECT role FROM service_accounts WHERE key_id = $1")
                .bind(key_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::ServiceAccountNotFound(key_id.to_owned()))?;
        check_key_role(
            manager,
            parse_role(&role, "service_accounts")?,
            KeyAction::Revoke,
        )?;
        sqlx::query("DELETE FROM service_accounts WHERE key_id = $1")
            .bind(key_id)
            .execute(&mut *tx)
            .await?;
        let event = Event::success(AuditAction::ServiceAccountRevoke, Target::other(key_id))
            .with_detail(format!("role {role}"));
        audit::record(&mut tx, by, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The public key and role for `key_id`, or `None` if there is no such key, it was revoked,
    /// or its creator may no longer use it (disabled, or holding a role below the key's).
    pub async fn service_account_key(
        &self,
        key_id: &str,
    ) -> Result<Option<VerifyingKey>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            public_key: String,
            #[sqlx(flatten)]
            standing: KeyStanding,
        }
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT k.public_key, {KEY_COLUMNS} FROM {KEYS_WITH_CREATOR} WHERE k.key_id = $1"
        ))
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(row.standing.usable_role()?.map(|role| VerifyingKey {
            role,
            public_pem: row.public_key,
        }))
    }

    /// The role of `key_id` if the key works (as `service_account_key` decides), with the
    /// `read_generation` counter read in the same statement, for the read cache.
    pub(super) async fn usable_key_role(
        &self,
        key_id: &str,
    ) -> Result<Option<(Role, i64)>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            generation: i64,
            #[sqlx(flatten)]
            standing: KeyStanding,
        }
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT (SELECT value FROM read_generation WHERE id = 1) AS generation, {KEY_COLUMNS} \
             FROM {KEYS_WITH_CREATOR} WHERE k.key_id = $1"
        ))
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(row
            .standing
            .usable_role()?
            .map(|role| (role, row.generation)))
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
    /// stored, only its hash is. A user's key is theirs: it acts as an Owner, so it works only
    /// while they are enabled and an Owner. The operator's (the command line's) is no one's.
    pub async fn regenerate_api_key(&self, by: &Actor) -> Result<SecretValue, StoreError> {
        let (key, hash) = crypto::new_api_key();
        let mut tx = self.write_transaction().await?;
        let manager = key_manager(&mut tx, by).await?;
        check_key_role(manager, Role::Owner, KeyAction::Make)?;
        sqlx::query(
            "INSERT INTO api_keys (id, key_hash, created_at, created_by) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET key_hash = excluded.key_hash, \
             created_at = excluded.created_at, created_by = excluded.created_by",
        )
        .bind(hash)
        .bind(now().0)
        .bind(manager.map(|(id, _)| id))
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

    /// Whether `candidate` is the current API key (compared by hash, in constant time) and
    /// still works: its creator, if it has one, enabled and an Owner (a creator who is gone
    /// counts as disabled). Read on every request, never cached.
    pub async fn api_key_matches(&self, candidate: &str) -> Result<bool, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            key_hash: Vec<u8>,
            created_by: Option<i64>,
            role: Option<String>,
            disabled: Option<bool>,
        }
        let stored: Option<Row> = sqlx::query_as(
            "SELECT k.key_hash, k.created_by, u.role, u.disabled \
             FROM api_keys k LEFT JOIN users u ON u.id = k.created_by",
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some(Row {
            key_hash: hash,
            created_by,
            role: creator_role,
            disabled: creator_disabled,
        }) = stored
        else {
            return Ok(false);
        };
        if !crypto::hashes_match(&hash, &crypto::hash_api_key(candidate)) {
            return Ok(false);
        }
        Ok(match (created_by, creator_disabled, creator_role) {
            (None, _, _) => true,
            (Some(_), Some(false), Some(role)) => parse_role(&role, "users")? == Role::Owner,
            (Some(_), _, _) => false,
        })
    }
}
