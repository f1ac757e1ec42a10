//! The error the panel's server functions return, as the browser sees it. The message a user
//! reads is kept apart from any internal cause, which only the server log gets.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};
use shared::model::Field;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum PanelError {
    /// A rule was broken: the message belongs next to this field of the form.
    #[error("{message}")]
    Invalid { field: Field, message: String },
    /// The application or secret no longer exists (deleted in another tab, perhaps).
    #[error("{0}")]
    NotFound(String),
    /// A server fault. The reference matches a line in the server log; the cause stays there.
    #[error(
        "Something went wrong on the server (reference {0}). Try again; if it keeps happening, \
         look for this reference in the server log."
    )]
    Internal(String),
    /// No live session: never signed in, signed out, timed out, or the user was disabled.
    #[error("Your session has ended. Sign in again to continue.")]
    Unauthorized,
    /// Signed in, but the role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// Revealing or copying a value needs the password typed within the last few minutes.
    #[error("Enter your password to continue.")]
    PasswordRequired,
    /// A sign-in (or password check) that failed, with no hint of which part was wrong.
    #[error("Wrong username or password.")]
    SignInFailed,
    /// Too many failed attempts recently (status 429), or every core busy checking passwords
    /// (503); the message says which, and `Retry-After` when to try again.
    #[error("{0}")]
    Throttled(String),
    /// The request itself was malformed (a hand-made call with a missing or non-numeric id, say).
    #[error("The request was malformed: {0}")]
    BadRequest(String),
    /// The request never got a proper answer (server down, connection lost, bad response).
    #[error("Could not reach the Strongroom server ({0}). Check that it is running and try again.")]
    Transport(String),
}

impl PanelError {
    /// The message for `field`, if this error is about that field.
    pub fn for_field(&self, field: Field) -> Option<String> {
        match self {
            PanelError::Invalid { field: f, message } if *f == field => Some(message.clone()),
            _ => None,
        }
    }

    /// The message to show at the form level, when the error belongs to no single field.
    pub fn general(&self) -> Option<String> {
        match self {
            PanelError::Invalid { .. } => None,
            other => Some(other.to_string()),
        }
    }
}

impl FromServerFnError for PanelError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Raised on the server while decoding the arguments: the caller's fault, not ours.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                #[cfg(feature = "ssr")]
                if let Some(response) =
                    leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
                {
                    response.set_status(axum::http::StatusCode::BAD_REQUEST);
                }
                PanelError::BadRequest(value.to_string())
            }
            other => PanelError::Transport(other.to_string()),
        }
    }
}
