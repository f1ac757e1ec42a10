//! The audit log as the panel shows it. A record never holds a secret value.

use super::{ApplicationId, SecretId, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What happened. The stored form (`as_str`) is stable: filters and old records depend on it.
/// It is also the serialized form, so a query names an action as the records do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    SignIn,
    SignOut,
    Setup,
    PasswordConfirm,
    PasswordChange,
    SecretCreate,
    SecretUpdate,
    SecretRename,
    SecretDelete,
    SecretRead,
    ApplicationCreate,
    ApplicationRename,
    ApplicationDelete,
    UserCreate,
    UserRoleChange,
    UserDisable,
    UserEnable,
    UserPasswordReset,
    ServiceAccountCreate,
    ServiceAccountRevoke,
    ApiKeyRegenerate,
    ScenarioCreate,
    ScenarioUpdate,
    ScenarioDelete,
    ScenarioRun,
    /// A request refused for lack of a role (the `target` says what was tried).
    Denied,
}

impl AuditAction {
    pub const ALL: [AuditAction; 26] = [
        AuditAction::SignIn,
        AuditAction::SignOut,
        AuditAction::Setup,
        AuditAction::PasswordConfirm,
        AuditAction::PasswordChange,
        AuditAction::SecretCreate,
        AuditAction::SecretUpdate,
        AuditAction::SecretRename,
        AuditAction::SecretDelete,
        AuditAction::SecretRead,
        AuditAction::ApplicationCreate,
        AuditAction::ApplicationRename,
        AuditAction::ApplicationDelete,
        AuditAction::UserCreate,
        AuditAction::UserRoleChange,
        AuditAction::UserDisable,
        AuditAction::UserEnable,
        AuditAction::UserPasswordReset,
        AuditAction::ServiceAccountCreate,
        AuditAction::ServiceAccountRevoke,
        AuditAction::ApiKeyRegenerate,
        AuditAction::ScenarioCreate,
        AuditAction::ScenarioUpdate,
        AuditAction::ScenarioDelete,
        AuditAction::ScenarioRun,
        AuditAction::Denied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignOut => "sign_out",
            AuditAction::Setup => "setup",
            AuditAction::PasswordConfirm => "password.confirm",
            AuditAction::PasswordChange => "password.change",
            AuditAction::SecretCreate => "secret.create",
            AuditAction::SecretUpdate => "secret.update",
            AuditAction::SecretRename => "secret.rename",
            AuditAction::SecretDelete => "secret.delete",
            AuditAction::SecretRead => "secret.read",
            AuditAction::ApplicationCreate => "application.create",
            AuditAction::ApplicationRename => "application.rename",
            AuditAction::ApplicationDelete => "application.delete",
            AuditAction::UserCreate => "user.create",
            AuditAction::UserRoleChange => "user.role",
            AuditAction::UserDisable => "user.disable",
            AuditAction::UserEnable => "user.enable",
            AuditAction::UserPasswordReset => "user.password_reset",
            AuditAction::ServiceAccountCreate => "service_account.create",
            AuditAction::ServiceAccountRevoke => "service_account.revoke",
            AuditAction::ApiKeyRegenerate => "api_key.regenerate",
            AuditAction::ScenarioCreate => "scenario.create",
            AuditAction::ScenarioUpdate => "scenario.update",
            AuditAction::ScenarioDelete => "scenario.delete",
            AuditAction::ScenarioRun => "scenario.run",
            AuditAction::Denied => "denied",
        }
    }

    pub fn parse(stored: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == stored)
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for AuditAction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AuditAction {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let stored = std::borrow::Cow::<'de, str>::deserialize(d)?;
        AuditAction::parse(&stored).ok_or_else(|| {
            serde::de::Error::custom(format_args!("there is no audit action called {stored:?}"))
        })
    }
}

/// Through which door a request came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Source {
    Panel,
    Api,
    Scenario,
    Cli,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Panel => "panel",
            Source::Api => "api",
            Source::Scenario => "scenario",
            Source::Cli => "cli",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

/// One record, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    /// `user`, `service_account`, `api_key` or `system`.
    pub actor_kind: String,
    /// A username, a key id, or a fixed name such as `cli`.
    pub actor: String,
    pub source: String,
    pub client_ip: Option<String>,
    pub action: String,
    pub outcome: String,
    pub application_id: Option<ApplicationId>,
    pub application_name: Option<String>,
    pub secret_id: Option<SecretId>,
    pub secret_name: Option<String>,
    pub target: Option<String>,
    pub detail: String,
}

/// Filters for the Audit page; every field narrows, `None` means any.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub application: Option<String>,
    pub secret: Option<String>,
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    /// Inclusive bounds.
    #[serde(default, deserialize_with = "number_or_text::timestamp")]
    pub since: Option<Timestamp>,
    #[serde(default, deserialize_with = "number_or_text::timestamp")]
    pub until: Option<Timestamp>,
    /// Keyset paging: only records older than this id (the last id of the previous page).
    #[serde(default, deserialize_with = "number_or_text::int")]
    pub before: Option<i64>,
    #[serde(default, deserialize_with = "number_or_text::int")]
    pub limit: Option<i64>,
}

/// The query's numbers from a number or from its text. A form sends every value as text, and
/// when the query is flattened into a server function's arguments, serde hands the fields over
/// as text without saying which are numbers. Empty text is no value.
mod number_or_text {
    use super::Timestamp;
    use serde::{Deserialize, Deserializer, de};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(i64),
        Text(String),
    }

    pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<Raw>::deserialize(d)? {
            None => Ok(None),
            Some(Raw::Number(n)) => Ok(Some(n)),
            Some(Raw::Text(text)) if text.trim().is_empty() => Ok(None),
            Some(Raw::Text(text)) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| de::Error::custom(format_args!("{text:?} is not a whole number"))),
        }
    }

    pub fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        Ok(int(d)?.map(Timestamp))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; `None` on the last page.
    pub next_before: Option<i64>,
}
