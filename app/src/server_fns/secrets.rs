use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::PanelClient;
use crate::error::PanelError;
use shared::model::{ApplicationId, SecretId, SecretMeta, SecretPage};

#[cfg(feature = "ssr")]
use shared::model::Permission;
#[cfg(feature = "ssr")]
use store::{NewSecret, SecretChanges, SecretFilter, SecretValue};

/// Why a value is read: both are audited, under their own name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadPurpose {
    Reveal,
    Copy,
}

/// Metadata only: no list call ever carries a value to the browser. One page, in id order:
/// `limit` (1 to the largest page size; default the Secrets page's) from `offset`.
#[server(endpoint = "list_secrets", client = PanelClient)]
pub async fn list_secrets(
    application_id: ApplicationId,
    name_part: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
) -> Result<SecretPage, PanelError> {
    use shared::model::{SECRET_PAGE_DEFAULT, SECRET_PAGE_SIZES};
    let caller = super::guard::require(Permission::ViewMetadata).await?;
    let largest = SECRET_PAGE_SIZES[SECRET_PAGE_SIZES.len() - 1];
    let filter = SecretFilter {
        name_part: name_part
            .map(|part| part.trim().to_owned())
            .filter(|part| !part.is_empty()),
        limit: limit.unwrap_or(SECRET_PAGE_DEFAULT).clamp(1, largest),
        offset: offset.unwrap_or(0).max(0),
    };
    Ok(caller.store.list_secrets(application_id, &filter).await?)
}

#[server(endpoint = "create_secret", client = PanelClient)]
pub async fn create_secret(
    application_id: ApplicationId,
    name: String,
    value: String,
    description: String,
) -> Result<SecretMeta, PanelError> {
    let caller = super::guard::require(Permission::WriteSecrets).await?;
    let new = NewSecret {
        name,
        value: SecretValue::new(value),
        description,
    };
    Ok(caller
        .store
        .create_secret(&caller.actor, application_id, new)
        .await?)
}

/// An empty `value` keeps the current value.
#[server(endpoint = "update_secret", client = PanelClient)]
pub async fn update_secret(
    application_id: ApplicationId,
    secret_id: SecretId,
    name: String,
    value: String,
    description: String,
) -> Result<SecretMeta, PanelError> {
    let caller = super::guard::require(Permission::WriteSecrets).await?;
    let changes = SecretChanges {
        name: Some(name),
        value: (!value.is_empty()).then(|| SecretValue::new(value)),
        description: Some(description),
    };
    Ok(caller
        .store
        .update_secret(&caller.actor, application_id, secret_id, changes)
        .await?)
}

#[server(endpoint = "delete_secret", client = PanelClient)]
pub async fn delete_secret(
    application_id: ApplicationId,
    secret_id: SecretId,
) -> Result<(), PanelError> {
    let caller = super::guard::require(Permission::WriteSecrets).await?;
    Ok(caller
        .store
        .delete_secret(&caller.actor, application_id, secret_id)
        .await?)
}

/// The one server function that returns a value. It needs a role that may read values and a
/// password typed within the step-up window; the read is audited before the value leaves.
#[server(endpoint = "read_secret_value", client = PanelClient)]
pub async fn read_secret_value(
    application_id: ApplicationId,
    secret_id: SecretId,
    purpose: ReadPurpose,
) -> Result<String, PanelError> {
    let caller = super::guard::require(Permission::ReadValues).await?;
    super::no_store();
    super::guard::require_fresh_password(&caller)?;
    let purpose = match purpose {
        ReadPurpose::Reveal => store::ReadPurpose::Reveal,
        ReadPurpose::Copy => store::ReadPurpose::Copy,
    };
    let read = caller
        .store
        .read_secret(
            &caller.actor,
            application_id.into(),
            store::SecretRef::Id(secret_id),
            purpose,
        )
        .await?;
    Ok(read.value.expose().to_owned())
}
