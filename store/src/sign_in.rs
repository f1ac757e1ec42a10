//! The sign-in policy, one operation per door: signing in, the step-up of a signed-in session,
//! and changing one's own password. Each checks the input before it writes anything, reserves
//! the attempt (`throttle`) before the password is checked, waits its turn for argon2
//! (`passwords`), records the outcome, and settles the reservation.
//!
//! Sign-in counts failures per account *and address* and per address, so strangers elsewhere
//! cannot lock an owner out. A signed-in session's password checks count per session: an
//! account locked for anonymous callers does not stop its own sessions from stepping up.

use super::audit::{self, Actor, Event, Target};
use super::sessions::{NewSession, Session, insert_session};
use super::throttle::{Attempt, Counter, Throttle};
use super::users::{end_sessions, set_password_hash};
use super::{SecretStore, StoreError, now};
use shared::model::{AuditAction, Field, Me, Outcome, Source, UserId};
use shared::validation::{
    PASSWORD_MAX_CHARS, check_new_password, check_username, normalize_username,
};

/// A successful sign-in: who, and the session whose tokens go into the cookies.
pub struct SignedIn {
    pub user: Me,
    pub session: NewSession,
}

/// A typed password longer than any password can be is refused before anything else (it
/// could never match: `check_new_password` caps every stored one).
fn check_typed_password(password: &str, field: Field) -> Result<(), StoreError> {
    let len = password.chars().count();
    if len > PASSWORD_MAX_CHARS {
        return Err(StoreError::invalid(
            field,
            format!("The password is {len} characters long; the limit is {PASSWORD_MAX_CHARS}."),
        ));
    }
    Ok(())
}

impl SecretStore {
    /// Signs `username` in from `client_ip`: `Invalid` for a username no account can have
    /// (nothing is written), `Throttled` past a limit (only a counter moves), `Busy` when no
    /// core frees up in time (the attempt does not count), `SignInFailed` for a wrong name or
    /// password (recorded, and counted), else the new session (recorded).
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        client_ip: Option<&str>,
        policy: &Throttle,
    ) -> Result<SignedIn, StoreError> {
        let username = normalize_username(username);
        check_username(&username).map_err(|m| StoreError::invalid(Field::Username, m))?;
        check_typed_password(password, Field::Password)?;
        let mut counters = Vec::with_capacity(2);
        if let Some(ip) = client_ip {
            counters.push(Counter::address(ip, policy));
        }
        counters.push(Counter::account(&username, client_ip, policy));
        let attempt = self.reserve_attempt(counters, policy).await?;
        let actor = Actor::user(&username, Source::Panel, client_ip.map(str::to_owned));
        let user = match self.authenticate(&username, password).await {
            Ok(user) => user,
            Err(e) => return Err(refunded(self, attempt, e).await),
        };
        let Some(user) = user else {
            let failed = Event {
                action: AuditAction::SignIn,
                outcome: Outcome::Failure,
                target: Target::other(&username),
                detail: attempt.failure_detail("", policy),
            };
            self.record_event(&actor, &failed).await?;
            return Err(StoreError::SignInFailed);
        };
        let mut tx = self.write_transaction().await?;
        let session = insert_session(&mut tx, &user, &actor).await?;
        attempt.settle_success(&mut tx).await?;
        tx.commit().await?;
        Ok(SignedIn { user, session })
    }

    /// The step-up: the session's user types their password again, which allows revealing
    /// values for a while. `WrongPassword` (recorded) when it is not theirs; `Throttled`
    /// after too many wrong ones in this session.
    pub async fn confirm_password(
        &self,
        session: &Session,
        password: &str,
        by: &Actor,
        policy: &Throttle,
    ) -> Result<(), StoreError> {
        check_typed_password(password, Field::Password)?;
        let attempt = self
            .reserve_attempt(vec![Counter::session(&session.token_hash, policy)], policy)
            .await?;
        let matches = match self.password_matches(session.user.id, password).await {
            Ok(matches) => matches,
            Err(e) => return Err(refunded(self, attempt, e).await),
        };
        let target = Target::other(&session.user.username);
        if !matches {
            let failed = Event {
                action: AuditAction::PasswordConfirm,
                outcome: Outcome::Failure,
                target,
                detail: attempt.failure_detail("", policy),
            };
            self.record_event(by, &failed).await?;
            return Err(StoreError::WrongPassword);
        }
        let mut tx = self.write_transaction().await?;
        sqlx::query("UPDATE sessions SET password_at = $1 WHERE token_hash = $2")
            .bind(now().0)
            .bind(&session.token_hash)
            .execute(&mut *tx)
            .await?;
        let event = Event::success(AuditAction::PasswordConfirm, target);
        audit::record(&mut tx, by, &event).await?;
        attempt.settle_success(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A user changes their own password, proving the current one; wrong ones are recorded
    /// and count like step-up failures of `session`, so a stolen session is no way to guess
    /// it. Their other sessions end; `session` (the one making the change) stays.
    pub async fn change_own_password(
        &self,
        by: &Actor,
        session: &Session,
        current: &str,
        new: &str,
        policy: &Throttle,
    ) -> Result<(), StoreError> {
        check_new_password(new).map_err(|m| StoreError::invalid(Field::NewPassword, m))?;
        check_typed_password(current, Field::Password)?;
        let id = session.user.id;
        let attempt = self
            .reserve_attempt(vec![Counter::session(&session.token_hash, policy)], policy)
            .await?;
        let checked = self.password_matches(id, current).await;
        let hash = match checked {
            Ok(true) => self.passwords.hash(new).await,
            Ok(false) => {
                let failed = Event {
                    action: AuditAction::PasswordChange,
                    outcome: Outcome::Failure,
                    target: Target::other(&session.user.username),
                    detail: attempt.failure_detail("wrong current password", policy),
                };
                self.record_event(by, &failed).await?;
                return Err(StoreError::WrongPassword);
            }
            Err(e) => Err(e),
        };
        let hash = match hash {
            Ok(hash) => hash,
            Err(e) => return Err(refunded(self, attempt, e).await),
        };
        let mut tx = self.write_transaction().await?;
        let username = user_name(&mut tx, id).await?;
        set_password_hash(&mut tx, id, &hash).await?;
        end_sessions(&mut tx, id, Some(&session.token_hash)).await?;
        let event = Event::success(AuditAction::PasswordChange, Target::other(&username));
        audit::record(&mut tx, by, &event).await?;
        attempt.settle_success(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether `password` is the enabled user `id`'s (through the argon2 gate).
    pub async fn password_matches(&self, id: UserId, password: &str) -> Result<bool, StoreError> {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1 AND disabled = 0")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        match stored {
            Some(_) => self.passwords.verify(password, stored).await,
            None => Ok(false),
        }
    }
}

/// `err`, after giving back an attempt whose password was never checked (a busy server or a
/// database fault is not the caller's guess).
async fn refunded(store: &SecretStore, attempt: Attempt, err: StoreError) -> StoreError {
    attempt.refund(store).await;
    err
}

async fn user_name(conn: &mut crate::backend::Conn, id: UserId) -> Result<String, StoreError> {
    let name: Option<String> = sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?;
    name.ok_or(StoreError::UserNotFound)
}
