use leptos::prelude::*;

use crate::auth::PanelClient;
use crate::error::PanelError;
#[cfg(feature = "ssr")]
use shared::model::Permission;
use shared::model::{ApplicationId, ApplicationSummary};

#[server(endpoint = "list_applications", client = PanelClient)]
pub async fn list_applications() -> Result<Vec<ApplicationSummary>, PanelError> {
    let caller = super::guard::require(Permission::ViewMetadata).await?;
    Ok(caller.store.list_applications().await?)
}

#[server(endpoint = "get_application", client = PanelClient)]
pub async fn get_application(id: ApplicationId) -> Result<ApplicationSummary, PanelError> {
    let caller = super::guard::require(Permission::ViewMetadata).await?;
    Ok(caller.store.get_application(id).await?)
}

#[server(endpoint = "create_application", client = PanelClient)]
pub async fn create_application(name: String) -> Result<ApplicationSummary, PanelError> {
    let caller = super::guard::require(Permission::ManageApplications).await?;
    Ok(caller
        .store
        .create_application(&caller.actor, &name)
        .await?)
}

#[server(endpoint = "rename_application", client = PanelClient)]
pub async fn rename_application(
    id: ApplicationId,
    name: String,
) -> Result<ApplicationSummary, PanelError> {
    let caller = super::guard::require(Permission::ManageApplications).await?;
    Ok(caller
        .store
        .rename_application(&caller.actor, id, &name)
        .await?)
}

/// Returns how many secrets were deleted with the application.
#[server(endpoint = "delete_application", client = PanelClient)]
pub async fn delete_application(id: ApplicationId) -> Result<i64, PanelError> {
    let caller = super::guard::require(Permission::ManageApplications).await?;
    Ok(caller.store.delete_application(&caller.actor, id).await?)
}
