//! Signing in and out, first-run setup, the password step-up, and changing one's password.
//! The policy (limits, throttling, records) is the store's: these adapt it to HTTP.

use leptos::prelude::*;

use crate::auth::PanelClient;
use crate::error::PanelError;
use shared::model::{Me, SetupStatus};

#[cfg(feature = "ssr")]
use {
    super::errors::fail,
    super::guard::{Anyone, anyone, require},
    axum::http::{StatusCode, header},
    shared::model::Permission,
    store::StoreError,
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

/// Checks the password and starts a session (cookies set on the response). Every checked
/// attempt is audited; after too many failures the account (from this address) or the
/// address is refused for a while, with the same answer whether or not the password was
/// right.
#[server(endpoint = "sign_in", client = PanelClient)]
pub async fn sign_in(username: String, password: String) -> Result<Me, PanelError> {
    let Anyone {
        store,
        config,
        auth,
    } = anyone()?;
    let signed_in = store
        .sign_in(
            &username,
            &password,
            auth.client_ip.as_deref(),
            &config.throttle,
        )
        .await
        .map_err(|err| match err {
            // No account has such a name (or password): a malformed request, not a guess.
            StoreError::Invalid { .. } => fail(StatusCode::BAD_REQUEST, err.into()),
            StoreError::SignInFailed => fail(StatusCode::UNAUTHORIZED, PanelError::SignInFailed),
            other => other.into(),
        })?;
    set_cookies(config.session_cookies(&signed_in.session));
    Ok(signed_in.user)
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
    let user = store
        .complete_setup(
            &code,
            &username,
            &password,
            auth.client_ip.clone(),
            &config.throttle,
        )
        .await?;
    let actor = store::Actor::user(&user.username, shared::model::Source::Panel, auth.client_ip);
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
/// few minutes. Wrong passwords are throttled per session.
#[server(endpoint = "confirm_password", client = PanelClient)]
pub async fn confirm_password(password: String) -> Result<(), PanelError> {
    let caller = require(Permission::ViewMetadata).await?;
    caller
        .store
        .confirm_password(
            &caller.session,
            &password,
            &caller.actor,
            &caller.config.throttle,
        )
        .await
        .map_err(|err| match err {
            StoreError::WrongPassword => fail(
                StatusCode::UNAUTHORIZED,
                PanelError::Invalid {
                    field: shared::model::Field::Password,
                    message: "That is not your password.".into(),
                },
            ),
            other => other.into(),
        })
}

/// Any signed-in user changes their own password; their other sessions end.
#[server(endpoint = "change_password", client = PanelClient)]
pub async fn change_password(current: String, new: String) -> Result<(), PanelError> {
    let caller = require(Permission::ViewMetadata).await?;
    caller
        .store
        .change_own_password(
            &caller.actor,
            &caller.session,
            &current,
            &new,
            &caller.config.throttle,
        )
        .await
        .map_err(PanelError::from)
}

#[cfg(feature = "ssr")]
fn set_cookies(cookies: [axum::http::HeaderValue; 2]) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        for cookie in cookies {
            response.append_header(header::SET_COOKIE, cookie);
        }
    }
}
