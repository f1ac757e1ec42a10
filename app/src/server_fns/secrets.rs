use leptos::prelude::*;

use crate::error::PanelError;
use crate::model::{ApplicationId, SecretId, SecretMeta, SecretPage};

#[cfg(feature = "ssr")]
use crate::store::{NewSecret, SecretChanges, SecretFilter, SecretValue};

/// Metadata only: no list call ever carries a value to the browser.
#[server(endpoint = "list_secrets")]
pub async fn list_secrets(
    application_id: ApplicationId,
    name_part: Option<String>,
) -> Result<SecretPage, PanelError> {
    let filter = SecretFilter {
        name_part: name_part.filter(|part| !part.is_empty()),
        ..SecretFilter::default()
    };
    Ok(super::store()?
        .list_secrets(application_id, &filter)
        .await?)
}

#[server(endpoint = "create_secret")]
pub async fn create_secret(
    application_id: ApplicationId,
    name: String,
    value: String,
    description: String,
) -> Result<SecretMeta, PanelError> {
    let new = NewSecret {
        name,
        value: SecretValue::new(value),
        description,
    };
    Ok(super::store()?.create_secret(application_id, new).await?)
}

/// An empty `value` keeps the current value.
#[server(endpoint = "update_secret")]
pub async fn update_secret(
    application_id: ApplicationId,
    secret_id: SecretId,
    name: String,
    value: String,
    description: String,
) -> Result<SecretMeta, PanelError> {
    let changes = SecretChanges {
        name: Some(name),
        value: (!value.is_empty()).then(|| SecretValue::new(value)),
        description: Some(description),
    };
    Ok(super::store()?
        .update_secret(application_id, secret_id, changes)
        .await?)
}

#[server(endpoint = "delete_secret")]
pub async fn delete_secret(
    application_id: ApplicationId,
    secret_id: SecretId,
) -> Result<(), PanelError> {
    Ok(super::store()?
        .delete_secret(application_id, secret_id)
        .await?)
}
