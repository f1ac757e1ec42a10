//! The Management API at `/platform_api`, wire-compatible with Voximplant's for secrets and
//! applications (see `docs/api.md` and `openapi.json`). This layer reads
//! parameters, authenticates, checks the role and maps errors; the store does the work, the
//! same store the panel's server functions call.

mod applications;
mod auth;
mod error;
mod params;
mod secrets;
mod token_cache;

use app::auth::RequestAuth;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use shared::model::{Permission, Role};
use std::sync::Arc;
use store::{Actor, SecretStore};

use error::{ApiError, CMD_MISSING, FORBIDDEN, UNKNOWN_METHOD};
use params::Params;
use token_cache::TokenCache;

/// The OpenAPI 3.1 description of this API, kept in the repository next to this code.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// What every call needs: the store, and the tokens verified so far.
#[derive(Clone)]
pub(crate) struct ApiState {
    pub store: SecretStore,
    pub tokens: Arc<TokenCache>,
}

pub fn router<S: Clone + Send + Sync + 'static>(store: SecretStore) -> Router<S> {
    let state = ApiState {
        store,
        tokens: Arc::default(),
    };
    Router::new()
        .route("/platform_api", get(by_cmd).post(by_cmd))
        .route("/platform_api/", get(by_cmd).post(by_cmd))
        .route("/platform_api/openapi.json", get(openapi))
        .route("/platform_api/{method}", get(by_path).post(by_path))
        .with_state(state)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    AddSecret,
    GetSecrets,
    GetSecretValue,
    SetSecretInfo,
    DelSecret,
    AddApplication,
    GetApplications,
    SetApplicationInfo,
    DelApplication,
}

impl Method {
    const ALL: [Method; 9] = [
        Method::AddSecret,
        Method::GetSecrets,
        Method::GetSecretValue,
        Method::SetSecretInfo,
        Method::DelSecret,
        Method::AddApplication,
        Method::GetApplications,
        Method::SetApplicationInfo,
        Method::DelApplication,
    ];

    fn name(self) -> &'static str {
        match self {
            Method::AddSecret => "AddSecret",
            Method::GetSecrets => "GetSecrets",
            Method::GetSecretValue => "GetSecretValue",
            Method::SetSecretInfo => "SetSecretInfo",
            Method::DelSecret => "DelSecret",
            Method::AddApplication => "AddApplication",
            Method::GetApplications => "GetApplications",
            Method::SetApplicationInfo => "SetApplicationInfo",
            Method::DelApplication => "DelApplication",
        }
    }

    fn parse(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }

    /// What calling this method takes. The spec ("Roles") lets a Developer call every
    /// method, so the application methods need only `WriteSecrets` here, although the panel
    /// keeps application management for Admins.
    fn permission(self) -> Permission {
        match self {
            Method::GetSecrets | Method::GetApplications => Permission::ViewMetadata,
            Method::GetSecretValue => Permission::ReadValues,
            Method::AddSecret
            | Method::SetSecretInfo
            | Method::DelSecret
            | Method::AddApplication
            | Method::SetApplicationInfo
            | Method::DelApplication => Permission::WriteSecrets,
        }
    }

    fn allowed(self, role: Role) -> bool {
        role.allows(self.permission())
    }

    async fn call(self, store: &SecretStore, by: &Actor, p: &Params) -> Result<Answer, ApiError> {
        let answer = match self {
            Method::AddSecret => secrets::add_secret(store, by, p).await,
            Method::GetSecrets => secrets::get_secrets(store, p).await,
            Method::GetSecretValue => return secrets::get_secret_value(store, by, p).await,
            Method::SetSecretInfo => secrets::set_secret_info(store, by, p).await,
            Method::DelSecret => secrets::del_secret(store, by, p).await,
            Method::AddApplication => applications::add_application(store, by, p).await,
            Method::GetApplications => applications::get_applications(store, p).await,
            Method::SetApplicationInfo => applications::set_application_info(store, by, p).await,
            Method::DelApplication => applications::del_application(store, by, p).await,
        };
        answer.map(Answer::from)
    }
}

