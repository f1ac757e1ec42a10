//! Signing in and out, first-run setup, the password step-up, and changing one's password.

use leptos::prelude::*;

use crate::auth::PanelClient;
use crate::error::PanelError;
use crate::model::{Me, SetupStatus};

#[cfg(feature = "ssr")]
use {
    super::errors::fail,
    super::guard::{Anyone, anyone, require},
    crate::model::{AuditAction, Outcome, Permission, Source},
    crate::store::{Actor, Event, THROTTLED_DETAIL, Target},
    axum::http::{StatusCode, header},
};

/// The signed-in user, or `None`.
#[server(endpoint = "current_user", client = PanelClient)]
pub async fn current_user() -> Result<Option<Me>, PanelError> {
    Ok(anyone()?.auth.session.map(|session| session.user))
}

/// Whether the first Owner still has to be created.
#[server(endpoint = "sign_in_state", client = PanelClient)]
pub async fn sign_in_state() -> Result<SetupStatus, PanelError> {
    Ok(if anyone()?.store.user_count().await? == 0 {
        SetupStatus::NeedsSetup
    } else {
        SetupStatus::Ready
    })
}

/// Checks the password and starts a session (cookies set on the response). Every attempt is
/// audited; after too many failures the account or address is refused for a while, with the
/// same answer whether or not the password was right.
#[server(endpoint = "sign_in", client = PanelClient)]
pub async fn sign_in(username: String, password: String) -> Result<Me, PanelError> {
    let Anyone {
        store,
        config,
        auth,
    } = anyone()?;
    let username = crate::validation::normalize_username(&username);
    let actor = Actor::user(&username, Source::Panel, auth.client_ip.clone());
    let attempt = |outcome, detail: &str| Event {
        action: AuditAction::SignIn,
        outcome,
        target: Target::other(&username),
        detail: detail.to_owned(),
    };
    if throttled(&store, &config, &username, auth.client_ip.as_deref()).await? {
        store
            .record_event(&actor, &attempt(Outcome::Failure, THROTTLED_DETAIL))
            .await?;
        return Err(throttled_error(&config));
    }
    let Some(user) = store.authenticate(&username, &password).await? else {
        store
            .record_event(&actor, &attempt(Outcome::Failure, ""))
            .await?;
        return Err(fail(StatusCode::UNAUTHORIZED, PanelError::SignInFailed));
    };
    let session = store.create_session(&user, &actor).await?;
    set_cookies(config.session_cookies(&session));
    Ok(user)
}

/// First run: the setup code from the server log creates the first Owner, who is then signed
/// in.
#[server(endpoint = "complete_setup", client = PanelClient)]
pub async fn complete_setup(
    code: String,
    username: String,
    password: String,
) -> Result<Me, PanelError> {
    let Anyone {
        store,
        config,
        auth,
    } = anyone()?;
    // Setup failures count like sign-in failures from this address, so the code cannot be
    // guessed at speed.
    if throttled(&store, &config, "", auth.client_ip.as_deref()).await? {
        return Err(throttled_error(&config));
    }
    let user = store
        .complete_setup(&code, &username, &password, auth.client_ip.clone())
        .await?;
    let actor = Actor::user(&user.username, Source::Panel, auth.client_ip);
    let session = store.create_session(&user, &actor).await?;
    set_cookies(config.session_cookies(&session));
    Ok(user)
}

/// Ends this session everywhere at once and clears the cookies.
#[server(endpoint = "sign_out", client = PanelClient)]
pub async fn sign_out() -> Result<(), PanelError> {
    let caller = require(Permission::ViewMetadata).await?;
    caller
        .store
        .end_session(&caller.session, &caller.actor)
        .await?;
    set_cookies(caller.config.cleared_cookies());
    Ok(())
}

/// The step-up: the password again, which allows revealing and copying values for the next
/// few minutes. Failures count towards sign-in throttling.
#[server(endpoint = "confirm_password", client = PanelClient)]
pub async fn confirm_password(password: String) -> Result<(), PanelError> {
    let caller = require(Permission::ViewMetadata).await?;
    let username = caller.session.user.username.clone();
    let client_ip = caller.actor.client_ip.clone();
    if throttled(
        &caller.store,
        &caller.config,
        &username,
        client_ip.as_deref(),
    )
    .await?
    {
        return Err(throttled_error(&caller.config));
    }
    if !caller
        .store
        .password_matches(caller.session.user.id, &password)
        .await?
    {
        let failed = Event {
            action: AuditAction::PasswordConfirm,
            outcome: Outcome::Failure,
            target: Target::other(&username),
            detail: String::new(),
        };
        caller.store.record_event(&caller.actor, &failed).await?;
        return Err(fail(
            StatusCode::UNAUTHORIZED,
            PanelError::Invalid {
                field: crate::model::Field::Password,
                message: "That is not your password.".into(),
            },
        ));
    }
    Ok(caller
        .store
        .confirm_password(&caller.session, &caller.actor)
        .await?)
}

/// Any signed-in user changes their own password; their other sessions end.
#[server(endpoint = "change_password", client = PanelClient)]
pub async fn change_password(current: String, new: String) -> Result<(), PanelError> {
    let caller = require(Permission::ViewMetadata).await?;
    let username = caller.session.user.username.clone();
    let client_ip = caller.actor.client_ip.clone();
    // A stolen session must not become a way to guess the password: wrong current passwords
    // are audited and throttled like failed sign-ins.
    if throttled(
        &caller.store,
        &caller.config,
        &username,
        client_ip.as_deref(),
    )
    .await?
    {
        return Err(throttled_error(&caller.config));
    }
    let result = caller
        .store
        .change_own_password(
            &caller.actor,
            caller.session.user.id,
            &current,
            &new,
            &caller.session.token_hash,
        )
        .await;
    if let Err(crate::store::StoreError::WrongPassword) = result {
        let failed = Event {
            action: AuditAction::PasswordChange,
            outcome: Outcome::Failure,
            target: Target::other(&username),
            detail: "wrong current password".to_owned(),
        };
        caller.store.record_event(&caller.actor, &failed).await?;
    }
    Ok(result?)
}

#[cfg(feature = "ssr")]
fn set_cookies(cookies: [axum::http::HeaderValue; 2]) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        for cookie in cookies {
            response.append_header(header::SET_COOKIE, cookie);
        }
    }
}

/// Whether `username` or `client_ip` has had too many failed attempts lately.
#[cfg(feature = "ssr")]
async fn throttled(
    store: &crate::store::SecretStore,
    config: &crate::auth::AuthConfig,
    username: &str,
    client_ip: Option<&str>,
) -> Result<bool, PanelError> {
    let limits = config.throttle;
    let since = crate::model::Timestamp(chrono::Utc::now().timestamp() - limits.window_secs);
    let (for_account, from_ip) = store.sign_in_failures(since, username, client_ip).await?;
    Ok(for_account >= limits.per_account || from_ip >= limits.per_ip)
}

#[cfg(feature = "ssr")]
fn throttled_error(config: &crate::auth::AuthConfig) -> PanelError {
    let minutes = (config.throttle.window_secs + 59) / 60;
    fail(
        StatusCode::TOO_MANY_REQUESTS,
        PanelError::Throttled(format!(
            "Too many failed attempts. Wait {minutes} minutes, then try again."
        )),
    )
}
