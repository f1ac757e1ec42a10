//! The Management API's error body and codes (spec: "Errors"), and the one mapping from store
//! errors to them. Every API error is HTTP 200 with `{"error": {"code", "msg"}}`, because the
//! official clients read only the body; a real fault is code 2 with a reference, and its cause
//! goes only to the log.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::model::Field;
use store::StoreError;

pub const AUTH_FAILED: i32 = 100;
pub const INVALID_ARGUMENT: i32 = 101;
pub const CMD_MISSING: i32 = 102;
pub const UNKNOWN_METHOD: i32 = 103;
pub const FORBIDDEN: i32 = 104;
pub const INVALID_APPLICATION_NAME: i32 = 107;
pub const UNKNOWN_APPLICATION_ID: i32 = 116;
pub const DUPLICATE_APPLICATION_NAME: i32 = 129;
pub const MISSING_PARAMETER: i32 = 134;
pub const DUPLICATE_SECRET_NAME: i32 = 493;
pub const UNKNOWN_APPLICATION_NAME: i32 = 558;
pub const INTERNAL: i32 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: i32,
    pub msg: String,
    /// Set when the request body was not read to its end: the connection cannot be reused.
    pub close_connection: bool,
}

impl ApiError {
    pub fn new(code: i32, msg: impl Into<String>) -> Self {
        ApiError {
            code,
            msg: msg.into(),
            close_connection: false,
        }
    }

    pub fn closing_connection(mut self) -> Self {
        self.close_connection = true;
        self
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        ApiError::new(INVALID_ARGUMENT, msg)
    }

    pub fn missing(name: &str) -> Self {
        ApiError::new(
            MISSING_PARAMETER,
            format!("The required parameter '{name}' is missing or empty."),
        )
    }

    pub fn auth(msg: impl Into<String>) -> Self {
        ApiError::new(AUTH_FAILED, format!("Authorization failed: {}", msg.into()))
    }

    /// Logs `cause` under a fresh request id and returns an error that shows only the id.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        let now = store::fault_reference();
        tracing::error!(request_id = %now, error = %cause, "Management API request failed");
        ApiError::new(
            INTERNAL,
            format!("Internal error; the server log has the details under request id {now}."),
        )
    }

    /// Maps a store error; `field_param` names the request parameter each validated field came
    /// from, so messages name what the caller sent.
    pub fn from_store(err: StoreError, field_param: impl Fn(Field) -> &'static str) -> Self {
        match err {
            StoreError::Invalid { field, message } => {
                let code = if field == Field::ApplicationName {
                    INVALID_APPLICATION_NAME
                } else {
                    INVALID_ARGUMENT
                };
                ApiError::new(code, format!("'{}': {message}", field_param(field)))
            }
            StoreError::DuplicateApplication(name) => ApiError::new(
                DUPLICATE_APPLICATION_NAME,
                format!("The 'application_name' is not unique: \"{name}\" already exists."),
            ),
            StoreError::DuplicateSecret(_) => {
                ApiError::new(DUPLICATE_SECRET_NAME, "The 'secret_name' is not unique.")
            }
            StoreError::ApplicationNotFound => ApiError::new(
                UNKNOWN_APPLICATION_ID,
                "The application does not exist ('application_id').",
            ),
            StoreError::ApplicationIdUnknown(id) => ApiError::new(
                UNKNOWN_APPLICATION_ID,
                format!("'application_id': application {id} does not exist."),
            ),
            StoreError::ApplicationNameUnknown(name) => ApiError::new(
                UNKNOWN_APPLICATION_NAME,
                format!("'application_name': no application is named \"{name}\"."),
            ),
            StoreError::SecretNotFound => {
                ApiError::invalid("'secret_id': the secret does not exist in this application.")
            }
            StoreError::SecretIdUnknown(id) => ApiError::invalid(format!(
                "'secret_id': secret {id} does not exist in this application."
            )),
            StoreError::SecretNameUnknown(name) => ApiError::invalid(format!(
                "'secret_name': no secret is named \"{name}\" in this application."
            )),
            StoreError::NothingToChange => ApiError::new(
                MISSING_PARAMETER,
                "Nothing to change: give at least one of 'new_secret_name', 'secret_value', \
                 'description'.",
            ),
            // Users, sessions and keys are not reachable through this API.
            StoreError::ServiceAccountNotFound(_)
            | StoreError::KeyRoleAboveOwn { .. }
            | StoreError::DuplicateScenario(_)
            | StoreError::ScenarioNotFound
            | StoreError::DuplicateUser(_)
            | StoreError::UserNotFound
            | StoreError::LastOwner
            | StoreError::WrongPassword
            | StoreError::WrongSetupCode
            | StoreError::AlreadySetUp
            | StoreError::SignInFailed
            | StoreError::Throttled { .. }
            | StoreError::Busy
            | StoreError::Database(_)
            | StoreError::Crypto(_)
            | StoreError::Corrupt(_) => ApiError::internal(&err),
        }
    }
}

/// The parameter each validated field comes from, for methods that use the plain names.
pub fn plain_param(field: Field) -> &'static str {
    match field {
        Field::ApplicationName => "application_name",
        Field::SecretName => "secret_name",
        Field::SecretValue => "secret_value",
        Field::Description => "description",
        Field::ScenarioName => "scenario_name",
        Field::ScenarioCode => "scenario_script",
        Field::Username | Field::Password | Field::NewPassword | Field::SetupCode => "",
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        ApiError::from_store(err, plain_param)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response =
            Json(json!({ "error": { "code": self.code, "msg": self.msg } })).into_response();
        if self.close_connection {
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        response
    }
}
