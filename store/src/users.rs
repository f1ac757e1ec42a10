//! People who use the panel: accounts with argon2id password hashes, the first-run setup
//! code, and the rule that an enabled Owner always remains.

use super::audit::{self, Actor, Event, Target};
use super::crypto;
use super::throttle::{self, Counter, Throttle};
use super::{SecretStore, StoreError, is_unique_violation, now, parse_role};
use crate::backend::Conn;
use shared::model::{
    AuditAction, Field, Me, Outcome, Role, Source, Timestamp, UserId, UserSummary,
};
use shared::validation::{check_new_password, check_username, normalize_username};

const SETUP_CODE_SETTING: &str = "setup_code_hash";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    role: String,
    disabled: bool,
    created_at: i64,
}

impl TryFrom<UserRow> for UserSummary {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(UserSummary {
            id: UserId(row.id),
            role: parse_role(&row.role, "users")?,
            username: row.username,
            disabled: row.disabled,
            created: Timestamp(row.created_at),
        })
    }
}

fn checked_new_user(username: &str, password: &str) -> Result<String, StoreError> {
    check_username(username).map_err(|m| StoreError::invalid(Field::Username, m))?;
    check_new_password(password).map_err(|m| StoreError::invalid(Field::NewPassword, m))?;
    Ok(normalize_username(username))
}

