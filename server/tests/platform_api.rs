//! The Management API at `/platform_api` over real HTTP, against `shared/spec/platform-api.md`:
//! the four call styles and three parameter sources, every method with its documented errors,
//! the JWT and API-key rules, roles, and that the panel and the API see the same data.

mod support;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::RequestBuilder;
use reqwest::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::Server;

const SUFFIX: &str = ".default.strongroom";

/// How a request proves who sends it.
#[derive(Clone)]
enum Auth {
    None,
    /// The legacy `account_id=1` + `api_key` parameters.
    Key(String),
    /// `Authorization: Bearer <jwt>`.
    Bearer(String),
}

#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
    auth: Auth,
}

/// A service-account key as the panel hands it out.
struct ServiceAccount {
    key_id: String,
    private_key: String,
}

impl ServiceAccount {
    async fn create(server: &Server, role: &str) -> ServiceAccount {
        let credentials = server
            .call(
                "create_service_account",
                &[("role", role), ("description", "t")],
            )
            .await
            .expect("create_service_account");
        assert_eq!(credentials["account_id"], json!(1), "{credentials}");
        ServiceAccount {
            key_id: credentials["key_id"].as_str().expect("key_id").to_owned(),
            private_key: credentials["private_key"]
                .as_str()
                .expect("private_key")
                .to_owned(),
        }
    }

    /// A token as the official clients make it: `iss` as a string, `iat` five seconds back.
    fn token(&self) -> String {
        let now = now();
        self.token_with(json!("1"), now - 5, now + 60)
    }

    fn token_with(&self, iss: Value, iat: i64, exp: i64) -> String {
        sign(
            Some(&self.key_id),
            &self.private_key,
            &json!({ "iss": iss, "iat": iat, "exp": exp }),
        )
    }
}

fn sign(kid: Option<&str>, private_pem: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).expect("PKCS#8 RSA key");
    jsonwebtoken::encode(&header, claims, &key).expect("sign JWT")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// Sends a request and checks what every `/platform_api` response must be: HTTP 200, JSON,
