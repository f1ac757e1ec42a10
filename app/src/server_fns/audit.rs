use leptos::prelude::*;

use crate::auth::PanelClient;
use crate::error::PanelError;
#[cfg(feature = "ssr")]
use shared::model::Permission;
use shared::model::{AuditPage, AuditQuery};

/// One page of the audit log, newest first. Every filter of `query` is optional; flattened, so
/// on the wire each is its own argument (`actor=…&limit=…`), and a call without any returns
/// the newest records.
#[server(endpoint = "audit_log", client = PanelClient)]
pub async fn audit_log(#[server(flatten)] query: AuditQuery) -> Result<AuditPage, PanelError> {
    let caller = super::guard::require(Permission::ManageAccess).await?;
    Ok(caller.store.audit_page(&query).await?)
}
