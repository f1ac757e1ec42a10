//! The application methods (spec: "Applications"). Each one only translates parameters to a
//! store call and the result to the wire format.

use serde_json::{Value, json};
use shared::model::ApplicationId;
use store::{Actor, ApplicationFilter, ApplicationRef, SecretStore, Selection, StoreError};

use super::error::{ApiError, MISSING_PARAMETER, UNKNOWN_APPLICATION_ID, UNKNOWN_APPLICATION_NAME};
use super::params::{Params, check_name_filter};

pub async fn add_application(
    store: &SecretStore,
    by: &Actor,
    p: &Params,
) -> Result<Value, ApiError> {
    let name = short_name(store, p.required("application_name")?);
    let created = store.create_application(by, name).await?;
    Ok(json!({
        "result": 1,
        "application_id": created.id.0,
        "application_name": store.account().full_application_name(&created.name),
    }))
}

pub async fn get_applications(store: &SecretStore, p: &Params) -> Result<Value, ApiError> {
    let (count, offset) = p.page()?;
    let filter = ApplicationFilter {
        id: p.id("application_id")?.map(ApplicationId),
        name_part: p
            .text("application_name")
            .map(|n| {
                let short = short_name(store, n);
                check_name_filter("application_name", short).map(|()| short.to_owned())
            })
            .transpose()?,
        limit: count,
        offset,
    };
    let (apps, total) = store.list_applications_page(&filter).await?;
    let account = store.account();
    let result: Vec<Value> = apps
        .iter()
        .map(|a| {
            json!({
                "application_id": a.id.0,
                "application_name": account.full_application_name(&a.name),
                "modified": a.modified.to_string(),
            })
        })
        .collect();
    Ok(json!({ "result": result, "count": apps.len(), "total_count": total }))
}

pub async fn set_application_info(
    store: &SecretStore,
    by: &Actor,
    p: &Params,
) -> Result<Value, ApiError> {
    let id = resolve(store, p, "application_id", "required_application_name").await?;
    let new_name = short_name(store, p.required("application_name")?);
    let renamed = store.rename_application(by, id, new_name).await?;
    Ok(json!({
        "result": 1,
        "application_name": store.account().full_application_name(&renamed.name),
    }))
}

pub async fn del_application(
    store: &SecretStore,
    by: &Actor,
    p: &Params,
) -> Result<Value, ApiError> {
    let ids = p.id_list("application_id")?;
    let names = p.name_list("application_name")?;
    if ids.is_none() && names.is_none() {
        return Err(ApiError::new(
            MISSING_PARAMETER,
            "Give 'application_id' (a ';' list or 'all') or 'application_name' (a ';' list).",
        ));
    }
    let ids = ids.unwrap_or_default();
    let selection = Selection {
        all: ids.all,
        ids: ids.ids,
        names: names
            .unwrap_or_default()
            .iter()
            .map(|n| short_name(store, n).to_owned())
            .collect(),
    };
    store.delete_applications(by, &selection).await?;
    Ok(json!({ "result": 1 }))
}

/// The application a secret method works on: `application_id` or `application_name` (spec:
/// "Identifying an application").
pub async fn resolve_for_secrets(
    store: &SecretStore,
    p: &Params,
) -> Result<ApplicationId, ApiError> {
    resolve(store, p, "application_id", "application_name").await
}

/// Resolves an application given by id (`id_param`) or name (`name_param`); both must agree.
async fn resolve(
    store: &SecretStore,
    p: &Params,
    id_param: &str,
    name_param: &str,
) -> Result<ApplicationId, ApiError> {
    let by_id = match p.id(id_param)? {
        Some(id) => Some(match store
            .find_application(ApplicationRef::Id(ApplicationId(id)))
            .await
        {
            Err(StoreError::ApplicationNotFound) => Err(ApiError::new(
                UNKNOWN_APPLICATION_ID,
                format!("'{id_param}': application {id} does not exist."),
            )),
            found => found.map_err(ApiError::from),
        }?),
        None => None,
    };
    let by_name = match p.text(name_param) {
        Some(name) => Some(
            match store.find_application(ApplicationRef::Name(name)).await {
                Err(StoreError::ApplicationNotFound) => Err(ApiError::new(
                    UNKNOWN_APPLICATION_NAME,
                    format!("'{name_param}': no application is named \"{name}\"."),
                )),
                found => found.map_err(ApiError::from),
            }?,
        ),
        None => None,
    };
    match (by_id, by_name) {
        (Some(a), Some(b)) if a != b => Err(ApiError::invalid(format!(
            "'{id_param}' and '{name_param}' name different applications: give one of them."
        ))),
        (Some(id), _) | (None, Some(id)) => Ok(id),
        (None, None) => Err(ApiError::new(
            MISSING_PARAMETER,
            format!("Give '{id_param}' or '{name_param}' to say which application."),
        )),
    }
}

/// Application names are accepted short (`myapp`) or full (`myapp.<account>.strongroom`).
fn short_name<'a>(store: &SecretStore, name: &'a str) -> &'a str {
    store.account().short_application_name(name)
}