/// not cacheable.
async fn send(request: RequestBuilder) -> Value {
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
fn error_code(body: &Value) -> Option<i64> {
    let error = body.get("error")?;
    assert!(error["msg"].is_string(), "error without a msg: {body}");
    assert!(body.get("result").is_none(), "error with a result: {body}");
    Some(error["code"].as_i64().expect("numeric error code"))
}

/// Asserts `body` is API error `code` and returns its message.
fn assert_error(body: &Value, code: i64) -> String {
    assert_eq!(
        error_code(body),
        Some(code),
        "expected error {code}: {body}"
    );
    body["error"]["msg"].as_str().expect("msg").to_owned()
}

fn assert_ok(body: &Value) {
    assert_eq!(error_code(body), None, "unexpected error: {body}");
    assert!(body.get("result").is_some(), "no result: {body}");
}

fn assert_timestamp(value: &Value) {
    let s = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    let shape_ok = s.len() == 19
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b' ',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
    assert!(shape_ok, "not a YYYY-MM-DD HH:MM:SS timestamp: {s:?}");
}

fn keys(item: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = item
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {item}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

fn pairs(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl Api {
    /// Credentials: a fresh legacy API key.
    async fn legacy(server: &Server) -> Api {
        let key = server
            .call("regenerate_api_key", &[])
            .await
            .expect("regenerate_api_key");
        let key = key.as_str().expect("the key is a string").to_owned();
        Api {
            client: reqwest::Client::new(),
            base: server.base.clone(),
            auth: Auth::Key(key),
        }
    }

    fn with(&self, auth: Auth) -> Api {
        Api {
            auth,
            ..self.clone()
        }
    }

    fn bearer(&self, token: String) -> Api {
        self.with(Auth::Bearer(token))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The credential parameters (empty for a bearer token).
    fn credentials(&self) -> Vec<(String, String)> {
        match &self.auth {
            Auth::Key(key) => vec![
                ("account_id".into(), "1".into()),
                ("api_key".into(), key.clone()),
            ],
            Auth::None | Auth::Bearer(_) => Vec::new(),
        }
    }

    /// Adds the bearer header when there is one.
    fn authorize(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.auth {
            Auth::Bearer(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
            Auth::None | Auth::Key(_) => request,
        }
    }

    /// `params` plus the credential parameters.
    fn with_credentials(&self, params: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut all = pairs(params);
        all.extend(self.credentials());
        all
    }

    /// `POST /platform_api/<method>` with a urlencoded body; the decoded body, error or not.
    async fn call(&self, method: &str, params: &[(&str, &str)]) -> Value {
        let request = self
            .client
            .post(self.url(&format!("/platform_api/{method}")))
            .form(&self.with_credentials(params));
        send(self.authorize(request)).await
    }

    /// Like `call`, asserting success.
    async fn ok(&self, method: &str, params: &[(&str, &str)]) -> Value {
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
    async fn expect_error(&self, method: &str, params: &[(&str, &str)], code: i64) -> String {
        let body = self.call(method, params).await;
        assert_eq!(
            error_code(&body),
            Some(code),
            "{method} {params:?}: expected error {code}, got {body}"
        );
        body["error"]["msg"].as_str().expect("msg").to_owned()
    }

    /// Creates an application; returns its id as the API takes it.
    async fn add_app(&self, name: &str) -> String {
        let body = self
            .ok("AddApplication", &[("application_name", name)])
            .await;
        body["application_id"]
            .as_i64()
            .expect("application_id")
            .to_string()
    }

    async fn add_secret(&self, app: &str, name: &str, value: &str) -> String {
        let body = self
            .ok(
                "AddSecret",
                &[
                    ("application_id", app),
                    ("secret_name", name),
                    ("secret_value", value),
                ],
            )
            .await;
        body["result"][0]["secret_id"]
            .as_i64()
            .expect("secret_id")
            .to_string()
    }

    /// `GetSecrets` of `app` with extra `params`; asserts count == items.
    async fn secrets(&self, app: &str, params: &[(&str, &str)]) -> Value {
        let mut all = vec![("application_id", app)];
        all.extend_from_slice(params);
        let body = self.ok("GetSecrets", &all).await;
        let items = body["result"].as_array().expect("result array");
        assert_eq!(body["count"], json!(items.len()), "{body}");
        body
    }

    /// The names `GetSecrets` lists for `app`, in order.
    async fn secret_names(&self, app: &str) -> Vec<String> {
        names_in(
            &self.secrets(app, &[("count", "1000")]).await,
            "secret_name",
        )
    }

    /// The value and metadata of one secret.
    async fn value(&self, app: &str, which: (&str, &str)) -> Value {
        let body = self
            .ok("GetSecretValue", &[("application_id", app), which])
            .await;
        let result = body["result"].as_array().expect("result array");
        assert_eq!(result.len(), 1, "{body}");
        result[0].clone()
    }

    /// Full names of all applications, in the order `GetApplications` gives.
    async fn app_names(&self) -> Vec<String> {
        names_in(
            &self.ok("GetApplications", &[("count", "1000")]).await,
            "application_name",
        )
    }
}

fn names_in(body: &Value, field: &str) -> Vec<String> {
    body["result"]
        .as_array()
        .unwrap_or_else(|| panic!("no result array: {body}"))
        .iter()
        .map(|item| item[field].as_str().expect("name").to_owned())
        .collect()
}

fn ids_in(body: &Value, field: &str) -> Vec<i64> {
    body["result"]
        .as_array()
        .unwrap_or_else(|| panic!("no result array: {body}"))
        .iter()
        .map(|item| item[field].as_i64().expect("id"))
        .collect()
}

/// The panel's view of one application's secret names.
async fn panel_secret_names(server: &Server, app: &str) -> Vec<String> {
    let page = server
        .call("list_secrets", &[("application_id", app)])
        .await
        .expect("list_secrets");
    let mut names: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    names
}

/// The panel's view of the application names.
async fn panel_app_names(server: &Server) -> Vec<String> {
    let apps = server
        .call("list_applications", &[])
        .await
        .expect("list_applications");
    let mut names: Vec<String> = apps
        .as_array()
        .expect("array")
        .iter()
        .map(|a| a["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    names
}

async fn start() -> (tempfile::TempDir, Server) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&tmp.path().join("data")).await;
    (tmp, server)
}

// ---------------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn all_call_styles_and_parameter_sources_are_equivalent() {
    let (_tmp, server) = start().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("styles").await;
    let creds = api.credentials();
    let form = |extra: &[(&str, &str)]| {
        let mut all = pairs(extra);
        all.extend(creds.clone());
        all
    };
    let secret = |name: &'static str, value: &'static str| {
        vec![
            ("application_id", app.as_str()),
            ("secret_name", name),
            ("secret_value", value),
        ]
    };
    let multipart = |fields: Vec<(String, String)>| {
        fields
            .into_iter()
            .fold(reqwest::multipart::Form::new(), |f, (k, v)| f.text(k, v))
    };
    let c = &api.client;

    // Each style adds one secret whose value needs careful encoding.
    let mut added = Vec::new();
    let styles: Vec<(&str, &str, RequestBuilder)> = vec![
        (
            "POST_PATH",
            "post path & form=1;+%",
            c.post(api.url("/platform_api/AddSecret"))
                .form(&form(&secret("POST_PATH", "post path & form=1;+%"))),
        ),
        (
            "GET_PATH",
            "get path ?#=&+ жёлудь",
            c.get(api.url("/platform_api/AddSecret"))
                .query(&form(&secret("GET_PATH", "get path ?#=&+ жёлудь"))),
        ),
        (
            "POST_CMD",
            "post cmd 😀\nline two",
            c.post(api.url("/platform_api")).form(&form(
                &[
                    secret("POST_CMD", "post cmd 😀\nline two"),
                    vec![("cmd", "AddSecret")],
                ]
                .concat(),
            )),
        ),
        (
            "GET_CMD",
            "get cmd  spaces  ",
            c.get(api.url("/platform_api")).query(&form(
                &[
                    secret("GET_CMD", "get cmd  spaces  "),
                    vec![("cmd", "AddSecret")],
                ]
                .concat(),
            )),
        ),
        (
            "MULTIPART",
            "multi\r\npart; name=\"x\"",
            c.post(api.url("/platform_api/AddSecret"))
                .multipart(multipart(form(&secret(
                    "MULTIPART",
                    "multi\r\npart; name=\"x\"",
                )))),
        ),
        (
            "MULTIPART_CMD",
            "multipart with cmd",
            c.post(api.url("/platform_api")).multipart(multipart(form(
                &[
                    secret("MULTIPART_CMD", "multipart with cmd"),
                    vec![("cmd", "AddSecret")],
                ]
                .concat(),
            ))),
        ),
        (
            "JSON_EMPTY",
            "json {} body ignored",
            c.post(api.url("/platform_api/AddSecret"))
                .query(&form(&secret("JSON_EMPTY", "json {} body ignored")))
                .json(&json!({})),
        ),
        (
            // Credentials in the query, the rest in the body.
            "SPLIT",
            "split query and body",
            c.post(api.url("/platform_api/AddSecret"))
                .query(&creds)
                .form(&secret("SPLIT", "split query and body")),
        ),
    ];
    for (name, value, request) in styles {
        let body = send(request).await;
        assert_ok(&body);
        let result = body["result"].as_array().expect("result array");
        assert_eq!(result.len(), 1, "{name}: {body}");
        assert_eq!(keys(&result[0]), vec!["secret_id"], "{name}: {body}");
        added.push((name, value, result[0]["secret_id"].as_i64().expect("id")));
    }
    for (name, value, id) in &added {
        let item = api.value(&app, ("secret_name", name)).await;
        assert_eq!(item["secret_value"], json!(value), "{name}");
        assert_eq!(item["secret_id"], json!(id), "{name}");
    }

    // The same read four ways gives the same answer.
    let list = [("application_id", app.as_str()), ("count", "1000")];
    let with_cmd = [list.as_slice(), &[("cmd", "GetSecrets")]].concat();
    let answers = [
        send(
            c.post(api.url("/platform_api/GetSecrets"))
                .form(&form(&list)),
        )
        .await,
        send(
            c.get(api.url("/platform_api/GetSecrets"))
                .query(&form(&list)),
        )
        .await,
        send(c.post(api.url("/platform_api")).form(&form(&with_cmd))).await,
        send(c.get(api.url("/platform_api")).query(&form(&with_cmd))).await,
        send(
            c.post(api.url("/platform_api/GetSecrets"))
                .multipart(multipart(form(&list))),
        )
        .await,
        send(
            c.post(api.url("/platform_api/GetSecrets"))
                .query(&form(&list))
                .json(&json!({})),
        )
        .await,
    ];
    let expected: Vec<String> = added.iter().map(|(n, _, _)| (*n).to_owned()).collect();
    assert_eq!(names_in(&answers[0], "secret_name"), expected);
    assert_eq!(answers[0]["total_count"], json!(added.len()));
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer, &answers[0], "style {i} differs");
    }

    // One name from query and body: different values are refused, equal ones are fine.
    for body_name in ["BODY_NAME", "QUERY_NAME"] {
        let request = c
            .post(api.url("/platform_api/AddSecret"))
            .query(&form(&[("secret_name", "QUERY_NAME")]))
            .form(&[
                ("application_id", app.as_str()),
                ("secret_name", body_name),
                ("secret_value", "v"),
            ]);
        let body = send(request).await;
        if body_name == "BODY_NAME" {
            let msg = assert_error(&body, 101);
            assert!(msg.contains("secret_name"), "{msg}");
        } else {
            assert_ok(&body);
        }
    }
    let multipart_conflict = c
        .post(api.url("/platform_api/AddSecret"))
        .query(&[("secret_name", "QUERY_ONLY")])
        .multipart(multipart(form(&secret("MULTIPART_OTHER", "v"))));
    assert_error(&send(multipart_conflict).await, 101);
    // `cmd` naming another method than the path.
    let cmd_conflict = c
        .post(api.url("/platform_api/GetSecrets"))
        .form(&form(&[("application_id", &app), ("cmd", "DelSecret")]));
    assert_error(&send(cmd_conflict).await, 101);

    let mut names = expected.clone();
    names.push("QUERY_NAME".into());
    assert_eq!(
        api.secret_names(&app).await,
        names,
        "refused calls added nothing"
    );
}

#[tokio::test]
async fn transport_and_credential_errors() {
    let (_tmp, server) = start().await;
    let api = Api::legacy(&server).await;
    let c = &api.client;
    let creds = api.credentials();

    // Missing cmd: 102, whichever way /platform_api is called.
    let body = send(c.post(api.url("/platform_api")).form(&creds)).await;
    assert_error(&body, 102);
    let body = send(c.get(api.url("/platform_api")).query(&creds)).await;
    assert_error(&body, 102);
    assert_error(&send(c.get(api.url("/platform_api"))).await, 102);
    let body = send(c.post(api.url("/platform_api/")).form(&creds)).await;
    assert_error(&body, 102);

    // Unknown method: 103, by path and by cmd.
    assert_error(&api.call("NoSuchMethod", &[]).await, 103);
    let body = send(
        c.get(api.url("/platform_api"))
            .query(&[creds.clone(), pairs(&[("cmd", "GetSecretz")])].concat()),
    )
    .await;
    assert_error(&body, 103);

    // Unreadable bodies are API errors too (HTTP 200, JSON), not HTTP errors.
    let body = send(
        c.post(api.url("/platform_api/GetApplications"))
            .query(&creds)
            .header(CONTENT_TYPE, "multipart/form-data; boundary=XYZ")
            .body("--XYZ\r\nthis is not a part header\r\n\r\nv\r\n"),
    )
    .await;
    assert_error(&body, 101);
    let body = send(
        c.post(api.url("/platform_api/GetApplications"))
            .query(&creds)
            .header(CONTENT_TYPE, "text/plain")
            .body("application_name=x"),
    )
    .await;
    assert_error(&body, 101);

    // Credentials.
    let none = api.with(Auth::None);
    assert_error(&none.call("GetApplications", &[]).await, 100);
    let wrong = api.with(Auth::Key("not-the-key".into()));
    assert_error(&wrong.call("GetApplications", &[]).await, 100);
    let Auth::Key(key) = api.auth.clone() else {
        unreachable!()
    };
    let no_account = send(
        c.post(api.url("/platform_api/GetApplications"))
            .form(&[("api_key", key.as_str())]),
    )
    .await;
    assert_error(&no_account, 100);
    let other_account = send(
        c.post(api.url("/platform_api/GetApplications"))
            .form(&[("account_id", "2"), ("api_key", key.as_str())]),
    )
    .await;
    assert_error(&other_account, 100);
    let no_key = send(
        c.post(api.url("/platform_api/GetApplications"))
            .form(&[("account_id", "1")]),
    )
    .await;
    assert_error(&no_key, 100);
    let not_bearer = send(
        c.post(api.url("/platform_api/GetApplications"))
            .header(AUTHORIZATION, "Basic YWxhZGRpbjpvcGVuc2VzYW1l"),
    )
    .await;
    assert_error(&not_bearer, 100);
    let garbage = api.bearer("not.a.jwt".into());
    assert_error(&garbage.call("GetApplications", &[]).await, 100);
    // Refused calls change nothing.
    assert_error(
        &none
            .call("AddApplication", &[("application_name", "sneaky")])
            .await,
        100,
    );

    // The right key works; regenerating it retires the old one at once.
    api.ok("GetApplications", &[]).await;
    let fresh = Api::legacy(&server).await;
    assert_error(&api.call("GetApplications", &[]).await, 100);
    let body = fresh.ok("GetApplications", &[]).await;
    assert_eq!(body["total_count"], json!(0), "{body}");
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn add_secret_validates_and_returns_an_array_of_one_id() {
    let (_tmp, server) = start().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("adding").await;
    let add = |name: String, value: String, description: Option<String>| {
        let api = api.clone();
        let app = app.clone();
        async move {
            let mut params = vec![
                ("application_id", app.as_str()),
                ("secret_name", name.as_str()),
                ("secret_value", value.as_str()),
            ];
            if let Some(d) = &description {
                params.push(("description", d.as_str()));
            }
            api.call("AddSecret", &params).await
        }
    };

    let first = add("FIRST".into(), "v".into(), None).await;
    assert_ok(&first);
    let result = first["result"].as_array().expect("array");
    assert_eq!(result.len(), 1, "{first}");
    assert_eq!(keys(&result[0]), vec!["secret_id"], "{first}");
    let first_id = result[0]["secret_id"].as_i64().expect("id");
    assert!(first_id > 0);
    let second = add("SECOND".into(), "v".into(), None).await;
    let second_id = second["result"][0]["secret_id"].as_i64().expect("id");
    assert!(second_id > first_id, "{second}");

    // Missing or empty name or value: 134, naming the parameter.
    let msg = api
        .expect_error(
            "AddSecret",
            &[("application_id", &app), ("secret_value", "v")],
            134,
        )
        .await;
    assert!(msg.contains("secret_name"), "{msg}");
    let msg = api
        .expect_error(
            "AddSecret",
            &[("application_id", &app), ("secret_name", "X")],
            134,
        )
        .await;
    assert!(msg.contains("secret_value"), "{msg}");
    let msg = api
        .expect_error(
            "AddSecret",
            &[
                ("application_id", &app),
                ("secret_name", "X"),
                ("secret_value", ""),
            ],
            134,
        )
        .await;
    assert!(msg.contains("secret_value"), "{msg}");

    // Invalid names and values: 101, naming the parameter.
    for bad in [
        "1abc".to_owned(),
        format!("a{}", "b".repeat(64)),
        "a-b".into(),
    ] {
        let body = add(bad.clone(), "v".into(), None).await;
        let msg = assert_error(&body, 101);
        assert!(msg.contains("secret_name"), "{bad}: {msg}");
    }
    let body = add("TOO_LONG".into(), "x".repeat(8193), None).await;
    let msg = assert_error(&body, 101);
    assert!(msg.contains("secret_value"), "{msg}");
    assert!(
        !msg.contains(&"x".repeat(100)),
        "the error echoes the value: {msg}"
    );

    // Limits are in characters: 64 for a name, 8192 four-byte characters for a value.
    let longest_name = format!("a{}", "B_9".repeat(21));
    assert_eq!(longest_name.len(), 64);
    let emoji = "😀".repeat(8192);
    assert_ok(&add(longest_name.clone(), emoji.clone(), None).await);
    let item = api
        .value(&app, ("secret_name", longest_name.as_str()))
        .await;
    assert_eq!(item["secret_value"].as_str(), Some(emoji.as_str()));
    assert_error(
        &add("EMOJI_OVER".into(), "😀".repeat(8193), None).await,
        101,
    );

    // The description is cut to its first 200 characters.
    let long = format!("{}{}", "ж".repeat(199), "é+&;xyz");
    assert_ok(&add("DESCRIBED".into(), "v".into(), Some(long)).await);
    let item = api.value(&app, ("secret_name", "DESCRIBED")).await;
    assert_eq!(
        item["description"].as_str(),
        Some(format!("{}é", "ж".repeat(199)).as_str())
    );

    // Duplicates, case-sensitively.
    let body = add("FIRST".into(), "other".into(), None).await;
    let msg = assert_error(&body, 493);
    assert_eq!(msg, "The 'secret_name' is not unique.");
    assert_ok(&add("first".into(), "lower case is another name".into(), None).await);
    // The same name in another application is fine.
    let other = api.add_app("adding-other").await;
    api.add_secret(&other, "FIRST", "v").await;

    assert_eq!(
        api.secret_names(&app).await,
        vec![
            "FIRST",
            "SECOND",
            longest_name.as_str(),
            "DESCRIBED",
            "first"
        ],
        "refused calls added nothing"
    );
}

#[tokio::test]
async fn get_secrets_filters_orders_and_pages() {
    let (_tmp, server) = start().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("listing").await;
    let other = api.add_app("listing-other").await;
    api.add_secret(&other, "OTHER_KEY", "v").await;
    let described = api
        .ok(
            "AddSecret",
            &[
                ("application_id", &app),
                ("secret_name", "Alpha"),
                ("secret_value", "alpha-value-canary"),
                ("description", "first one"),
            ],
        )
        .await;
    let alpha = described["result"][0]["secret_id"].as_i64().expect("id");
    for name in ["beta_KEY", "GAMMA_key", "delta", "AxKEY"] {
        api.add_secret(&app, name, "v").await;
    }

    let body = api.secrets(&app, &[]).await;
    assert_eq!(
        names_in(&body, "secret_name"),
        vec!["Alpha", "beta_KEY", "GAMMA_key", "delta", "AxKEY"]
    );
    assert_eq!(body["total_count"], json!(5));
    let ids = ids_in(&body, "secret_id");
    assert_eq!(ids[0], alpha);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "not by id: {ids:?}");
    assert!(
        !body.to_string().contains("alpha-value-canary"),
        "a list carried a value: {body}"
    );
    let items = body["result"].as_array().expect("array");
    assert_eq!(
        keys(&items[0]),
        vec![
            "created",
            "description",
            "modified",
            "secret_id",
            "secret_name"
        ]
    );
    assert_eq!(items[0]["description"], json!("first one"));
    for item in &items[1..] {
        assert_eq!(
            keys(item),
            vec!["created", "modified", "secret_id", "secret_name"],
            "an empty description must be omitted"
        );
    }
    for item in items {
        assert_timestamp(&item["created"]);
        assert_timestamp(&item["modified"]);
    }

    // Case-insensitive substring; `_` is a literal character, not a wildcard.
    for part in ["key", "KEY", "Key"] {
        let body = api.secrets(&app, &[("secret_name_part", part)]).await;
        assert_eq!(
            names_in(&body, "secret_name"),
            vec!["beta_KEY", "GAMMA_key", "AxKEY"],
            "{part}"
        );
        assert_eq!(body["total_count"], json!(3));
    }
    let body = api.secrets(&app, &[("secret_name_part", "a_k")]).await;
    assert_eq!(
        names_in(&body, "secret_name"),
        vec!["beta_KEY", "GAMMA_key"]
    );
    for literal in ["%", "\\"] {
        let body = api.secrets(&app, &[("secret_name_part", literal)]).await;
        assert_eq!(
            body["total_count"],
            json!(0),
            "{literal:?} is a wildcard: {body}"
        );
    }
    let body = api.secrets(&app, &[("secret_name_part", "nothing")]).await;
    assert_eq!(
        (body["count"].clone(), body["total_count"].clone()),
        (json!(0), json!(0))
    );

    // Paging: count/offset select, total_count ignores them.
    let page = |count: &'static str, offset: &'static str| {
        let api = api.clone();
        let app = app.clone();
        async move {
            api.secrets(&app, &[("count", count), ("offset", offset)])
                .await
        }
    };
    let body = page("2", "1").await;
    assert_eq!(
        names_in(&body, "secret_name"),
        vec!["beta_KEY", "GAMMA_key"]
    );
    assert_eq!(
        (body["count"].clone(), body["total_count"].clone()),
        (json!(2), json!(5))
    );
    let body = page("0", "0").await;
    assert_eq!(body["result"], json!([]));
    assert_eq!(
        (body["count"].clone(), body["total_count"].clone()),
        (json!(0), json!(5))
    );
    let body = page("1000", "0").await;
    assert_eq!(body["count"], json!(5));
    let body = page("10", "5").await;
    assert_eq!(body["result"], json!([]));
    assert_eq!(body["total_count"], json!(5));
    let body = page("10", "4000000000").await;
    assert_eq!(body["result"], json!([]));
    let body = api
        .secrets(&app, &[("secret_name_part", "key"), ("offset", "2")])
        .await;
    assert_eq!(names_in(&body, "secret_name"), vec!["AxKEY"]);
    assert_eq!(body["total_count"], json!(3));
    for (name, bad) in [
        ("count", "1001"),
        ("count", "abc"),
        ("count", "-1"),
        ("count", "1.5"),
        ("offset", "-1"),
        ("offset", "x"),
    ] {
        let msg = api
            .expect_error("GetSecrets", &[("application_id", &app), (name, bad)], 101)
            .await;
        assert!(msg.contains(name), "{name}={bad}: {msg}");
    }

    // The default page is 20 items.
    for i in 0..17 {
        api.add_secret(&app, &format!("FILL_{i:02}"), "v").await;
    }
    let body = api.secrets(&app, &[]).await;
    assert_eq!(body["count"], json!(20));
    assert_eq!(body["total_count"], json!(22));
    assert_eq!(api.secret_names(&other).await, vec!["OTHER_KEY"]);
}

#[tokio::test]
async fn get_secret_value_by_id_or_name() {
    let (_tmp, server) = start().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("reading").await;
    let other = api.add_app("reading-other").await;
    let body = api
        .ok(
            "AddSecret",
            &[
                ("application_id", &app),
                ("secret_name", "TOKEN"),
                ("secret_value", "s3cr3t value\n"),
                ("description", "the token"),
            ],
        )
        .await;
    let id = body["result"][0]["secret_id"].as_i64().expect("id");
    let id_s = id.to_string();
    let second = api.add_secret(&app, "SECOND", "second value").await;
    let foreign = api.add_secret(&other, "FOREIGN", "foreign value").await;

    let body = api
        .ok(
            "GetSecretValue",
            &[("application_id", &app), ("secret_id", &id_s)],
        )
        .await;
    let result = body["result"].as_array().expect("array of one");
    assert_eq!(result.len(), 1, "{body}");
    let item = &result[0];
    assert_eq!(
        keys(item),
        vec![
            "created",
            "description",
            "modified",
            "secret_id",
            "secret_name",
            "secret_value"
        ]
    );
    assert_eq!(item["secret_id"], json!(id));
    assert_eq!(item["secret_name"], json!("TOKEN"));
    assert_eq!(item["secret_value"], json!("s3cr3t value\n"));
    assert_eq!(item["description"], json!("the token"));
    assert_timestamp(&item["created"]);
    assert_timestamp(&item["modified"]);

    let by_name = api.value(&app, ("secret_name", "TOKEN")).await;
    assert_eq!(&by_name, item);
    let both = api
        .ok(
            "GetSecretValue",
            &[
                ("application_id", &app),
                ("secret_id", &id_s),
                ("secret_name", "TOKEN"),
            ],
        )
        .await;
    assert_eq!(&both["result"][0], item);
    let second_item = api.value(&app, ("secret_id", &second)).await;
    assert_eq!(second_item["secret_value"], json!("second value"));

    // Disagreeing, unknown, malformed, missing.
    api.expect_error(
        "GetSecretValue",
        &[
            ("application_id", &app),
            ("secret_id", &id_s),
            ("secret_name", "SECOND"),
        ],
        101,
    )
    .await;
    let msg = api
        .expect_error(
            "GetSecretValue",
            &[("application_id", &app), ("secret_id", "999999")],
            101,
        )
        .await;
    assert!(msg.contains("secret_id"), "{msg}");
    let msg = api
        .expect_error(
            "GetSecretValue",
            &[("application_id", &app), ("secret_name", "NOPE")],
            101,
        )
        .await;
    assert!(msg.contains("secret_name"), "{msg}");
    assert!(msg.contains("NOPE"), "{msg}");
    // Names are case-sensitive.
    api.expect_error(
        "GetSecretValue",
        &[("application_id", &app), ("secret_name", "token")],
        101,
    )
    .await;
    // Another application's secret is unknown here.
    let msg = api
        .expect_error(
            "GetSecretValue",
            &[("application_id", &app), ("secret_id", &foreign)],
            101,
        )
        .await;
    assert!(!msg.contains("foreign value"), "{msg}");
    api.expect_error(
        "GetSecretValue",
        &[("application_id", &app), ("secret_name", "FOREIGN")],
        101,
    )
    .await;
    api.expect_error(
        "SetSecretInfo",
        &[
            ("application_id", &app),
            ("secret_id", &foreign),
            ("secret_value", "overwritten"),
            ("description", "overwritten"),
        ],
        101,
    )
    .await;
    let untouched = api.value(&other, ("secret_id", &foreign)).await;
    assert_eq!(untouched["secret_value"], json!("foreign value"));
    assert_eq!(untouched["description"], json!(""));
    let msg = api
        .expect_error(
            "GetSecretValue",
            &[("application_id", &app), ("secret_id", "abc")],
            101,
        )
        .await;
    assert!(msg.contains("secret_id"), "{msg}");
    let msg = api
        .expect_error("GetSecretValue", &[("application_id", &app)], 134)
        .await;
    assert!(
        msg.contains("secret_id") || msg.contains("secret_name"),
        "{msg}"
    );
}

#[tokio::test]
async fn set_secret_info_changes_only_given_fields() {
    let (_tmp, server) = start().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("changing").await;
    let body = api
        .ok(
            "AddSecret",
            &[
                ("application_id", &app),
                ("secret_name", "ONE"),
                ("secret_value", "value-1"),
                ("description", "desc-1"),
            ],
        )
        .await;
    let one = body["result"][0]["secret_id"]
        .as_i64()
        .expect("id")
        .to_string();
    api.add_secret(&app, "TWO", "value-2").await;
    let before = api.value(&app, ("secret_id", &one)).await;
    // Timestamps have one-second resolution.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // The description only.
    let body = api
        .ok(
            "SetSecretInfo",
            &[
                ("application_id", &app),
                ("secret_id", &one),
                ("description", "desc-2"),
            ],
        )
        .await;
    assert_eq!(body, json!({ "result": 1 }));
    let after = api.value(&app, ("secret_id", &one)).await;
    assert_eq!(after["secret_name"], json!("ONE"));
    assert_eq!(after["secret_value"], json!("value-1"));
    assert_eq!(after["description"], json!("desc-2"));
    assert_eq!(after["created"], before["created"]);
    assert_timestamp(&after["modified"]);
    assert!(
        after["modified"].as_str() > before["modified"].as_str(),
        "modified did not move: {before} -> {after}"
    );

    // The value only, naming the secret by name.
    let body = api
        .ok(
            "SetSecretInfo",
            &[
                ("application_id", &app),
                ("secret_name", "ONE"),
                ("secret_value", "value-1b"),
            ],
        )
        .await;
    assert_eq!(body, json!({ "result": 1 }));
    let after = api.value(&app, ("secret_id", &one)).await;
    assert_eq!(
        (
            &after["secret_name"],
            &after["secret_value"],
            &after["description"]
        ),
        (&json!("ONE"), &json!("value-1b"), &json!("desc-2"))
    );

    // The name only.
    api.ok(
        "SetSecretInfo",
        &[
            ("application_id", &app),
            ("secret_id", &one),
            ("new_secret_name", "UNO"),
        ],
    )
    .await;
    let after = api.value(&app, ("secret_id", &one)).await;
    assert_eq!(
        (
            &after["secret_name"],
            &after["secret_value"],
            &after["description"]
        ),
        (&json!("UNO"), &json!("value-1b"), &json!("desc-2"))
    );
    api.expect_error(
        "GetSecretValue",
        &[("application_id", &app), ("secret_name", "ONE")],
        101,
    )
    .await;

    // All three at once; the description is cut to 200 characters here too.
    let long = "d".repeat(250);
    api.ok(
        "SetSecretInfo",
        &[
            ("application_id", &app),
            ("secret_name", "UNO"),
            ("new_secret_name", "ONE"),
            ("secret_value", "value-1c"),
            ("description", &long),
        ],
    )
    .await;
    let after = api.value(&app, ("secret_id", &one)).await;
    assert_eq!(
        (&after["secret_name"], &after["secret_value"]),
        (&json!("ONE"), &json!("value-1c"))
    );
    assert_eq!(after["description"], json!("d".repeat(200)));

    // An empty description given clears it (GetSecrets then omits it).
    api.ok(
        "SetSecretInfo",
        &[
            ("application_id", &app),
            ("secret_id", &one),
            ("description", ""),
        ],
    )
    .await;
    let listed = api.secrets(&app, &[]).await;
    assert!(listed["result"][0].get("description").is_none(), "{listed}");

    // Errors, none of which changes anything.
    let snapshot = api.value(&app, ("secret_id", &one)).await;
    let msg = api
        .expect_error(
            "SetSecretInfo",
            &[
                ("application_id", &app),
                ("secret_id", &one),
                ("new_secret_name", "TWO"),
            ],
            493,
        )
        .await;
    assert_eq!(msg, "The 'secret_name' is not unique.");
    api.expect_error(
        "SetSecretInfo",
        &[("application_id", &app), ("secret_id", &one)],
        134,
    )
    .await;
    let msg = api
        .expect_error(
            "SetSecretInfo",
            &[
                ("application_id", &app),
                ("secret_id", &one),
                ("secret_value", ""),
            ],
            101,
        )
        .await;
    assert!(msg.contains("secret_value"), "{msg}");
    let msg = api
        .expect_error(
            "SetSecretInfo",
            &[
                ("application_id", &app),
                ("secret_id", &one),
                ("secret_value", &"v".repeat(8193)),
            ],
            101,
        )
        .await;
    assert!(msg.contains("secret_value"), "{msg}");
    let msg = api
        .expect_error(
            "SetSecretInfo",
            &[
                ("application_id", &app),
                ("secret_id", &one),
                ("new_secret_name", "1abc"),
                ("description", "would change"),
            ],
            101,
        )
        .await;
    assert!(msg.contains("new_secret_name"), "{msg}");
    let msg = api
        .expect_error(
            "SetSecretInfo",
            &[
                ("application_id", &app),
                ("secret_id", "999999"),
                ("description", "x"),
            ],
            101,
        )
        .await;
    assert!(msg.contains("secret_id"), "{msg}");
    let msg = api
        .expect_error(
            "SetSecretInfo",
            &[
                ("application_id", &app),
                ("secret_name", "NOPE"),
                ("description", "x"),
            ],
            101,
        )
        .await;
    assert!(msg.contains("secret_name"), "{msg}");
    api.expect_error(
        "SetSecretInfo",
        &[("application_id", &app), ("description", "x")],
        134,
    )
    .await;
    assert_eq!(api.value(&app, ("secret_id", &one)).await, snapshot);
    assert_eq!(api.secret_names(&app).await, vec!["ONE", "TWO"]);
}

#[tokio::test]
async fn del_secret_deletes_the_union_or_nothing() {
    let (_tmp, server) = start().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("deleting").await;
    let other = api.add_app("deleting-other").await;
    let mut ids = Vec::new();
    for name in ["A", "B", "C", "D", "E", "F"] {
        ids.push(api.add_secret(&app, name, "v").await);
    }
    let foreign = api.add_secret(&other, "A", "v").await;
    let all = vec!["A", "B", "C", "D", "E", "F"];
    let del = |params: Vec<(&'static str, String)>| {
        let api = api.clone();
        let app = app.clone();
        async move {
            let mut all = vec![("application_id", app.as_str())];
            all.extend(params.iter().map(|(k, v)| (*k, v.as_str())));
            api.call("DelSecret", &all).await
        }
    };

    // One unknown item among known ones: 101, and nothing goes.
    let body = del(vec![("secret_id", format!("{};999999", ids[0]))]).await;
    let msg = assert_error(&body, 101);
    assert!(msg.contains("999999"), "{msg}");
    let body = del(vec![("secret_name", "A;NOPE".into())]).await;
    let msg = assert_error(&body, 101);
    assert!(msg.contains("NOPE"), "{msg}");
    let body = del(vec![
        ("secret_id", ids[0].clone()),
        ("secret_name", "NOPE".into()),
    ])
    .await;
    assert_error(&body, 101);
    // Another application's secret is unknown here.
    assert_error(&del(vec![("secret_id", foreign.clone())]).await, 101);
    // Malformed lists.
    for bad in ["1;;2", ";", "1;", "x", "0", "-1"] {
        let msg = assert_error(&del(vec![("secret_id", bad.into())]).await, 101);
        assert!(msg.contains("secret_id"), "{bad}: {msg}");
    }
    assert_error(&del(vec![("secret_name", "A;;B".into())]).await, 101);
    // Neither list.
    assert_error(&del(vec![]).await, 134);
    let body = api.secrets(&app, &[]).await;
    assert_eq!(
        body["total_count"],
        json!(6),
        "a refused call deleted: {body}"
    );
    assert_eq!(api.secret_names(&app).await, all);

    // Ids and names together delete their union (overlaps are fine).
    let body = del(vec![
        ("secret_id", format!("{};{}", ids[0], ids[1])),
        ("secret_name", "B;C".into()),
    ])
    .await;
    assert_eq!(body, json!({ "result": 1 }));
    assert_eq!(api.secret_names(&app).await, vec!["D", "E", "F"]);
    let body = del(vec![("secret_name", "D".into())]).await;
    assert_eq!(body, json!({ "result": 1 }));
    assert_eq!(api.secret_names(&app).await, vec!["E", "F"]);
    // A deleted secret is unknown from then on.
    assert_error(&del(vec![("secret_id", ids[0].clone())]).await, 101);

    // `all` empties this application only.
    let body = del(vec![("secret_id", "all".into())]).await;
    assert_eq!(body, json!({ "result": 1 }));
    assert_eq!(api.secrets(&app, &[]).await["total_count"], json!(0));
    assert_eq!(api.secret_names(&other).await, vec!["A"]);

    // Ids are never reused, not even the highest one once it is gone.
    api.ok(
        "DelSecret",
        &[("application_id", &other), ("secret_id", &foreign)],
    )
    .await;
    let again = api.add_secret(&app, "A", "v").await;
    let max_old = ids
        .iter()
        .chain([&foreign])
        .map(|id| id.parse::<i64>().expect("id"))
        .max()
        .expect("ids");
    assert!(
        again.parse::<i64>().expect("id") > max_old,
        "{again} reused"
    );
}

// ---------------------------------------------------------------------------------------------
// Applications
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn add_and_get_applications() {
    let (_tmp, server) = start().await;
    let api = Api::legacy(&server).await;

    let body = api
        .ok("AddApplication", &[("application_name", "alpha")])
        .await;
    let alpha = body["application_id"].as_i64().expect("application_id");
    assert_eq!(
        body,
        json!({
            "result": 1,
            "application_id": alpha,
            "application_name": format!("alpha{SUFFIX}"),
        })
    );
    let beta = api.add_app("beta").await;
    let alpha_two = api.add_app("alpha-two").await;
    let gamma = api.add_app("gamma9").await;

    // Invalid, duplicate, missing.
    for bad in ["Bad_Name", "1app", "-app", "my_app", "UPPER"] {
        let msg = api
            .expect_error("AddApplication", &[("application_name", bad)], 107)
            .await;
        assert!(msg.contains("application_name"), "{bad}: {msg}");
    }
    let long = format!("a{}", "b".repeat(64));
    api.expect_error("AddApplication", &[("application_name", &long)], 107)
        .await;
    let msg = api
        .expect_error("AddApplication", &[("application_name", "alpha")], 129)
        .await;
    assert!(msg.contains("application_name"), "{msg}");
    api.expect_error(
        "AddApplication",
        &[("application_name", &format!("beta{SUFFIX}"))],
        129,
    )
    .await;
    api.expect_error("AddApplication", &[], 134).await;
    api.expect_error("AddApplication", &[("application_name", "")], 134)
        .await;

    // All of them, ordered by id, with full names.
    let body = api.ok("GetApplications", &[]).await;
    assert_eq!(
        names_in(&body, "application_name"),
        ["alpha", "beta", "alpha-two", "gamma9"].map(|n| format!("{n}{SUFFIX}"))
    );
    let ids = ids_in(&body, "application_id");
    assert_eq!(
        ids.iter().map(i64::to_string).collect::<Vec<_>>(),
        vec![
            alpha.to_string(),
            beta.clone(),
            alpha_two.clone(),
            gamma.clone()
        ]
    );
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(
        (body["count"].clone(), body["total_count"].clone()),
        (json!(4), json!(4))
    );
    for item in body["result"].as_array().expect("array") {
        assert_eq!(
            keys(item),
            vec!["application_id", "application_name", "modified"]
        );
        assert_timestamp(&item["modified"]);
    }

    // application_id is exact; application_name is a substring.
    let body = api
        .ok("GetApplications", &[("application_id", &beta)])
        .await;
    assert_eq!(
        names_in(&body, "application_name"),
        vec![format!("beta{SUFFIX}")]
    );
    assert_eq!(body["total_count"], json!(1));
    let body = api
        .ok("GetApplications", &[("application_name", "alpha")])
        .await;
    assert_eq!(
        names_in(&body, "application_name"),
        vec![format!("alpha{SUFFIX}"), format!("alpha-two{SUFFIX}")]
    );
    assert_eq!(body["total_count"], json!(2));
    let body = api
        .ok("GetApplications", &[("application_name", "a-t")])
        .await;
    assert_eq!(
        names_in(&body, "application_name"),
        vec![format!("alpha-two{SUFFIX}")]
    );
    let body = api
        .ok(
            "GetApplications",
            &[("application_name", &format!("gamma9{SUFFIX}"))],
        )
        .await;
    assert_eq!(
        names_in(&body, "application_name"),
        vec![format!("gamma9{SUFFIX}")]
    );

    // Paging.
    let body = api
        .ok("GetApplications", &[("count", "2"), ("offset", "1")])
        .await;
    assert_eq!(
        names_in(&body, "application_name"),
        vec![format!("beta{SUFFIX}"), format!("alpha-two{SUFFIX}")]
    );
    assert_eq!(
        (body["count"].clone(), body["total_count"].clone()),
        (json!(2), json!(4))
    );
    let body = api.ok("GetApplications", &[("count", "0")]).await;
    assert_eq!(body["result"], json!([]));
    assert_eq!(body["total_count"], json!(4));
    let body = api.ok("GetApplications", &[("offset", "4")]).await;
    assert_eq!(body["result"], json!([]));
    assert_eq!(body["total_count"], json!(4));
    for (name, bad) in [
        ("count", "1001"),
        ("count", "abc"),
        ("offset", "-1"),
        ("application_id", "abc"),
        ("application_id", "0"),
    ] {
        let msg = api
            .expect_error("GetApplications", &[(name, bad)], 101)
            .await;
        assert!(msg.contains(name), "{name}={bad}: {msg}");
    }
}

#[tokio::test]
async fn set_application_info_renames_by_id_or_name() {
    let (_tmp, server) = start().await;
    let api = Api::legacy(&server).await;
    let first = api.add_app("first").await;
    let second = api.add_app("second").await;
    api.add_secret(&first, "KEPT", "kept value").await;

    let body = api
        .ok(
            "SetApplicationInfo",
            &[
                ("application_id", &first),
                ("application_name", "first-renamed"),
            ],
        )
        .await;
    assert_eq!(
        body,
        json!({ "result": 1, "application_name": format!("first-renamed{SUFFIX}") })
    );
    let body = api
        .ok(
            "SetApplicationInfo",
            &[
                ("required_application_name", "second"),
                ("application_name", "second-renamed"),
            ],
        )
        .await;
    assert_eq!(
        body,
        json!({ "result": 1, "application_name": format!("second-renamed{SUFFIX}") })
    );
    // Full names for both the old and the new name.
    let body = api
        .ok(
            "SetApplicationInfo",
            &[
                (
                    "required_application_name",
                    &format!("second-renamed{SUFFIX}"),
                ),
                ("application_name", &format!("second-again{SUFFIX}")),
            ],
        )
        .await;
    assert_eq!(
        body,
        json!({ "result": 1, "application_name": format!("second-again{SUFFIX}") })
    );
    // Both identifiers, agreeing.
    api.ok(
        "SetApplicationInfo",
        &[
            ("application_id", &first),
            ("required_application_name", "first-renamed"),
            ("application_name", "first-final"),
        ],
    )
    .await;
    assert_eq!(
        api.app_names().await,
        vec![
            format!("first-final{SUFFIX}"),
            format!("second-again{SUFFIX}")
        ]
    );
    // The secrets stay with the application.
    let item = api.value(&first, ("secret_name", "KEPT")).await;
    assert_eq!(item["secret_value"], json!("kept value"));

    // Errors, none of which renames anything.
    let msg = api
        .expect_error(
            "SetApplicationInfo",
            &[
                ("application_id", &first),
                ("application_name", "second-again"),
            ],
            129,
        )
        .await;
    assert!(msg.contains("application_name"), "{msg}");
    let msg = api
        .expect_error(
            "SetApplicationInfo",
            &[("application_id", &first), ("application_name", "Bad_Name")],
            107,
        )
        .await;
    assert!(msg.contains("application_name"), "{msg}");
    let msg = api
        .expect_error(
            "SetApplicationInfo",
            &[
                ("application_id", "999999"),
                ("application_name", "whatever"),
            ],
            116,
        )
        .await;
    assert!(msg.contains("application_id"), "{msg}");
    let msg = api
        .expect_error(
            "SetApplicationInfo",
            &[
                ("required_application_name", "nope"),
                ("application_name", "whatever"),
            ],
            558,
        )
        .await;
    assert!(msg.contains("required_application_name"), "{msg}");
    let msg = api
        .expect_error("SetApplicationInfo", &[("application_id", &first)], 134)
        .await;
    assert!(msg.contains("application_name"), "{msg}");
    api.expect_error(
        "SetApplicationInfo",
        &[("application_id", &first), ("application_name", "")],
        134,
    )
    .await;
    api.expect_error(
        "SetApplicationInfo",
        &[("application_name", "whatever")],
        134,
    )
    .await;
    api.expect_error(
        "SetApplicationInfo",
        &[
            ("application_id", &first),
            ("required_application_name", "second-again"),
            ("application_name", "whatever"),
        ],
        101,
    )
    .await;
    let msg = api
        .expect_error(
            "SetApplicationInfo",
            &[("application_id", "abc"), ("application_name", "whatever")],
            101,
        )
        .await;
    assert!(msg.contains("application_id"), "{msg}");
    assert_eq!(
        api.app_names().await,
        vec![
            format!("first-final{SUFFIX}"),
            format!("second-again{SUFFIX}")
        ]
    );
    let body = api
        .ok("GetApplications", &[("application_id", &second)])
        .await;
    assert_eq!(
        names_in(&body, "application_name"),
        vec![format!("second-again{SUFFIX}")]
    );
}

#[tokio::test]
async fn del_application_deletes_the_selection_and_its_secrets_or_nothing() {
    let (_tmp, server) = start().await;
    let api = Api::legacy(&server).await;
    let mut ids = Vec::new();
    for name in ["one", "two", "three", "four", "five"] {
        ids.push(api.add_app(name).await);
    }
    api.add_secret(&ids[0], "IN_ONE", "v").await;
    api.add_secret(&ids[2], "IN_THREE", "v").await;
    let full =
        |names: &[&str]| -> Vec<String> { names.iter().map(|n| format!("{n}{SUFFIX}")).collect() };

    // Unknown items: 116 / 558, and nothing goes.
    let msg = api
        .expect_error(
            "DelApplication",
            &[("application_id", &format!("{};999999", ids[0]))],
            116,
        )
        .await;
    assert!(msg.contains("999999"), "{msg}");
    let msg = api
        .expect_error("DelApplication", &[("application_name", "one;nope")], 558)
        .await;
    assert!(msg.contains("nope"), "{msg}");
    api.expect_error(
        "DelApplication",
        &[("application_id", &ids[0]), ("application_name", "nope")],
        558,
    )
    .await;
    api.expect_error("DelApplication", &[("application_id", "1;;2")], 101)
        .await;
    api.expect_error("DelApplication", &[("application_id", "abc")], 101)
        .await;
    api.expect_error("DelApplication", &[], 134).await;
    assert_eq!(
        api.app_names().await,
        full(&["one", "two", "three", "four", "five"])
    );
    assert_eq!(api.secret_names(&ids[0]).await, vec!["IN_ONE"]);

    // A list of ids; the secrets go with the application.
    let body = api
        .ok(
            "DelApplication",
            &[("application_id", &format!("{};{}", ids[0], ids[1]))],
        )
        .await;
    assert_eq!(body, json!({ "result": 1 }));
    assert_eq!(api.app_names().await, full(&["three", "four", "five"]));
    api.expect_error("GetSecrets", &[("application_id", &ids[0])], 116)
        .await;
    api.expect_error("GetSecrets", &[("application_name", "one")], 558)
        .await;
    assert!(
        server
            .call("list_secrets", &[("application_id", &ids[0])])
            .await
            .is_err(),
        "the panel still lists the deleted application's secrets"
    );
    // A new application of the same name starts empty.
    let reborn = api.add_app("one").await;
    assert_ne!(reborn, ids[0]);
    assert_eq!(api.secrets(&reborn, &[]).await["total_count"], json!(0));

    // A list of names, short and full.
    let body = api
        .ok(
            "DelApplication",
            &[("application_name", &format!("three;four{SUFFIX}"))],
        )
        .await;
    assert_eq!(body, json!({ "result": 1 }));
    assert_eq!(api.app_names().await, full(&["five", "one"]));
    api.expect_error("GetSecrets", &[("application_id", &ids[2])], 116)
        .await;

    // `all`.
    let body = api.ok("DelApplication", &[("application_id", "all")]).await;
    assert_eq!(body, json!({ "result": 1 }));
    let body = api.ok("GetApplications", &[]).await;
    assert_eq!(body["result"], json!([]));
    assert_eq!(body["total_count"], json!(0));
    assert!(panel_app_names(&server).await.is_empty());
}

#[tokio::test]
async fn secret_methods_identify_the_application_the_same_way() {
    let (_tmp, server) = start().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("target").await;
    let other = api.add_app("bystander").await;
    api.add_secret(&app, "S", "in target").await;
    api.add_secret(&other, "S", "in bystander").await;

    // What each method needs besides the application (valid, so only the application is wrong).
    let methods: [(&str, Vec<(&str, &str)>); 5] = [
        (
            "AddSecret",
            vec![("secret_name", "NEW"), ("secret_value", "v")],
        ),
        ("GetSecrets", vec![]),
        ("GetSecretValue", vec![("secret_name", "S")]),
        (
            "SetSecretInfo",
            vec![("secret_name", "S"), ("description", "x")],
        ),
        ("DelSecret", vec![("secret_name", "S")]),
    ];
    let full_name = format!("target{SUFFIX}");
    for (method, extra) in &methods {
        let call = |application: &[(&str, &str)]| {
            let params: Vec<(String, String)> =
                pairs(application).into_iter().chain(pairs(extra)).collect();
            let api = api.clone();
            async move {
                let params: Vec<(&str, &str)> = params
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                api.call(method, &params).await
            }
        };
        let msg = assert_error(&call(&[]).await, 134);
        assert!(msg.contains("application_id"), "{method}: {msg}");
        let msg = assert_error(
            &call(&[("application_id", &app), ("application_name", "bystander")]).await,
            101,
        );
        assert!(msg.contains("application_name"), "{method}: {msg}");
        let msg = assert_error(&call(&[("application_id", "999999")]).await, 116);
        assert!(msg.contains("application_id"), "{method}: {msg}");
        let msg = assert_error(&call(&[("application_name", "nope")]).await, 558);
        assert!(msg.contains("application_name"), "{method}: {msg}");
        // A full name of another account is not a name here.
        assert_error(
            &call(&[("application_name", "target.other.strongroom")]).await,
            558,
        );
        let msg = assert_error(&call(&[("application_id", "abc")]).await, 101);
        assert!(msg.contains("application_id"), "{method}: {msg}");
        let msg = assert_error(&call(&[("application_id", "-3")]).await, 101);
        assert!(msg.contains("application_id"), "{method}: {msg}");
    }
    // Nothing above changed anything.
    for (application, value) in [(&app, "in target"), (&other, "in bystander")] {
        assert_eq!(api.secret_names(application).await, vec!["S"]);
        let item = api.value(application, ("secret_name", "S")).await;
        assert_eq!(item["secret_value"], json!(value));
        assert!(
            item["description"].as_str().is_none_or(str::is_empty),
            "{item}"
        );
    }

    // Short name, full name, id, and id with an agreeing name all reach the same application.
    for application in [
        vec![("application_name", "target")],
        vec![("application_name", full_name.as_str())],
        vec![("application_id", app.as_str())],
        vec![
            ("application_id", app.as_str()),
            ("application_name", "target"),
        ],
        vec![
            ("application_id", app.as_str()),
            ("application_name", full_name.as_str()),
        ],
    ] {
        let mut params = application.clone();
        params.push(("secret_name", "S"));
        let body = api.ok("GetSecretValue", &params).await;
        assert_eq!(
            body["result"][0]["secret_value"],
            json!("in target"),
            "{application:?}"
        );
    }
    let body = api
        .ok(
            "AddSecret",
            &[
                ("application_name", &full_name),
                ("secret_name", "BY_FULL_NAME"),
                ("secret_value", "v"),
            ],
        )
        .await;
    assert_ok(&body);
    assert_eq!(api.secret_names(&app).await, vec!["S", "BY_FULL_NAME"]);
    assert_eq!(api.secret_names(&other).await, vec!["S"]);
}

// ---------------------------------------------------------------------------------------------
// Authentication and roles
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn jwt_rules() {
    let (_tmp, server) = start().await;
    let legacy = Api::legacy(&server).await;
    let owner = ServiceAccount::create(&server, "Owner").await;
    let stranger = ServiceAccount::create(&server, "Owner").await;
    let now = now();
    let with = |token: String| legacy.bearer(token);
    let works = |token: String, what: &'static str| {
        let api = with(token);
        async move {
            let body = api.call("GetApplications", &[]).await;
            assert_eq!(error_code(&body), None, "{what}: {body}");
        }
    };
    let refused = |token: String, what: &'static str| {
        let api = with(token);
        async move {
            let body = api.call("GetApplications", &[]).await;
            assert_eq!(error_code(&body), Some(100), "{what}: {body}");
        }
    };

    works(owner.token(), "iss as a string").await;
    works(owner.token_with(json!(1), now, now + 60), "iss as a number").await;
    works(
        owner.token_with(json!(1), now - 100, now - 25),
        "expired 25 s ago, within the skew",
    )
    .await;
    works(
        owner.token_with(json!(1), now, now + 3600),
        "lifetime 3600 s",
    )
    .await;
    works(
        owner.token_with(json!(1), now + 20, now + 80),
        "iat 20 s ahead, within the skew",
    )
    .await;

    refused(
        owner.token_with(json!(1), now - 100, now - 40),
        "expired 40 s ago",
    )
    .await;
    refused(
        owner.token_with(json!(1), now + 60, now + 120),
        "iat 60 s in the future",
    )
    .await;
    refused(
        owner.token_with(json!(1), now, now + 3601),
        "lifetime 3601 s",
    )
    .await;
    refused(owner.token_with(json!(2), now, now + 60), "iss 2").await;
    refused(owner.token_with(json!("2"), now, now + 60), "iss \"2\"").await;
    refused(owner.token_with(json!("abc"), now, now + 60), "iss \"abc\"").await;
    refused(owner.token_with(json!(null), now, now + 60), "iss null").await;
    refused(
        sign(
            Some("no-such-key"),
            &owner.private_key,
            &json!({ "iss": 1, "iat": now, "exp": now + 60 }),
        ),
        "unknown kid",
    )
    .await;
    refused(
        sign(
            Some(&owner.key_id),
            &stranger.private_key,
            &json!({ "iss": 1, "iat": now, "exp": now + 60 }),
        ),
        "signed by another key",
    )
    .await;
    refused(
        sign(
            None,
            &owner.private_key,
            &json!({ "iss": 1, "iat": now, "exp": now + 60 }),
        ),
        "no kid",
    )
    .await;
    refused(
        sign(
            Some(&owner.key_id),
            &owner.private_key,
            &json!({ "iss": 1, "iat": now }),
        ),
        "no exp",
    )
    .await;
    let mut hs256 = Header::new(Algorithm::HS256);
    hs256.kid = Some(owner.key_id.clone());
    let hs256_token = jsonwebtoken::encode(
        &hs256,
        &json!({ "iss": 1, "iat": now, "exp": now + 60 }),
        &EncodingKey::from_secret(b"a shared secret"),
    )
    .expect("HS256 token");
    refused(hs256_token, "HS256").await;
    // A tampered payload with the original signature.
    let good = owner.token();
    let parts: Vec<&str> = good.split('.').collect();
    let other_payload = owner.token_with(json!(1), now - 1, now + 61);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        other_payload.split('.').nth(1).expect("payload"),
        parts[2]
    );
    refused(tampered, "tampered payload").await;

    // Revoking a key refuses it on the very next request.
    let api = with(owner.token());
    api.ok("GetApplications", &[]).await;
    server
        .call("revoke_service_account", &[("key_id", &owner.key_id)])
        .await
        .expect("revoke");
    let msg = api.expect_error("GetApplications", &[], 100).await;
    assert!(!msg.contains("BEGIN"), "{msg}");
    // The other key is unaffected.
    works(stranger.token(), "another key after a revocation").await;
}

