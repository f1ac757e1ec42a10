//! The one place where store errors become what the panel shows. Database and crypto causes
//! go to the server log under a reference; the browser gets only the reference.

use crate::error::PanelError;
use axum::http::{HeaderValue, StatusCode, header};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use shared::model::{Field, Role};
use store::{KeyAction, StoreError};

/// When a caller turned away because every core is busy with passwords should come back.
const BUSY_RETRY_SECS: i64 = 5;

impl From<StoreError> for PanelError {
    fn from(err: StoreError) -> Self {
        // Both say when to try again; a busy server is a 503 (the server's state, not the
        // caller's doing), which the panel error alone cannot tell from a throttled attempt.
        let retry = match err {
            StoreError::Throttled { retry_after_secs } => {
                Some((StatusCode::TOO_MANY_REQUESTS, retry_after_secs))
            }
            StoreError::Busy => Some((StatusCode::SERVICE_UNAVAILABLE, BUSY_RETRY_SECS)),
            _ => None,
        };
        let error = panel_error(err);
        if let Some((status, secs)) = retry {
            if let Some(response) = use_context::<ResponseOptions>() {
                response.insert_header(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
            }
            return fail(status, error);
        }
        // Only a real server fault is a 5xx.
        let status = match &error {
            PanelError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            PanelError::NotFound(_) => StatusCode::NOT_FOUND,
            PanelError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PanelError::Unauthorized | PanelError::SignInFailed => StatusCode::UNAUTHORIZED,
            PanelError::Forbidden(_) | PanelError::PasswordRequired => StatusCode::FORBIDDEN,
            PanelError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            PanelError::Internal(_) | PanelError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        fail(status, error)
    }
}

/// Sets the response's status and returns `error`: the status says what kind of failure it
/// was (the body says which).
pub(super) fn fail(status: StatusCode, error: PanelError) -> PanelError {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
    }
    error
}

fn panel_error(err: StoreError) -> PanelError {
    match err {
        StoreError::Invalid { field, message } => PanelError::Invalid { field, message },
        StoreError::DuplicateApplication(name) => PanelError::Invalid {
            field: Field::ApplicationName,
            message: format!(
                "An application named \"{name}\" already exists. Choose another name."
            ),
        },
        StoreError::DuplicateSecret(name) => PanelError::Invalid {
            field: Field::SecretName,
            message: format!(
                "A secret named \"{name}\" already exists in this application. Choose another name."
            ),
        },
        StoreError::DuplicateScenario(name) => PanelError::Invalid {
            field: Field::ScenarioName,
            message: format!(
                "A scenario named \"{name}\" already exists in this application. Choose another \
                 name."
            ),
        },
        StoreError::ScenarioNotFound => PanelError::NotFound(
            "This scenario no longer exists; it may have been deleted. Reload the page.".into(),
        ),
        StoreError::NothingToChange => PanelError::Invalid {
            field: Field::SecretValue,
            message: "Nothing to change: edit a field first.".into(),
        },
        StoreError::ApplicationNotFound => PanelError::NotFound(
            "This application no longer exists; it may have been deleted. Go back to Applications."
                .into(),
        ),
        StoreError::SecretNotFound => PanelError::NotFound(
            "This secret no longer exists; it may have been deleted. Reload the page.".into(),
        ),
        StoreError::ApplicationIdUnknown(_) | StoreError::ApplicationNameUnknown(_) => {
            PanelError::NotFound(
                "An application no longer exists; it may have been deleted. Reload the page."
                    .into(),
            )
        }
        StoreError::SecretIdUnknown(_) | StoreError::SecretNameUnknown(_) => PanelError::NotFound(
            "A secret no longer exists; it may have been deleted. Reload the page.".into(),
        ),
        StoreError::ServiceAccountNotFound(_) => PanelError::NotFound(
            "This service-account key no longer exists; it may have been revoked. Reload the page."
                .into(),
        ),
        StoreError::KeyRoleAboveOwn { own, key, action } => {
            PanelError::Forbidden(key_role_message(own, key, action))
        }
        StoreError::DuplicateUser(name) => PanelError::Invalid {
            field: Field::Username,
            message: format!("A user named \"{name}\" already exists. Choose another name."),
        },
        StoreError::UserNotFound => {
            PanelError::NotFound("This user no longer exists. Reload the page.".into())
        }
        StoreError::LastOwner => PanelError::Forbidden(
            "This would leave no enabled Owner, and only an Owner can manage users. Make another \
             user an Owner first."
                .into(),
        ),
        StoreError::WrongPassword => PanelError::Invalid {
            field: Field::Password,
            message: "The current password is wrong.".into(),
        },
        StoreError::WrongSetupCode => PanelError::Invalid {
            field: Field::SetupCode,
            message: "The setup code is wrong or was already used. Use the code in the latest \
                      server log."
                .into(),
        },
        StoreError::AlreadySetUp => {
            PanelError::Forbidden("Setup is done: users exist. Sign in instead.".into())
        }
        StoreError::SignInFailed => PanelError::SignInFailed,
        StoreError::Throttled { retry_after_secs } => PanelError::Throttled(format!(
            "Too many failed attempts. Wait {} minutes, then try again.",
            // Whole minutes, rounded up: "wait 0 minutes" would be wrong.
            (retry_after_secs + 59) / 60
        )),
        // A busy server is told apart by its status (503, see `From<StoreError>`).
        StoreError::Busy => PanelError::Throttled(
            "The server is busy checking other passwords. Try again in a few seconds.".into(),
        ),
        StoreError::Database(_) | StoreError::Crypto(_) | StoreError::Corrupt(_) => internal(&err),
    }
}

/// Logs `cause` under a fresh reference and returns the error that shows only the reference.
pub(super) fn internal(cause: &dyn std::fmt::Display) -> PanelError {
    let reference = store::fault_reference();
    tracing::error!(reference = %reference, error = %cause, "panel request failed");
    PanelError::Internal(reference)
}

/// Why a key was refused: the caller's role is below the key's.
pub(super) fn key_role_message(own: Role, key: Role, action: KeyAction) -> String {
    format!(
        "Your role ({own}) may not {action} a key with the {key} role: that takes {key} or higher."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use leptos::prelude::{Owner, provide_context};

    /// The status and `Retry-After` that converting `err` sets on the response.
    fn response_of(err: StoreError) -> (Option<StatusCode>, Option<String>) {
        let owner = Owner::new();
        owner.with(|| {
            let response = ResponseOptions::default();
            provide_context(response.clone());
            let _ = PanelError::from(err);
            let parts = response.0.read().expect("lock");
            let retry = parts
                .headers
                .get(header::RETRY_AFTER)
                .map(|v| v.to_str().expect("ascii").to_owned());
            (parts.status, retry)
        })
    }

    #[test]
    fn a_busy_server_is_a_503_with_retry_after_wherever_it_comes_from() {
        assert_eq!(
            response_of(StoreError::Busy),
            (
                Some(StatusCode::SERVICE_UNAVAILABLE),
                Some(BUSY_RETRY_SECS.to_string())
            )
        );
        assert_eq!(
            response_of(StoreError::Throttled {
                retry_after_secs: 42
            }),
            (Some(StatusCode::TOO_MANY_REQUESTS), Some("42".into()))
        );
        assert_eq!(
            response_of(StoreError::SignInFailed),
            (Some(StatusCode::UNAUTHORIZED), None)
        );
    }
}
