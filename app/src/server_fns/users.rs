//! The Users page: Owners add users, set roles, disable them and reset passwords.

use leptos::prelude::*;

use crate::auth::PanelClient;
use crate::error::PanelError;
#[cfg(feature = "ssr")]
use shared::model::Permission;
use shared::model::{Role, UserId, UserSummary};

#[server(endpoint = "list_users", client = PanelClient)]
pub async fn list_users() -> Result<Vec<UserSummary>, PanelError> {
    let caller = super::guard::require(Permission::ManageUsers).await?;
    Ok(caller.store.list_users().await?)
}

#[server(endpoint = "create_user", client = PanelClient)]
pub async fn create_user(
    username: String,
    password: String,
    role: Role,
) -> Result<UserSummary, PanelError> {
    let caller = super::guard::require(Permission::ManageUsers).await?;
    caller
        .store
        .create_user(&caller.actor, &username, &password, role)
        .await
        .map_err(PanelError::from)
}

#[server(endpoint = "set_user_role", client = PanelClient)]
pub async fn set_user_role(id: UserId, role: Role) -> Result<UserSummary, PanelError> {
    let caller = super::guard::require(Permission::ManageUsers).await?;
    not_self(&caller, id, "change your own role").await?;
    Ok(caller.store.set_user_role(&caller.actor, id, role).await?)
}

/// Disabling ends the user's sessions at once.
#[server(endpoint = "set_user_disabled", client = PanelClient)]
pub async fn set_user_disabled(id: UserId, disabled: bool) -> Result<UserSummary, PanelError> {
    let caller = super::guard::require(Permission::ManageUsers).await?;
    not_self(&caller, id, "disable your own account").await?;
    Ok(caller
        .store
        .set_user_disabled(&caller.actor, id, disabled)
        .await?)
}

/// Sets a new password for someone; their sessions end, and so do the sign-in locks on
/// their account.
#[server(endpoint = "reset_user_password", client = PanelClient)]
pub async fn reset_user_password(id: UserId, password: String) -> Result<(), PanelError> {
    let caller = super::guard::require(Permission::ManageUsers).await?;
    caller
        .store
        .reset_password(&caller.actor, id, &password)
        .await
        .map_err(PanelError::from)
}

/// An Owner locking themselves out by a slip is worse than asking another Owner.
#[cfg(feature = "ssr")]
async fn not_self(caller: &super::guard::Caller, id: UserId, what: &str) -> Result<(), PanelError> {
    if caller.session.user.id != id {
        return Ok(());
    }
    Err(super::guard::deny(
        caller,
        format!("may not {what}"),
        format!("You cannot {what}: ask another Owner to do it."),
    )
    .await)
}