#[tokio::test]
async fn roles_limit_what_a_key_may_call() {
    let (_tmp, server) = start().await;
    let legacy = Api::legacy(&server).await;
    let app = legacy.add_app("roles").await;
    let secret = legacy.add_secret(&app, "EXISTING", "v").await;

    let viewer = ServiceAccount::create(&server, "Viewer").await;
    let viewer_api = legacy.bearer(viewer.token());
    let body = viewer_api
        .ok("GetSecrets", &[("application_id", &app)])
        .await;
    assert_eq!(names_in(&body, "secret_name"), vec!["EXISTING"]);
    let body = viewer_api.ok("GetApplications", &[]).await;
    assert_eq!(
        names_in(&body, "application_name"),
        vec![format!("roles{SUFFIX}")]
    );
    let forbidden: [(&str, Vec<(&str, &str)>); 7] = [
        (
            "AddSecret",
            vec![
                ("application_id", &app),
                ("secret_name", "BY_VIEWER"),
                ("secret_value", "v"),
            ],
        ),
        (
            "GetSecretValue",
            vec![("application_id", &app), ("secret_id", &secret)],
        ),
        (
            "SetSecretInfo",
            vec![
                ("application_id", &app),
                ("secret_id", &secret),
                ("description", "by viewer"),
            ],
        ),
        (
            "DelSecret",
            vec![("application_id", &app), ("secret_id", &secret)],
        ),
        ("AddApplication", vec![("application_name", "by-viewer")]),
        (
            "SetApplicationInfo",
            vec![("application_id", &app), ("application_name", "by-viewer")],
        ),
        ("DelApplication", vec![("application_id", &app)]),
    ];
    for (method, params) in &forbidden {
        let body = viewer_api.call(method, params).await;
        assert_error(&body, 104);
    }
    // Nothing changed.
    assert_eq!(legacy.app_names().await, vec![format!("roles{SUFFIX}")]);
    assert_eq!(legacy.secret_names(&app).await, vec!["EXISTING"]);
    let item = legacy.value(&app, ("secret_id", &secret)).await;
    assert!(
        item["description"].as_str().is_none_or(str::is_empty),
        "{item}"
    );

    // Owner, Admin and Developer may write.
    for (role, name) in [
        ("Developer", "BY_DEVELOPER"),
        ("Admin", "BY_ADMIN"),
        ("Owner", "BY_OWNER"),
    ] {
        let key = ServiceAccount::create(&server, role).await;
        let api = legacy.bearer(key.token());
        let id = api.add_secret(&app, name, "v").await;
        let item = api.value(&app, ("secret_id", &id)).await;
        assert_eq!(item["secret_name"], json!(name), "{role}");
        let app_name = format!("by-{}", role.to_lowercase());
        api.add_app(&app_name).await;
        api.ok("DelApplication", &[("application_name", &app_name)])
            .await;
    }
    assert_eq!(
        legacy.secret_names(&app).await,
        vec!["EXISTING", "BY_DEVELOPER", "BY_ADMIN", "BY_OWNER"]
    );
}

