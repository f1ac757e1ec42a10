//! The check every server function starts with: who is calling (the session the server's
//! session layer found), and whether their role allows what they ask. A refusal is audited.

use super::errors::fail;
use crate::auth::{AuthConfig, RequestAuth};
use crate::error::PanelError;
use axum::http::StatusCode;
use axum::http::request::Parts;
use leptos::prelude::use_context;
use shared::model::{Permission, Role, Source};
use store::{Actor, SecretStore, Session};

/// A signed-in caller whose role allows the permission asked for.
pub(super) struct Caller {
    pub store: SecretStore,
    pub config: AuthConfig,
    pub session: Session,
    /// The caller as the audit log names them.
    pub actor: Actor,
}

/// Any caller, signed in or not (sign-in, setup, "who am I").
pub(super) struct Anyone {
    pub store: SecretStore,
    pub config: AuthConfig,
    pub auth: RequestAuth,
}

pub(super) fn anyone() -> Result<Anyone, PanelError> {
    Ok(Anyone {
        store: super::store()?,
        config: use_context::<AuthConfig>().unwrap_or_default(),
        auth: use_context::<Parts>()
            .and_then(|parts| parts.extensions.get::<RequestAuth>().cloned())
            .unwrap_or_default(),
    })
}

/// The signed-in caller, if their role has `permission`; otherwise 401 (no session) or 403.
pub(super) async fn require(permission: Permission) -> Result<Caller, PanelError> {
    let Anyone {
        store,
        config,
        auth,
    } = anyone()?;
    let Some(session) = auth.session else {
        return Err(fail(StatusCode::UNAUTHORIZED, PanelError::Unauthorized));
    };
    let actor = Actor::user(&session.user.username, Source::Panel, auth.client_ip);
    let caller = Caller {
        store,
        config,
        session,
        actor,
    };
    let role = caller.session.user.role;
    if !role.allows(permission) {
        let needed = Role::needed_for(permission);
        return Err(deny(
            &caller,
            format!("role {role}, needs {needed}"),
            format!(
                "Your role ({role}) may not do this: it needs {needed} or higher. Ask an Owner to \
                 change your role."
            ),
        )
        .await);
    }
    Ok(caller)
}

/// Refuses the caller's request with 403 and `message`, leaving a `denied` record (with
/// `detail` for the log's reader) that names the server function tried.
pub(super) async fn deny(caller: &Caller, detail: String, message: String) -> PanelError {
    let tried = use_context::<Parts>()
        .map(|parts| parts.uri.path().to_owned())
        .unwrap_or_default();
    if let Err(err) = caller
        .store
        .record_denied(&caller.actor, &tried, detail)
        .await
    {
        return err.into();
    }
    fail(StatusCode::FORBIDDEN, PanelError::Forbidden(message))
}

/// Values (and run logs, which may quote them) need the password typed within the step-up
/// window, on top of a role that may read values.
pub(super) fn require_fresh_password(caller: &Caller) -> Result<(), PanelError> {
    if caller
        .config
        .step_up_fresh(&caller.session, chrono::Utc::now().timestamp())
    {
        Ok(())
    } else {
        Err(fail(StatusCode::FORBIDDEN, PanelError::PasswordRequired))
    }
}
