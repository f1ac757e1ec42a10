//! Server-side sessions: the cookie carries a random token, the table its SHA-256, so every
//! session can be listed, ended and expired from here.

use super::audit::{self, Actor, Event, Target};
use super::crypto;
use super::{SecretStore, StoreError, now, parse_role};
use crate::backend::Conn;
use shared::model::{AuditAction, Me, Timestamp, UserId};
use zeroize::Zeroizing;

/// A live session, as the request that presented its token sees it.
#[derive(Clone, Debug)]
pub struct Session {
    pub token_hash: Vec<u8>,
    pub user: Me,
    pub csrf_token: String,
    pub created: Timestamp,
    pub last_seen: Timestamp,
    /// When the user last typed their password in this session.
    pub password_at: Timestamp,
}

/// What a new session hands to the browser: both go into cookies, neither is stored.
pub struct NewSession {
    pub token: Zeroizing<String>,
    pub csrf_token: String,
}

/// How long sessions live. Checked on every request, so a change of policy applies at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    /// A session unused this long ends.
    pub idle_secs: i64,
    /// No session outlives this, used or not.
    pub lifetime_secs: i64,
}

/// `last_seen_at` is written at most this often: a page view should not always be a write.
const LAST_SEEN_RESOLUTION_SECS: i64 = 60;

impl SecretStore {
    /// Starts a session for a user who just proved their password (first-run setup; sign-in
    /// goes through `sign_in`); audited as a successful sign-in.
    pub async fn create_session(&self, user: &Me, by: &Actor) -> Result<NewSession, StoreError> {
        let mut tx = self.write_transaction().await?;
        let session = insert_session(&mut tx, user, by).await?;
        tx.commit().await?;
        Ok(session)
    }

    /// The session `token` belongs to, if it is live: known, within both time limits, and its
    /// user enabled. Marks it as seen.
    pub async fn session(
        &self,
        token: &str,
        limits: SessionLimits,
    ) -> Result<Option<Session>, StoreError> {
        let hash = crypto::hash_token(token);
        let now = now().0;
        let row: Option<(i64, String, String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT u.id, u.username, u.role, s.csrf_token, s.created_at, s.last_seen_at, \
             s.password_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND u.disabled = 0 \
             AND s.last_seen_at > $2 AND s.created_at > $3",
        )
        .bind(&hash)
        .bind(now - limits.idle_secs)
        .bind(now - limits.lifetime_secs)
        .fetch_optional(&self.pool)
        .await?;
        let Some((id, username, role, csrf_token, created, last_seen, password_at)) = row else {
            return Ok(None);
        };
        if now - last_seen >= LAST_SEEN_RESOLUTION_SECS {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(&hash)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(Session {
            token_hash: hash,
            user: Me {
                id: UserId(id),
                username,
                role: parse_role(&role, "users")?,
            },
            csrf_token,
            created: Timestamp(created),
            last_seen: Timestamp(last_seen),
            password_at: Timestamp(password_at),
        }))
    }

    /// Sign-out: the token stops working at once, on every replica.
    pub async fn end_session(&self, session: &Session, by: &Actor) -> Result<(), StoreError> {
        let mut tx = self.write_transaction().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&session.token_hash)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            by,
            &Event::success(AuditAction::SignOut, Target::other(&session.user.username)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes sessions past either limit (they are refused anyway; this keeps the table small).
    pub async fn delete_expired_sessions(&self, limits: SessionLimits) -> Result<u64, StoreError> {
        let now = now().0;
        Ok(
            sqlx::query("DELETE FROM sessions WHERE last_seen_at <= $1 OR created_at <= $2")
                .bind(now - limits.idle_secs)
                .bind(now - limits.lifetime_secs)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}

/// Inserts a new session for `user` and its sign-in record, inside the caller's transaction.
pub(super) async fn insert_session(
    conn: &mut Conn,
    user: &Me,
    by: &Actor,
) -> Result<NewSession, StoreError> {
    let token = crypto::new_token();
    let csrf_token = crypto::new_token().to_string();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, \
         password_at) VALUES ($1, $2, $3, $4, $4, $4)",
    )
    .bind(crypto::hash_token(&token))
    .bind(user.id.0)
    .bind(&csrf_token)
    .bind(now().0)
    .execute(&mut *conn)
    .await?;
    let event = Event::success(AuditAction::SignIn, Target::other(&user.username));
    audit::record(conn, by, &event).await?;
    Ok(NewSession { token, csrf_token })
}
