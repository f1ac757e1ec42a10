// One optional argument per filter; the server macro copies them into generated functions.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::auth::PanelClient;
use crate::error::PanelError;
use shared::model::AuditPage;
#[cfg(feature = "ssr")]
use shared::model::{AuditQuery, Permission};

/// One page of the audit log, newest first. Every filter is optional (see `AuditQuery`);
/// they are separate arguments so an unfiltered call needs none.
#[server(endpoint = "audit_log", client = PanelClient)]
pub async fn audit_log(
    application: Option<String>,
    secret: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
    before: Option<i64>,
    limit: Option<i64>,
) -> Result<AuditPage, PanelError> {
    let caller = super::guard::require(Permission::ManageAccess).await?;
    let query = AuditQuery {
        application,
        secret,
        actor,
        action,
        since,
        until,
        before,
        limit,
    };
    Ok(caller.store.audit_page(&query).await?)
}