impl SecretStore {
    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    /// The id of the user called `username` (any case).
    pub async fn find_user(&self, username: &str) -> Result<Option<UserId>, StoreError> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(normalize_username(username))
            .fetch_optional(&self.pool)
            .await?;
        Ok(id.map(UserId))
    }

    /// All users, by name.
    pub async fn list_users(&self) -> Result<Vec<UserSummary>, StoreError> {
        let rows: Vec<UserRow> = sqlx::query_as(
            "SELECT id, username, role, disabled, created_at FROM users ORDER BY username",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The user whose username and password these are, if they may sign in. An unknown name
    /// costs as much time as a wrong password, so timing does not tell which names exist.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Me>, StoreError> {
        let row: Option<(i64, String, String, String, bool)> = sqlx::query_as(
            "SELECT id, username, role, password_hash, disabled FROM users WHERE username = $1",
        )
        .bind(normalize_username(username))
        .fetch_optional(&self.pool)
        .await?;
        let stored = row.as_ref().map(|(_, _, _, hash, _)| hash.clone());
        if !self.passwords.verify(password, stored).await? {
            return Ok(None);
        }
        match row {
            Some((id, username, role, _, false)) => Ok(Some(Me {
                id: UserId(id),
                username,
                role: parse_role(&role, "users")?,
            })),
            _ => Ok(None),
        }
    }

    pub async fn create_user(
        &self,
        by: &Actor,
        username: &str,
        password: &str,
        role: Role,
    ) -> Result<UserSummary, StoreError> {
        let username = checked_new_user(username, password)?;
        let hash = self.passwords.hash(password).await?;
        let mut tx = self.write_transaction().await?;
        let user = insert_user(&mut tx, &username, &hash, role).await?;
        audit::record(
            &mut tx,
            by,
            &Event::success(AuditAction::UserCreate, Target::other(&username))
                .with_detail(format!("role {role}")),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// At start-up with `STRONGROOM_ADMIN_USER` / `_PASSWORD`: creates that Owner when no user
    /// exists yet. Returns whether it did.
    pub async fn create_first_owner(
        &self,
        username: &str,
        password: &str,
    ) -> Result<bool, StoreError> {
        let username = checked_new_user(username, password)?;
        let hash = self.passwords.hash(password).await?;
        let mut tx = self.write_transaction().await?;
        if user_count(&mut tx).await? > 0 {
            return Ok(false);
        }
        insert_user(&mut tx, &username, &hash, Role::Owner).await?;
        clear_setup_code(&mut tx).await?;
        audit::record(
            &mut tx,
            &Actor::system("environment"),
            &Event::success(AuditAction::Setup, Target::other(&username))
                .with_detail("first Owner from STRONGROOM_ADMIN_USER"),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// While no user exists: makes a new one-time setup code (replacing any earlier one) and
    /// returns it for the log. `None` once users exist.
    pub async fn issue_setup_code(&self) -> Result<Option<crypto::SecretValue>, StoreError> {
        let mut tx = self.write_transaction().await?;
        if user_count(&mut tx).await? > 0 {
            return Ok(None);
        }
        let code = crypto::new_setup_code();
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(SETUP_CODE_SETTING)
        .bind(crypto::hash_token(&crypto::normalize_setup_code(&code)))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(crypto::SecretValue::new(code.to_string())))
    }

    /// The setup page: with the code from the log, creates the first Owner. The code works
    /// once; a wrong code is recorded as a failed setup and counts against the address. Once
    /// users exist it refuses before anything else, and the password is hashed only after the
    /// code proved right: a stranger's calls cost a read, not an argon2 hash.
    pub async fn complete_setup(
        &self,
        code: &str,
        username: &str,
        password: &str,
        client_ip: Option<String>,
        policy: &Throttle,
    ) -> Result<Me, StoreError> {
        let username = checked_new_user(username, password)?;
        if self.user_count().await? > 0 {
            return Err(StoreError::AlreadySetUp);
        }
        let address = Counter::address(client_ip.as_deref().unwrap_or(""), policy);
        let attempt = self.reserve_attempt(vec![address], policy).await?;
        let actor = Actor::user(&username, Source::Panel, client_ip);
        let typed = crypto::hash_token(&crypto::normalize_setup_code(code));
        if !self.setup_code_matches(&typed).await? {
            let failed = Event {
                outcome: Outcome::Failure,
                ..Event::success(AuditAction::Setup, Target::other(&username))
            }
            .with_detail(attempt.failure_detail("wrong setup code", policy));
            self.record_event(&actor, &failed).await?;
            return Err(StoreError::WrongSetupCode);
        }
        let hash = match self.passwords.hash(password).await {
            Ok(hash) => hash,
            Err(e) => {
                attempt.refund(self).await;
                return Err(e);
            }
        };
        // Checked again under the write lock: another setup may have finished meanwhile.
        let mut tx = self.write_transaction().await?;
        if user_count(&mut tx).await? > 0 {
            return Err(StoreError::AlreadySetUp);
        }
        let stored = stored_setup_code(&mut tx).await?;
        if !stored.is_some_and(|stored| crypto::hashes_match(&stored, &typed)) {
            return Err(StoreError::WrongSetupCode);
        }
        let user = insert_user(&mut tx, &username, &hash, Role::Owner).await?;
        clear_setup_code(&mut tx).await?;
        audit::record(
            &mut tx,
            &actor,
            &Event::success(AuditAction::Setup, Target::other(&username)),
        )
        .await?;
        attempt.settle_success(&mut tx).await?;
        tx.commit().await?;
        Ok(Me {
            id: user.id,
            username: user.username,
            role: user.role,
        })
    }

    async fn setup_code_matches(&self, typed: &[u8]) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let stored = stored_setup_code(&mut conn).await?;
        Ok(stored.is_some_and(|stored| crypto::hashes_match(&stored, typed)))
    }

    pub async fn set_user_role(
        &self,
        by: &Actor,
        id: UserId,
        role: Role,
    ) -> Result<UserSummary, StoreError> {
        let mut tx = self.write_transaction().await?;
        let before = fetch_user(&mut tx, id).await?;
        sqlx::query("UPDATE users SET role = $1, modified_at = $2 WHERE id = $3")
            .bind(role.as_str())
            .bind(now().0)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        require_an_owner(&mut tx).await?;
        audit::record(
            &mut tx,
            by,
            &Event::success(AuditAction::UserRoleChange, Target::other(&before.username))
                .with_detail(format!("{} -> {role}", before.role)),
        )
        .await?;
        let user = fetch_user(&mut tx, id).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Disabling also ends the user's sessions at once.
    pub async fn set_user_disabled(
        &self,
        by: &Actor,
        id: UserId,
        disabled: bool,
    ) -> Result<UserSummary, StoreError> {
        let mut tx = self.write_transaction().await?;
        let before = fetch_user(&mut tx, id).await?;
        sqlx::query("UPDATE users SET disabled = $1, modified_at = $2 WHERE id = $3")
            .bind(disabled)
            .bind(now().0)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        require_an_owner(&mut tx).await?;
        if disabled {
            end_sessions(&mut tx, id, None).await?;
        }
        let action = if disabled {
            AuditAction::UserDisable
        } else {
            AuditAction::UserEnable
        };
        audit::record(
            &mut tx,
            by,
            &Event::success(action, Target::other(&before.username)),
        )
        .await?;
        let user = fetch_user(&mut tx, id).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// An Owner sets someone's password; their sessions end, so the old one is useless at once,
    /// and every sign-in lock on the account ends.
    pub async fn reset_password(
        &self,
        by: &Actor,
        id: UserId,
        password: &str,
    ) -> Result<(), StoreError> {
        check_new_password(password).map_err(|m| StoreError::invalid(Field::NewPassword, m))?;
        let hash = self.passwords.hash(password).await?;
        let mut tx = self.write_transaction().await?;
        let user = fetch_user(&mut tx, id).await?;
        set_password_hash(&mut tx, id, &hash).await?;
        end_sessions(&mut tx, id, None).await?;
        // The way back in for someone locked out by strangers' guesses.
        throttle::clear_account(&mut tx, &user.username).await?;
        audit::record(
            &mut tx,
            by,
            &Event::success(
                AuditAction::UserPasswordReset,
                Target::other(&user.username),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn user_count(conn: &mut Conn) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&mut *conn)
        .await?)
}

async fn insert_user(
    conn: &mut Conn,
    username: &str,
    hash: &str,
    role: Role,
) -> Result<UserSummary, StoreError> {
    let now = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, password_hash, role, disabled, created_at, modified_at) \
         VALUES ($1, $2, $3, 0, $4, $4) RETURNING id",
    )
    .bind(username)
    .bind(hash)
    .bind(role.as_str())
    .bind(now.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::DuplicateUser(username.to_owned())
        } else {
            e.into()
        }
    })?;
    Ok(UserSummary {
        id: UserId(id),
        username: username.to_owned(),
        role,
        disabled: false,
        created: now,
    })
}

async fn fetch_user(conn: &mut Conn, id: UserId) -> Result<UserSummary, StoreError> {
    let row: Option<UserRow> =
        sqlx::query_as("SELECT id, username, role, disabled, created_at FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
    row.ok_or(StoreError::UserNotFound)?.try_into()
}

/// Fails (and so rolls back the caller's change) when no enabled Owner would remain.
async fn require_an_owner(conn: &mut Conn) -> Result<(), StoreError> {
    let owners: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = $1 AND disabled = 0")
            .bind(Role::Owner.as_str())
            .fetch_one(&mut *conn)
            .await?;
    if owners == 0 {
        return Err(StoreError::LastOwner);
    }
    Ok(())
}

pub(super) async fn set_password_hash(
    conn: &mut Conn,
    id: UserId,
    hash: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET password_hash = $1, modified_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now().0)
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Ends a user's sessions, except `keep` (a session token hash).
pub(super) async fn end_sessions(
    conn: &mut Conn,
    id: UserId,
    keep: Option<&[u8]>,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(id.0)
        .bind(keep.unwrap_or_default())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn stored_setup_code(conn: &mut Conn) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(SETUP_CODE_SETTING)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

async fn clear_setup_code(conn: &mut Conn) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(SETUP_CODE_SETTING)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