async fn by_cmd(State(state): State<ApiState>, request: Request) -> Response {
    respond(handle(&state, None, request).await)
}

async fn by_path(
    State(state): State<ApiState>,
    Path(method): Path<String>,
    request: Request,
) -> Response {
    respond(handle(&state, Some(method), request).await)
}

async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        OPENAPI_JSON,
    )
        .into_response()
}

/// A method's answer: a JSON `Value`, or JSON already serialized (GetSecretValue, the hot
/// call, is written straight from the secret's fields).
pub(crate) enum Answer {
    Value(Value),
    Json(Vec<u8>),
}

impl From<Value> for Answer {
    fn from(value: Value) -> Self {
        Answer::Value(value)
    }
}

async fn handle(
    state: &ApiState,
    path_method: Option<String>,
    request: Request,
) -> Result<Answer, ApiError> {
    let store = &state.store;
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let client_ip = parts
        .extensions
        .get::<RequestAuth>()
        .and_then(|auth| auth.client_ip.clone());
    let params = Params::read(&parts, body).await?;
    let name = match (path_method, params.text("cmd")) {
        (Some(path), Some(cmd)) if path != cmd => {
            return Err(ApiError::invalid(format!(
                "'cmd' ({cmd}) disagrees with the method in the path ({path})."
            )));
        }
        (Some(path), _) => path,
        (None, Some(cmd)) => cmd.to_owned(),
        (None, None) => {
            return Err(ApiError::new(
                CMD_MISSING,
                "The 'cmd' parameter is missing: give the method name, or call \
                 /platform_api/<Method>.",
            ));
        }
    };
    let method = Method::parse(&name).ok_or_else(|| {
        ApiError::new(
            UNKNOWN_METHOD,
            format!(
                "Unknown method '{}'. Methods: {}.",
                name.chars().take(64).collect::<String>(),
                Method::ALL.map(Method::name).join(", ")
            ),
        )
    })?;
    if method == Method::GetSecretValue
        && let Some(answer) =
            secrets::get_secret_value_cached(state, headers, &params, client_ip.clone()).await?
    {
        return Ok(answer);
    }
    let caller = auth::authenticate(store, &state.tokens, headers, &params).await?;
    let actor = caller.actor(client_ip);
    if !method.allowed(caller.role) {
        let detail = format!("role {}", caller.role);
        Box::pin(store.record_denied(&actor, method.name(), detail)).await?;
        return Err(ApiError::new(
            FORBIDDEN,
            format!(
                "The role {} may not call {}; it may call GetSecrets and GetApplications.",
                caller.role,
                method.name()
            ),
        ));
    }
    // Boxed: the methods' futures are large, and keeping them out of this one keeps the hot
    // path above (a few hundred bytes of state per request) cheap to move and allocate.
    Box::pin(method.call(store, &actor, &params)).await
}

/// Success and API errors alike are HTTP 200 JSON. Nothing is cached: a body may hold a value.
fn respond(result: Result<Answer, ApiError>) -> Response {
    let mut response = match result {
        Ok(Answer::Value(value)) => Json(value).into_response(),
        Ok(Answer::Json(bytes)) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(error) => error.into_response(),
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_is_in_the_openapi_document() {
        let doc: Value = serde_json::from_str(OPENAPI_JSON).expect("openapi.json parses");
        assert_eq!(doc["openapi"], "3.1.0");
        for method in Method::ALL {
            let path = format!("/platform_api/{}", method.name());
            assert!(doc["paths"][&path].is_object(), "{path} is missing");
            assert_eq!(Method::parse(method.name()), Some(method));
        }
    }

    #[test]
    fn viewers_may_only_list() {
        let allowed: Vec<_> = Method::ALL
            .into_iter()
            .filter(|m| m.allowed(Role::Viewer))
            .collect();
        assert_eq!(allowed, vec![Method::GetSecrets, Method::GetApplications]);
        assert!(Method::ALL.iter().all(|m| m.allowed(Role::Developer)));
    }
}
