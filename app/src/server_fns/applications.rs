use leptos::prelude::*;

use crate::error::PanelError;
use crate::model::{ApplicationId, ApplicationSummary};

#[server(endpoint = "list_applications")]
pub async fn list_applications() -> Result<Vec<ApplicationSummary>, PanelError> {
    Ok(super::store()?.list_applications().await?)
}

#[server(endpoint = "get_application")]
pub async fn get_application(id: ApplicationId) -> Result<ApplicationSummary, PanelError> {
    Ok(super::store()?.get_application(id).await?)
}

#[server(endpoint = "create_application")]
pub async fn create_application(name: String) -> Result<ApplicationSummary, PanelError> {
    Ok(super::store()?.create_application(&name).await?)
}

#[server(endpoint = "rename_application")]
pub async fn rename_application(
    id: ApplicationId,
    name: String,
) -> Result<ApplicationSummary, PanelError> {
    Ok(super::store()?.rename_application(id, &name).await?)
}

/// Returns how many secrets were deleted with the application.
#[server(endpoint = "delete_application")]
pub async fn delete_application(id: ApplicationId) -> Result<i64, PanelError> {
    Ok(super::store()?.delete_application(id).await?)
}