// ---------------------------------------------------------------------------------------------
// The panel and the API share one store
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn panel_and_api_see_each_others_changes() {
    let (_tmp, server) = start().await;
    let api = Api::legacy(&server).await;

    // An application made in the panel is listed by the API, and the other way round.
    let panel_app = server.create_application("from-panel").await.to_string();
    let api_app = api.add_app("from-api").await;
    assert_eq!(
        api.app_names().await,
        vec![format!("from-panel{SUFFIX}"), format!("from-api{SUFFIX}")]
    );
    assert_eq!(
        panel_app_names(&server).await,
        vec!["from-api", "from-panel"]
    );

    // Secrets both ways.
    api.ok(
        "AddSecret",
        &[
            ("application_id", &api_app),
            ("secret_name", "API_MADE"),
            ("secret_value", "api value"),
            ("description", "api description"),
        ],
    )
    .await;
    assert_eq!(
        panel_secret_names(&server, &api_app).await,
        vec!["API_MADE"]
    );
    let page = server
        .call("list_secrets", &[("application_id", &api_app)])
        .await
        .expect("list_secrets");
    assert_eq!(page["items"][0]["description"], json!("api description"));

    let panel_secret = server
        .create_secret(
            api_app.parse().expect("id"),
            "PANEL_MADE",
            "panel value",
            "panel description",
        )
        .await
        .to_string();
    let body = api.secrets(&api_app, &[]).await;
    assert_eq!(
        names_in(&body, "secret_name"),
        vec!["API_MADE", "PANEL_MADE"]
    );
    let item = api.value(&api_app, ("secret_id", &panel_secret)).await;
    assert_eq!(item["secret_value"], json!("panel value"));
    assert_eq!(item["description"], json!("panel description"));

    // An edit in the panel shows in the API.
    server
        .call(
            "update_secret",
            &[
                ("application_id", &api_app),
                ("secret_id", &panel_secret),
                ("name", "PANEL_EDITED"),
                ("value", "edited in panel"),
                ("description", ""),
            ],
        )
        .await
        .expect("update_secret");
    let item = api.value(&api_app, ("secret_id", &panel_secret)).await;
    assert_eq!(item["secret_name"], json!("PANEL_EDITED"));
    assert_eq!(item["secret_value"], json!("edited in panel"));

    // A rename through the API shows in the panel.
    api.ok(
        "SetSecretInfo",
        &[
            ("application_id", &api_app),
            ("secret_name", "API_MADE"),
            ("new_secret_name", "API_RENAMED"),
        ],
    )
    .await;
    assert_eq!(
        panel_secret_names(&server, &api_app).await,
        vec!["API_RENAMED", "PANEL_EDITED"]
    );
    // Deletes both ways.
    api.ok(
        "DelSecret",
        &[("application_id", &api_app), ("secret_name", "API_RENAMED")],
    )
    .await;
    assert_eq!(
        panel_secret_names(&server, &api_app).await,
        vec!["PANEL_EDITED"]
    );
    server
        .call(
            "delete_secret",
            &[("application_id", &api_app), ("secret_id", &panel_secret)],
        )
        .await
        .expect("delete_secret");
    assert_eq!(api.secrets(&api_app, &[]).await["total_count"], json!(0));

    // An application renamed through the API shows its new name in the panel.
    let body = api
        .ok(
            "SetApplicationInfo",
            &[
                ("application_id", &panel_app),
                ("application_name", "renamed-by-api"),
            ],
        )
        .await;
    assert_eq!(
        body["application_name"],
        json!(format!("renamed-by-api{SUFFIX}"))
    );
    assert_eq!(
        panel_app_names(&server).await,
        vec!["from-api", "renamed-by-api"]
    );
    let summary = server
        .call("get_application", &[("id", &panel_app)])
        .await
        .expect("get_application");
    assert_eq!(summary["name"], json!("renamed-by-api"));

    // An application deleted through the API leaves the panel.
    api.ok("DelApplication", &[("application_name", "from-api")])
        .await;
    assert_eq!(panel_app_names(&server).await, vec!["renamed-by-api"]);
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI document
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn openapi_document_is_served_and_matches_the_repository_file() {
    let (_tmp, server) = start().await;
    let response = server.get("/platform_api/openapi.json").await;
    assert_eq!(response.status(), 200);
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let served: Value = response.json().await.expect("the document parses as JSON");
    assert_eq!(served["openapi"], json!("3.1.0"));
    let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"))
        .expect("server/openapi.json");
    let file: Value = serde_json::from_str(&file).expect("server/openapi.json parses");
    assert_eq!(served, file);
    for method in [
        "AddSecret",
        "GetSecrets",
        "GetSecretValue",
        "SetSecretInfo",
        "DelSecret",
        "AddApplication",
        "GetApplications",
        "SetApplicationInfo",
        "DelApplication",
    ] {
        assert!(
            served["paths"][format!("/platform_api/{method}")].is_object(),
            "{method} is not documented"
        );
    }
}
