use leptos::prelude::*;

use crate::error::PanelError;
use crate::model::{ApiAccess, Credentials, Role};

/// The account id, whether an API key exists, and the service-account keys.
#[server(endpoint = "get_api_access")]
pub async fn get_api_access() -> Result<ApiAccess, PanelError> {
    let store = super::store()?;
    Ok(ApiAccess {
        account: store.account().clone(),
        api_key_created: store.api_key_created().await?,
        service_accounts: store.list_service_accounts().await?,
    })
}

/// Makes a key pair and returns its credentials.json: the one response that carries the
/// private key, which the server does not keep.
#[server(endpoint = "create_service_account")]
pub async fn create_service_account(
    role: Role,
    description: String,
) -> Result<Credentials, PanelError> {
    super::no_store();
    let (_, credentials) = super::store()?
        .create_service_account(role, &description)
        .await?;
    Ok(credentials)
}

#[server(endpoint = "revoke_service_account")]
pub async fn revoke_service_account(key_id: String) -> Result<(), PanelError> {
    Ok(super::store()?.revoke_service_account(&key_id).await?)
}

/// Replaces the legacy API key and returns the new one, once; only its hash is stored.
#[server(endpoint = "regenerate_api_key")]
pub async fn regenerate_api_key() -> Result<String, PanelError> {
    super::no_store();
    let key = super::store()?.regenerate_api_key().await?;
    Ok(key.expose().to_owned())
}
