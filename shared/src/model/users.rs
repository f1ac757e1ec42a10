//! People who use the panel, as the browser sees them (never a password or its hash).

use super::{Role, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

/// One row of the Users page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub created: Timestamp,
}

/// The signed-in user, for the top bar and for hiding what their role may not do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub id: UserId,
    pub username: String,
    pub role: Role,
}

/// What the sign-in page should offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetupStatus {
    /// No user exists yet: create the first Owner with the setup code from the server log.
    NeedsSetup,
    /// Users exist: sign in.
    Ready,
}
