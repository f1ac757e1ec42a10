//! The one place where store errors become what the panel shows. Database and crypto causes
//! go to the server log under a reference; the browser gets only the reference.

use crate::error::PanelError;
use crate::model::Field;
use crate::store::StoreError;
use axum::http::StatusCode;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

impl From<StoreError> for PanelError {
    fn from(err: StoreError) -> Self {
        let error = panel_error(err);
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
        StoreError::DuplicateApplication(_) => PanelError::Invalid {
            field: Field::ApplicationName,
            message: err.to_string(),
        },
        StoreError::DuplicateSecret(_) => PanelError::Invalid {
            field: Field::SecretName,
            message: err.to_string(),
        },
        StoreError::DuplicateScenario(_) => PanelError::Invalid {
            field: Field::ScenarioName,
            message: err.to_string(),
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
        StoreError::KeyRoleAboveOwn { .. } => PanelError::Forbidden(err.to_string()),
        StoreError::DuplicateUser(_) => PanelError::Invalid {
            field: Field::Username,
            message: err.to_string(),
        },
        StoreError::UserNotFound => {
            PanelError::NotFound("This user no longer exists. Reload the page.".into())
        }
        StoreError::LastOwner => PanelError::Forbidden(err.to_string()),
        StoreError::WrongPassword => PanelError::Invalid {
            field: Field::Password,
            message: err.to_string(),
        },
        StoreError::WrongSetupCode => PanelError::Invalid {
            field: Field::SetupCode,
            message: err.to_string(),
        },
        StoreError::AlreadySetUp => PanelError::Forbidden(err.to_string()),
        StoreError::SignInFailed => PanelError::SignInFailed,
        // A busy server is told apart by its status (503, see `session::password_error`).
        StoreError::Throttled { .. } | StoreError::Busy => PanelError::Throttled(err.to_string()),
        StoreError::Database(_) | StoreError::Crypto(_) | StoreError::Corrupt(_) => internal(&err),
    }
}

/// Logs `cause` under a fresh reference and returns the error that shows only the reference.
pub(super) fn internal(cause: &dyn std::fmt::Display) -> PanelError {
    let now = chrono::Utc::now();
    let reference = format!("{:x}{:08x}", now.timestamp(), now.timestamp_subsec_nanos());
    tracing::error!(reference = %reference, error = %cause, "panel request failed");
    PanelError::Internal(reference)
}
