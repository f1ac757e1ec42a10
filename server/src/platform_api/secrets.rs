//! The secret methods (spec: "Secrets"). Each one only translates parameters to a store call
//! and the result to the wire format; the store enforces every rule.

use serde::Serialize;
use serde_json::{Map, Value, json};
use shared::model::{ApplicationId, Field, SecretId, SecretMeta, Timestamp};
use store::{
    Actor, ApplicationRef, NewSecret, ReadPurpose, SecretChanges, SecretFilter, SecretRead,
    SecretRef, SecretStore, SecretValue, Selection, StoreError,
};

use super::applications::resolve_for_secrets;
use super::auth;
use super::error::{ApiError, MISSING_PARAMETER, plain_param};
use super::params::Params;
use super::{Answer, ApiState};
use axum::http::HeaderMap;
use shared::model::{Permission, Role};

pub async fn add_secret(store: &SecretStore, by: &Actor, p: &Params) -> Result<Value, ApiError> {
    let app = resolve_for_secrets(store, p).await?;
    let new = NewSecret {
        name: p.required("secret_name")?.to_owned(),
        value: SecretValue::new(p.required("secret_value")?.to_owned()),
        description: p.raw("description").unwrap_or_default().to_owned(),
    };
    let meta = store.create_secret(by, app, new).await?;
    Ok(json!({ "result": [{ "secret_id": meta.id.0 }] }))
}

pub async fn get_secrets(store: &SecretStore, p: &Params) -> Result<Value, ApiError> {
    let app = resolve_for_secrets(store, p).await?;
    let (count, offset) = p.page()?;
    let filter = SecretFilter {
        name_part: p.name_filter("secret_name_part")?.map(str::to_owned),
        limit: count,
        offset,
    };
    let page = store.list_secrets(app, &filter).await?;
    let result: Vec<Value> = page
        .items
        .iter()
        .map(|m| Value::Object(listed(m)))
        .collect();
    Ok(json!({ "result": result, "count": page.items.len(), "total_count": page.total }))
}

/// GetSecretValue answered from the store's read cache, for the common call: a bearer token
/// verified before, both application and secret by name. `None` sends the call down the
/// ordinary path (authentication, then `get_secret_value`), which also names any problem.
pub async fn get_secret_value_cached(
    state: &ApiState,
    headers: &HeaderMap,
    p: &Params,
    client_ip: Option<String>,
) -> Result<Option<Answer>, ApiError> {
    let store = &state.store;
    let (None, None, Some(app), Some(secret)) = (
        p.raw("application_id"),
        p.raw("secret_id"),
        p.text("application_name"),
        p.text("secret_name"),
    ) else {
        return Ok(None);
    };
    let Some(key_id) = auth::verified_key_id(&state.tokens, headers) else {
        return Ok(None);
    };
    let by = auth::key_actor(&key_id, client_ip);
    let app = store.account().short_application_name(app);
    let may_read = |role: Role| role.allows(Permission::ReadValues);
    let Some(read) = store
        .read_secret_cached(&by, &key_id, may_read, app, secret)
        .await?
    else {
        return Ok(None);
    };
    auth::note_use(store, &state.tokens, &key_id, auth::now());
    Ok(Some(with_value(&read)))
}

pub async fn get_secret_value(
    store: &SecretStore,
    by: &Actor,
    p: &Params,
) -> Result<Answer, ApiError> {
    let id = p.id("secret_id")?;
    let name = p.text("secret_name");
    // The hot path, both given by name (what the clients send): a single query. Otherwise,
    // and to name the problem when it finds nothing, the parameters are resolved one by one.
    let fast = match (
        p.raw("application_id"),
        p.text("application_name"),
        id,
        name,
    ) {
        (None, Some(app), None, Some(secret)) => {
            match store
                .read_secret(
                    by,
                    ApplicationRef::Name(app),
                    SecretRef::Name(secret),
                    ReadPurpose::Api,
                )
                .await
            {
                Ok(read) => Some(read),
                Err(StoreError::SecretNotFound) => None,
                Err(other) => return Err(other.into()),
            }
        }
        _ => None,
    };
    let read = match fast {
        Some(found) => found,
        None => read_resolved(store, by, p, id, name).await?,
    };
    Ok(with_value(&read))
}

/// GetSecretValue's answer: the listed fields, the value, and the description even when empty.
/// Serialized straight from the fields (keys in the order a `Value` would have them).
fn with_value(SecretRead { meta, value, .. }: &SecretRead) -> Answer {
    #[derive(Serialize)]
    struct Item<'a> {
        #[serde(serialize_with = "as_text")]
        created: Timestamp,
        description: &'a str,
        #[serde(serialize_with = "as_text")]
        modified: Timestamp,
        secret_id: i64,
        secret_name: &'a str,
        secret_value: &'a str,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        result: [Item<'a>; 1],
    }
    let body = Body {
        result: [Item {
            created: meta.created,
            description: &meta.description,
            modified: meta.modified,
            secret_id: meta.id.0,
            secret_name: &meta.name,
            secret_value: value.expose(),
        }],
    };
    // Sized for the whole answer at once; only strings and numbers: it cannot fail.
    let mut json =
        Vec::with_capacity(256 + meta.name.len() + meta.description.len() + value.expose().len());
    serde_json::to_writer(&mut json, &body).expect("strings and numbers always serialize");
    Answer::Json(json)
}

