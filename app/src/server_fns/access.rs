use leptos::prelude::*;

use crate::auth::PanelClient;
use crate::error::PanelError;
#[cfg(feature = "ssr")]
use shared::model::Permission;
use shared::model::{ApiAccess, Credentials, Role};

/// The account id, whether an API key exists, and the service-account keys.
#[server(endpoint = "get_api_access", client = PanelClient)]
pub async fn get_api_access() -> Result<ApiAccess, PanelError> {
    let caller = super::guard::require(Permission::ManageAccess).await?;
    let store = caller.store;
    Ok(ApiAccess {
        account: store.account().clone(),
        api_key_created: store.api_key_created().await?,
        service_accounts: store.list_service_accounts().await?,
    })
}

/// Makes a key pair and returns its credentials.json: the one response that carries the
/// private key, which the server does not keep. No one makes a key above their own role.
#[server(endpoint = "create_service_account", client = PanelClient)]
pub async fn create_service_account(
    role: Role,
    description: String,
) -> Result<Credentials, PanelError> {
    let caller = super::guard::require(Permission::ManageAccess).await?;
    super::no_store();
    require_grant(&caller, role).await?;
    let (_, credentials) = caller
        .store
        .create_service_account(&caller.actor, role, &description)
        .await?;
    Ok(credentials)
}

/// Revokes a key; no one revokes a key above their own role (the store refuses it, and the
/// refusal is audited as a denial).
#[server(endpoint = "revoke_service_account", client = PanelClient)]
pub async fn revoke_service_account(key_id: String) -> Result<(), PanelError> {
    let caller = super::guard::require(Permission::ManageAccess).await?;
    match caller
        .store
        .revoke_service_account(&caller.actor, &key_id)
        .await
    {
        Err(store::StoreError::KeyRoleAboveOwn { own, key, action }) => Err(super::guard::deny(
            &caller,
            format!("role {own} may not {action} a {key} key"),
            super::errors::key_role_message(own, key, action),
        )
        .await),
        other => Ok(other?),
    }
}

/// Replaces the legacy API key and returns the new one, once; only its hash is stored. The
/// legacy key acts as an Owner, so only an Owner may make one.
#[server(endpoint = "regenerate_api_key", client = PanelClient)]
pub async fn regenerate_api_key() -> Result<String, PanelError> {
    let caller = super::guard::require(Permission::ManageAccess).await?;
    super::no_store();
    require_grant(&caller, Role::Owner).await?;
    let key = caller.store.regenerate_api_key(&caller.actor).await?;
    Ok(key.expose().to_owned())
}

#[cfg(feature = "ssr")]
async fn require_grant(caller: &super::guard::Caller, role: Role) -> Result<(), PanelError> {
    let own = caller.session.user.role;
    if own.may_grant(role) {
        return Ok(());
    }
    Err(super::guard::deny(
        caller,
        format!("role {own} may not grant {role}"),
        format!("Your role ({own}) may not hand out the {role} role: choose {own} or lower."),
    )
    .await)
}
