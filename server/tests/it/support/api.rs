//! A client for the Management API (`/platform_api`, contract: `docs/api.md`) of a
//! test server, with the credentials it sends: the legacy `account_id` + `api_key` parameters,
//! a bearer JWT (signed with a service-account key made through the panel), or none.

use super::Server;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::RequestBuilder;
use reqwest::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

/// What the API appends to an application's short name to make its full name.
pub const SUFFIX: &str = ".default.strongroom";

/// The one account there is.
pub const ACCOUNT_ID: &str = "1";

/// A body bigger than the API's 256 KiB limit.
pub const OVERSIZED_BODY: usize = 300 * 1024;

/// Every method of the Management API.
pub const METHODS: [&str; 9] = [
    "AddSecret",
    "GetSecrets",
    "GetSecretValue",
    "SetSecretInfo",
    "DelSecret",
    "AddApplication",
    "GetApplications",
    "SetApplicationInfo",
    "DelApplication",
];

/// How a request proves who sends it.
#[derive(Clone)]
pub enum Auth {
    None,
    /// The legacy `account_id=1` + `api_key` parameters.
    Key(String),
    /// `Authorization: Bearer <jwt>`.
    Bearer(String),
}

/// A service-account key as the panel hands it out.
pub struct ServiceAccount {
    pub key_id: String,
    pub private_key: String,
}

impl ServiceAccount {
    pub async fn create(server: &Server, role: &str) -> ServiceAccount {
        let credentials = server
            .call(
                "create_service_account",
                &[("role", role), ("description", "t")],
            )
            .await
            .expect("create_service_account");
        assert_eq!(credentials["account_id"], json!(1), "{credentials}");
        let field = |name: &str| credentials[name].as_str().expect(name).to_owned();
        ServiceAccount {
            key_id: field("key_id"),
            private_key: field("private_key"),
        }
    }

    /// A token as the official clients make it: `iss` as a string, `iat` five seconds back.
    pub fn token(&self) -> String {
        let now = now();
        self.token_with(json!("1"), now - 5, now + 60)
    }

    pub fn token_with(&self, iss: Value, iat: i64, exp: i64) -> String {
        let claims = json!({ "iss": iss, "iat": iat, "exp": exp });
        sign(Some(&self.key_id), &self.private_key, &claims)
    }

    /// The Management API of `server`, with a token signed by this key.
    pub fn api(&self, server: &Server) -> Api {
        Api {
            client: reqwest::Client::new(),
            base: server.base.clone(),
            auth: Auth::Bearer(self.token()),
        }
    }
}

/// An RS256 JWT of `claims`, with `kid` in its header when given.
pub fn sign(kid: Option<&str>, private_pem: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).expect("PKCS#8 RSA key");
    jsonwebtoken::encode(&header, claims, &key).expect("sign JWT")
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
    pub auth: Auth,
}

impl Api {
    /// Credentials: a fresh legacy API key (which retires the one before).
    pub async fn legacy(server: &Server) -> Api {
        Api::legacy_with(server, reqwest::Client::new()).await
    }

    /// Like `legacy`, sending with `client`.
    pub async fn legacy_with(server: &Server, client: reqwest::Client) -> Api {
        let key = server
            .call("regenerate_api_key", &[])
            .await
            .expect("regenerate_api_key");
        let key = key.as_str().expect("the key is a string").to_owned();
        Api {
            client,
            base: server.base.clone(),
            auth: Auth::Key(key),
        }
    }

    /// The legacy API key these credentials send.
    pub fn key(&self) -> &str {
        match &self.auth {
            Auth::Key(key) => key,
            Auth::None | Auth::Bearer(_) => panic!("no legacy API key"),
        }
    }

    pub fn with(&self, auth: Auth) -> Api {
        Api {
            auth,
            ..self.clone()
        }
    }

    pub fn bearer(&self, token: String) -> Api {
        self.with(Auth::Bearer(token))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The credential parameters (empty for a bearer token).
    pub fn credentials(&self) -> Vec<(String, String)> {
        match &self.auth {
            Auth::Key(key) => vec![
                ("account_id".into(), ACCOUNT_ID.into()),
                ("api_key".into(), key.clone()),
            ],
            Auth::None | Auth::Bearer(_) => Vec::new(),
        }
    }

    /// Adds the bearer header when there is one.
    pub fn authorize(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.auth {
            Auth::Bearer(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
            Auth::None | Auth::Key(_) => request,
        }
    }

    /// `POST /platform_api/<method>` with `params` and the credentials, urlencoded.
    pub fn request(&self, method: &str, params: &[(&str, &str)]) -> RequestBuilder {
        let mut form = pairs(params);
        form.extend(self.credentials());
        let request = self
            .client
            .post(self.url(&format!("/platform_api/{method}")))
            .form(&form);
        self.authorize(request)
    }

    /// Sends `request(method, params)`; the decoded body, error or not.
    pub async fn call(&self, method: &str, params: &[(&str, &str)]) -> Value {
        send(self.request(method, params)).await
    }

    /// Like `call`, asserting success.
    pub async fn ok(&self, method: &str, params: &[(&str, &str)]) -> Value {
        let body = self.call(method, params).await;
        assert_eq!(
            error_code(&body),
            None,
            "{method} {params:?} failed: {body}"
        );
        assert!(body.get("result").is_some(), "{method}: no result: {body}");
        body
    }

    /// Like `call`, asserting API error `code`; returns the message.
    pub async fn expect_error(&self, method: &str, params: &[(&str, &str)], code: i64) -> String {
        let body = self.call(method, params).await;
        assert_eq!(
            error_code(&body),
            Some(code),
            "{method} {params:?}: expected error {code}, got {body}"
        );
        body["error"]["msg"].as_str().expect("msg").to_owned()
    }
}

/// Sends a request and checks what every `/platform_api` response must be: HTTP 200, JSON,
/// not cacheable.
pub async fn send(request: RequestBuilder) -> Value {
    let response = request.send().await.expect("request failed");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    assert_eq!(status, 200, "HTTP status; body: {text}");
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        content_type.starts_with("application/json"),
        "Content-Type {content_type:?}; body: {text}"
    );
    assert_eq!(
        headers.get(CACHE_CONTROL).and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "Cache-Control; body: {text}"
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The error code of an API error body, asserting its shape.
pub fn error_code(body: &Value) -> Option<i64> {
    let error = body.get("error")?;
    assert!(error["msg"].is_string(), "error without a msg: {body}");
    assert!(body.get("result").is_none(), "error with a result: {body}");
    Some(error["code"].as_i64().expect("numeric error code"))
}

/// Asserts `body` is API error `code` and returns its message.
pub fn assert_error(body: &Value, code: i64) -> String {
    assert_eq!(
        error_code(body),
        Some(code),
        "expected error {code}: {body}"
    );
    body["error"]["msg"].as_str().expect("msg").to_owned()
}

pub fn assert_ok(body: &Value) {
    assert_eq!(error_code(body), None, "unexpected error: {body}");
    assert!(body.get("result").is_some(), "no result: {body}");
}

pub fn pairs(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}