fn as_text<S: serde::Serializer>(at: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(at)
}

/// GetSecretValue with every parameter checked on its own, so an error names the one at fault.
async fn read_resolved(
    store: &SecretStore,
    by: &Actor,
    p: &Params,
    id: Option<i64>,
    name: Option<&str>,
) -> Result<SecretRead, ApiError> {
    let app = resolve_for_secrets(store, p).await?;
    let which = match (id, name) {
        (Some(_), Some(_)) => {
            let meta = resolve_secret(store, p, app)
                .await?
                .ok_or_else(which_secret)?;
            SecretRef::Id(meta.id)
        }
        (Some(id), None) => SecretRef::Id(SecretId(id)),
        (None, Some(name)) => SecretRef::Name(name),
        (None, None) => return Err(which_secret()),
    };
    store
        .read_secret(by, app.into(), which, ReadPurpose::Api)
        .await
        .map_err(|e| match (e, which) {
            (StoreError::SecretNotFound, SecretRef::Id(id)) => {
                StoreError::SecretIdUnknown(id.0).into()
            }
            (StoreError::SecretNotFound, SecretRef::Name(name)) => {
                StoreError::SecretNameUnknown(name.to_owned()).into()
            }
            (other, _) => ApiError::from(other),
        })
}

pub async fn set_secret_info(
    store: &SecretStore,
    by: &Actor,
    p: &Params,
) -> Result<Value, ApiError> {
    let app = resolve_for_secrets(store, p).await?;
    let meta = resolve_secret(store, p, app)
        .await?
        .ok_or_else(which_secret)?;
    let changes = SecretChanges {
        // Given but empty is a bad name or value, not "leave unchanged".
        name: p.raw("new_secret_name").map(str::to_owned),
        value: p
            .raw("secret_value")
            .map(|v| SecretValue::new(v.to_owned())),
        description: p.raw("description").map(str::to_owned),
    };
    store
        .update_secret(by, app, meta.id, changes)
        .await
        .map_err(|e| {
            ApiError::from_store(e, |field| match field {
                Field::SecretName => "new_secret_name",
                other => plain_param(other),
            })
        })?;
    Ok(json!({ "result": 1 }))
}

pub async fn del_secret(store: &SecretStore, by: &Actor, p: &Params) -> Result<Value, ApiError> {
    let app = resolve_for_secrets(store, p).await?;
    let ids = p.id_list("secret_id")?;
    let names = p.name_list("secret_name")?;
    if ids.is_none() && names.is_none() {
        return Err(ApiError::new(
            MISSING_PARAMETER,
            "Give 'secret_id' (a ';' list or 'all') and/or 'secret_name' (a ';' list).",
        ));
    }
    let ids = ids.unwrap_or_default();
    let selection = Selection {
        all: ids.all,
        ids: ids.ids,
        names: names.unwrap_or_default(),
    };
    store.delete_secrets(by, app, &selection).await?;
    Ok(json!({ "result": 1 }))
}

fn which_secret() -> ApiError {
    ApiError::new(
        MISSING_PARAMETER,
        "Give 'secret_id' or 'secret_name' to say which secret.",
    )
}

/// The secret named by `secret_id` and/or `secret_name` (both must name the same one), or
/// `None` when neither is given.
async fn resolve_secret(
    store: &SecretStore,
    p: &Params,
    app: ApplicationId,
) -> Result<Option<SecretMeta>, ApiError> {
    let by_id = match p.id("secret_id")? {
        Some(id) => {
            let found = store.find_secret(app, SecretRef::Id(SecretId(id))).await?;
            Some(found.ok_or(StoreError::SecretIdUnknown(id))?)
        }
        None => None,
    };
    let by_name = match p.text("secret_name") {
        Some(name) => {
            let found = store.find_secret(app, SecretRef::Name(name)).await?;
            Some(found.ok_or_else(|| StoreError::SecretNameUnknown(name.to_owned()))?)
        }
        None => None,
    };
    match (by_id, by_name) {
        (Some(a), Some(b)) if a.id != b.id => Err(ApiError::invalid(
            "'secret_id' and 'secret_name' name different secrets: give one of them.",
        )),
        (Some(meta), _) | (None, Some(meta)) => Ok(Some(meta)),
        (None, None) => Ok(None),
    }
}

/// A secret as the list methods show it: `description` only when it is not empty.
fn listed(meta: &SecretMeta) -> Map<String, Value> {
    let mut item = Map::new();
    item.insert("secret_id".into(), meta.id.0.into());
    item.insert("secret_name".into(), meta.name.clone().into());
    if !meta.description.is_empty() {
        item.insert("description".into(), meta.description.clone().into());
    }
    item.insert("created".into(), meta.created.to_string().into());
    item.insert("modified".into(), meta.modified.to_string().into());
    item
}
