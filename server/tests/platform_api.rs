//! The Management API at `/platform_api` over real HTTP, against `shared/spec/platform-api.md`:
//! the four call styles and three parameter sources, every method with its documented errors,
//! the JWT and API-key rules, roles, and that the panel and the API see the same data. The
//! OpenAPI document is checked against the server in `openapi_contract.rs`.
//!
//! Refused calls are listed in tables, `(parameters, error code, words the message must
//! contain)`, one call a line; `#[rustfmt::skip]` keeps them that way.

mod support;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::RequestBuilder;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Value, json};
use std::time::Duration;
use support::Server;
use support::api::{
    Api, Auth, SUFFIX, ServiceAccount, assert_error, assert_ok, error_code, now, pairs, send, sign,
};

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

/// `[count, total_count]` of a list.
fn counts(body: &Value) -> Value {
    json!([body["count"], body["total_count"]])
}

/// `[secret_name, secret_value, description]` of a `GetSecretValue` item.
fn name_value_description(item: &Value) -> Value {
    json!([
        item["secret_name"],
        item["secret_value"],
        item["description"]
    ])
}

/// The full names of applications.
fn full(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| format!("{n}{SUFFIX}")).collect()
}

/// The panel's view of the application names, sorted.
async fn panel_app_names(server: &Server) -> Vec<String> {
    let mut names: Vec<String> = server
        .applications()
        .await
        .into_iter()
        .map(|a| a.1)
        .collect();
    names.sort();
    names
}

/// The panel's view of one application's secret names, sorted.
async fn panel_secret_names(server: &Server, app: &str) -> Vec<String> {
    let mut names = server.secret_names(app.parse().expect("id")).await;
    names.sort();
    names
}

/// A call a method must refuse: its parameters, the error code, and words its message must
/// contain (mostly the parameter at fault).
type Refusal<'a> = (&'a [(&'a str, &'a str)], i64, &'a [&'a str]);

/// A list call and what it must give: its parameters, the names listed, the `total_count`.
type Listing<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], i64);

impl Api {
    /// Calls `method`, asserting error `code` and a message that contains each of `words`;
    /// returns the message.
    async fn refused(
        &self,
        method: &str,
        params: &[(&str, &str)],
        code: i64,
        words: &[&str],
    ) -> String {
        let msg = self.expect_error(method, params, code).await;
        for word in words {
            assert!(
                msg.contains(word),
                "{method} {params:?}: {word:?} not in {msg:?}"
            );
        }
        msg
    }

    /// `refused` for each case in turn; the messages.
    async fn refuses(&self, method: &str, cases: &[Refusal<'_>]) -> Vec<String> {
        let mut messages = Vec::new();
        for (params, code, words) in cases {
            messages.push(self.refused(method, params, *code, words).await);
        }
        messages
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

    /// Adds a secret; returns its id.
    async fn add_secret(&self, app: &str, name: &str, value: &str) -> String {
        self.add_secret_with(app, name, value, &[]).await
    }

    /// Adds a secret with a description; returns its id.
    async fn add_described(&self, app: &str, name: &str, value: &str, description: &str) -> String {
        self.add_secret_with(app, name, value, &[("description", description)])
            .await
    }

    async fn add_secret_with(
        &self,
        app: &str,
        name: &str,
        value: &str,
        extra: &[(&str, &str)],
    ) -> String {
        let params = [
            ("application_id", app),
            ("secret_name", name),
            ("secret_value", value),
        ];
        let body = self.ok("AddSecret", &[&params, extra].concat()).await;
        body["result"][0]["secret_id"]
            .as_i64()
            .expect("secret_id")
            .to_string()
    }

    /// `GetSecrets` of `app` with extra `params`; asserts count == items.
    async fn secrets(&self, app: &str, params: &[(&str, &str)]) -> Value {
        let body = self
            .ok("GetSecrets", &[&[("application_id", app)], params].concat())
            .await;
        let items = body["result"].as_array().expect("result array");
        assert_eq!(body["count"], json!(items.len()), "{body}");
        body
    }

    /// The names `GetSecrets` lists for `app`, in order.
    async fn secret_names(&self, app: &str) -> Vec<String> {
        let body = self.secrets(app, &[("count", "1000")]).await;
        names_in(&body, "secret_name")
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
        let body = self.ok("GetApplications", &[("count", "1000")]).await;
        names_in(&body, "application_name")
    }
}

// ---------------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn all_call_styles_and_parameter_sources_are_equivalent() {
    let (_tmp, server) = support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("styles").await;
    let creds = api.credentials();
    let form = |extra: &[(&str, &str)]| [pairs(extra), creds.clone()].concat();
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
    let by_cmd = api.url("/platform_api");
    let add_path = api.url("/platform_api/AddSecret");
    let list_path = api.url("/platform_api/GetSecrets");

    // Each style adds one secret whose value needs careful encoding.
    let mut added = Vec::new();
    for (name, value) in [
        ("POST_PATH", "post path & form=1;+%"),
        ("GET_PATH", "get path ?#=&+ жёлудь"),
        ("POST_CMD", "post cmd 😀\nline two"),
        ("GET_CMD", "get cmd  spaces  "),
        ("MULTIPART", "multi\r\npart; name=\"x\""),
        ("MULTIPART_CMD", "multipart with cmd"),
        ("JSON_EMPTY", "json {} body ignored"),
        ("SPLIT", "split query and body"),
    ] {
        let params = secret(name, value);
        let with_cmd = [params.clone(), vec![("cmd", "AddSecret")]].concat();
        let request = match name {
            "POST_PATH" => c.post(&add_path).form(&form(&params)),
            "GET_PATH" => c.get(&add_path).query(&form(&params)),
            "POST_CMD" => c.post(&by_cmd).form(&form(&with_cmd)),
            "GET_CMD" => c.get(&by_cmd).query(&form(&with_cmd)),
            "MULTIPART" => c.post(&add_path).multipart(multipart(form(&params))),
            "MULTIPART_CMD" => c.post(&by_cmd).multipart(multipart(form(&with_cmd))),
            "JSON_EMPTY" => c.post(&add_path).query(&form(&params)).json(&json!({})),
            // Credentials in the query, the rest in the body.
            "SPLIT" => c.post(&add_path).query(&creds).form(&params),
            _ => unreachable!(),
        };
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

    // The same read in every style gives the same answer.
    let list = [("application_id", app.as_str()), ("count", "1000")];
    let with_cmd = [list.as_slice(), &[("cmd", "GetSecrets")]].concat();
    let mut answers = Vec::new();
    for request in [
        c.post(&list_path).form(&form(&list)),
        c.get(&list_path).query(&form(&list)),
        c.post(&by_cmd).form(&form(&with_cmd)),
        c.get(&by_cmd).query(&form(&with_cmd)),
        c.post(&list_path).multipart(multipart(form(&list))),
        c.post(&list_path).query(&form(&list)).json(&json!({})),
    ] {
        answers.push(send(request).await);
    }
    let expected: Vec<String> = added.iter().map(|(n, _, _)| (*n).to_owned()).collect();
    assert_eq!(names_in(&answers[0], "secret_name"), expected);
    assert_eq!(answers[0]["total_count"], json!(added.len()));
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer, &answers[0], "style {i} differs");
    }

    // One name from query and body: different values are refused, equal ones are fine.
    for body_name in ["BODY_NAME", "QUERY_NAME"] {
        let request = c
            .post(&add_path)
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
        .post(&add_path)
        .query(&[("secret_name", "QUERY_ONLY")])
        .multipart(multipart(form(&secret("MULTIPART_OTHER", "v"))));
    assert_error(&send(multipart_conflict).await, 101);
    // `cmd` naming another method than the path.
    let cmd_conflict = c
        .post(&list_path)
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
    let (_tmp, server) = support::start_temp().await;
    let api = Api::legacy(&server).await;
    let c = &api.client;
    let creds = api.credentials();
    let key = api.key();
    let root = api.url("/platform_api");
    let get_apps = || c.post(api.url("/platform_api/GetApplications"));
    let none = api.with(Auth::None);
    let wrong_key = api.with(Auth::Key("not-the-key".into()));
    let garbage_jwt = api.bearer("not.a.jwt".into());
    let unknown_cmd = [creds.clone(), pairs(&[("cmd", "GetSecretz")])].concat();
    let multipart_type = "multipart/form-data; boundary=XYZ";
    let bad_part = "--XYZ\r\nthis is not a part header\r\n\r\nv\r\n";

    #[rustfmt::skip]
    let refused: Vec<(RequestBuilder, i64)> = vec![
        // Missing cmd: 102, whichever way /platform_api is called.
        (c.post(&root).form(&creds), 102),
        (c.get(&root).query(&creds), 102),
        (c.get(&root), 102),
        (c.post(api.url("/platform_api/")).form(&creds), 102),
        // Unknown method: 103, by path and by cmd.
        (api.request("NoSuchMethod", &[]), 103),
        (c.get(&root).query(&unknown_cmd), 103),
        // Unreadable bodies are API errors too (HTTP 200, JSON), not HTTP errors.
        (get_apps().query(&creds).header(CONTENT_TYPE, multipart_type).body(bad_part), 101),
        (get_apps().query(&creds).header(CONTENT_TYPE, "text/plain").body("application_name=x"),
            101),
        // Credentials: none, a wrong key, no account, another account, no key, not a bearer
        // token, a malformed JWT.
        (none.request("GetApplications", &[]), 100),
        (wrong_key.request("GetApplications", &[]), 100),
        (get_apps().form(&[("api_key", key)]), 100),
        (get_apps().form(&[("account_id", "2"), ("api_key", key)]), 100),
        (get_apps().form(&[("account_id", "1")]), 100),
        (get_apps().header(AUTHORIZATION, "Basic YWxhZGRpbjpvcGVuc2VzYW1l"), 100),
        (garbage_jwt.request("GetApplications", &[]), 100),
        // Refused calls change nothing (see the count below).
        (none.request("AddApplication", &[("application_name", "sneaky")]), 100),
    ];
    for (request, code) in refused {
        assert_error(&send(request).await, code);
    }

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
    let (_tmp, server) = support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("adding").await;
    let in_app = ("application_id", app.as_str());
    let add = async |name: &str, value: &str| {
        let params = [in_app, ("secret_name", name), ("secret_value", value)];
        api.call("AddSecret", &params).await
    };

    let first = add("FIRST", "v").await;
    assert_ok(&first);
    let result = first["result"].as_array().expect("array");
    assert_eq!(result.len(), 1, "{first}");
    assert_eq!(keys(&result[0]), vec!["secret_id"], "{first}");
    let first_id = result[0]["secret_id"].as_i64().expect("id");
    assert!(first_id > 0);
    let second = add("SECOND", "v").await;
    let second_id = second["result"][0]["secret_id"].as_i64().expect("id");
    assert!(second_id > first_id, "{second}");

    // Missing or empty name or value: 134; invalid names: 101; both naming the parameter.
    let name_65 = format!("a{}", "b".repeat(64));
    #[rustfmt::skip]
    api.refuses("AddSecret", &[
        (&[in_app, ("secret_value", "v")], 134, &["secret_name"]),
        (&[in_app, ("secret_name", "X")], 134, &["secret_value"]),
        (&[in_app, ("secret_name", "X"), ("secret_value", "")], 134, &["secret_value"]),
        (&[in_app, ("secret_name", "1abc"), ("secret_value", "v")], 101, &["secret_name"]),
        (&[in_app, ("secret_name", &name_65), ("secret_value", "v")], 101, &["secret_name"]),
        (&[in_app, ("secret_name", "a-b"), ("secret_value", "v")], 101, &["secret_name"]),
    ]).await;
    // An overlong value: 101, naming the parameter but not echoing the value.
    let value_8193 = "x".repeat(8193);
    let msg = assert_error(&add("TOO_LONG", &value_8193).await, 101);
    assert!(msg.contains("secret_value"), "{msg}");
    assert!(
        !msg.contains(&"x".repeat(100)),
        "the error echoes the value: {msg}"
    );

    // Limits are in characters: 64 for a name, 8192 four-byte characters for a value.
    let longest_name = format!("a{}", "B_9".repeat(21));
    assert_eq!(longest_name.len(), 64);
    let emoji = "😀".repeat(8192);
    assert_ok(&add(&longest_name, &emoji).await);
    let item = api.value(&app, ("secret_name", &longest_name)).await;
    assert_eq!(item["secret_value"].as_str(), Some(emoji.as_str()));
    assert_error(&add("EMOJI_OVER", &"😀".repeat(8193)).await, 101);

    // The description is cut to its first 200 characters.
    let long = format!("{}{}", "ж".repeat(199), "é+&;xyz");
    api.add_described(&app, "DESCRIBED", "v", &long).await;
    let item = api.value(&app, ("secret_name", "DESCRIBED")).await;
    assert_eq!(item["description"], json!(format!("{}é", "ж".repeat(199))));

    // Duplicates, case-sensitively.
    let msg = assert_error(&add("FIRST", "other").await, 493);
    assert_eq!(msg, "The 'secret_name' is not unique.");
    assert_ok(&add("first", "lower case is another name").await);
    // The same name in another application is fine.
    let other = api.add_app("adding-other").await;
    api.add_secret(&other, "FIRST", "v").await;

    assert_eq!(
        api.secret_names(&app).await,
        ["FIRST", "SECOND", &longest_name, "DESCRIBED", "first"],
        "refused calls added nothing"
    );
}

#[tokio::test]
async fn get_secrets_filters_orders_and_pages() {
    let (_tmp, server) = support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("listing").await;
    let in_app = ("application_id", app.as_str());
    let other = api.add_app("listing-other").await;
    api.add_secret(&other, "OTHER_KEY", "v").await;
    let alpha = api
        .add_described(&app, "Alpha", "alpha-value-canary", "first one")
        .await;
    for name in ["beta_KEY", "GAMMA_key", "delta", "AxKEY"] {
        api.add_secret(&app, name, "v").await;
    }

    let all = ["Alpha", "beta_KEY", "GAMMA_key", "delta", "AxKEY"];
    let body = api.secrets(&app, &[]).await;
    assert_eq!(names_in(&body, "secret_name"), all);
    assert_eq!(body["total_count"], json!(5));
    let ids = ids_in(&body, "secret_id");
    assert_eq!(ids[0].to_string(), alpha);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "not by id: {ids:?}");
    assert!(
        !body.to_string().contains("alpha-value-canary"),
        "a list carried a value: {body}"
    );
    let items = body["result"].as_array().expect("array");
    let fields = ["created", "modified", "secret_id", "secret_name"];
    assert_eq!(
        keys(&items[0]),
        [
            "created",
            "description",
            "modified",
            "secret_id",
            "secret_name"
        ]
    );
    assert_eq!(items[0]["description"], json!("first one"));
    for item in &items[1..] {
        assert_eq!(keys(item), fields, "an empty description must be omitted");
    }
    for item in items {
        assert_timestamp(&item["created"]);
        assert_timestamp(&item["modified"]);
    }

    // Case-insensitive substring; `_` is a literal character, not a wildcard. Paging:
    // count/offset select, total_count ignores them. `secrets` checks count == items.
    #[rustfmt::skip]
    let lists: [Listing; 13] = [
        (&[("secret_name_part", "key")], &["beta_KEY", "GAMMA_key", "AxKEY"], 3),
        (&[("secret_name_part", "KEY")], &["beta_KEY", "GAMMA_key", "AxKEY"], 3),
        (&[("secret_name_part", "Key")], &["beta_KEY", "GAMMA_key", "AxKEY"], 3),
        (&[("secret_name_part", "a_k")], &["beta_KEY", "GAMMA_key"], 2),
        (&[("secret_name_part", "%")], &[], 0),
        (&[("secret_name_part", "\\")], &[], 0),
        (&[("secret_name_part", "nothing")], &[], 0),
        (&[("count", "2"), ("offset", "1")], &["beta_KEY", "GAMMA_key"], 5),
        (&[("count", "0"), ("offset", "0")], &[], 5),
        (&[("count", "1000"), ("offset", "0")], &all, 5),
        (&[("count", "10"), ("offset", "5")], &[], 5),
        (&[("count", "10"), ("offset", "4000000000")], &[], 5),
        (&[("secret_name_part", "key"), ("offset", "2")], &["AxKEY"], 3),
    ];
    for (params, names, total) in lists {
        let body = api.secrets(&app, params).await;
        assert_eq!(names_in(&body, "secret_name"), names, "{params:?}");
        assert_eq!(body["total_count"], json!(total), "{params:?}: {body}");
    }
    #[rustfmt::skip]
    api.refuses("GetSecrets", &[
        (&[in_app, ("count", "1001")], 101, &["count"]),
        (&[in_app, ("count", "abc")], 101, &["count"]),
        (&[in_app, ("count", "-1")], 101, &["count"]),
        (&[in_app, ("count", "1.5")], 101, &["count"]),
        (&[in_app, ("offset", "-1")], 101, &["offset"]),
        (&[in_app, ("offset", "x")], 101, &["offset"]),
    ]).await;

    // The default page is 20 items.
    for i in 0..17 {
        api.add_secret(&app, &format!("FILL_{i:02}"), "v").await;
    }
    let body = api.secrets(&app, &[]).await;
    assert_eq!(body["count"], json!(20));
    assert_eq!(body["total_count"], json!(22));
    assert_eq!(api.secret_names(&other).await, ["OTHER_KEY"]);
}

#[tokio::test]
async fn get_secret_value_by_id_or_name() {
    let (_tmp, server) = support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("reading").await;
    let in_app = ("application_id", app.as_str());
    let other = api.add_app("reading-other").await;
    let id_s = api
        .add_described(&app, "TOKEN", "s3cr3t value\n", "the token")
        .await;
    let second = api.add_secret(&app, "SECOND", "second value").await;
    let foreign = api.add_secret(&other, "FOREIGN", "foreign value").await;

    let body = api
        .ok("GetSecretValue", &[in_app, ("secret_id", &id_s)])
        .await;
    let result = body["result"].as_array().expect("array of one");
    assert_eq!(result.len(), 1, "{body}");
    let item = &result[0];
    assert_eq!(
        keys(item),
        [
            "created",
            "description",
            "modified",
            "secret_id",
            "secret_name",
            "secret_value"
        ]
    );
    assert_eq!(item["secret_id"].to_string(), id_s);
    assert_eq!(
        name_value_description(item),
        json!(["TOKEN", "s3cr3t value\n", "the token"])
    );
    assert_timestamp(&item["created"]);
    assert_timestamp(&item["modified"]);

    let by_name = api.value(&app, ("secret_name", "TOKEN")).await;
    assert_eq!(&by_name, item);
    let both = [in_app, ("secret_id", &id_s), ("secret_name", "TOKEN")];
    assert_eq!(&api.ok("GetSecretValue", &both).await["result"][0], item);
    let second_item = api.value(&app, ("secret_id", &second)).await;
    assert_eq!(second_item["secret_value"], json!("second value"));

    // Disagreeing, unknown (names are case-sensitive; another application's secret is unknown
    // here).
    #[rustfmt::skip]
    let messages = api.refuses("GetSecretValue", &[
        (&[in_app, ("secret_id", &id_s), ("secret_name", "SECOND")], 101, &[]),
        (&[in_app, ("secret_id", "999999")], 101, &["secret_id"]),
        (&[in_app, ("secret_name", "NOPE")], 101, &["secret_name", "NOPE"]),
        (&[in_app, ("secret_name", "token")], 101, &[]),
        (&[in_app, ("secret_id", &foreign)], 101, &[]),
        (&[in_app, ("secret_name", "FOREIGN")], 101, &[]),
    ]).await;
    for msg in messages {
        assert!(!msg.contains("foreign value"), "{msg}");
    }
    let overwrite = [
        in_app,
        ("secret_id", &foreign),
        ("secret_value", "overwritten"),
        ("description", "overwritten"),
    ];
    api.expect_error("SetSecretInfo", &overwrite, 101).await;
    let untouched = api.value(&other, ("secret_id", &foreign)).await;
    assert_eq!(untouched["secret_value"], json!("foreign value"));
    assert_eq!(untouched["description"], json!(""));
    // Malformed, missing.
    let malformed = [in_app, ("secret_id", "abc")];
    api.refused("GetSecretValue", &malformed, 101, &["secret_id"])
        .await;
    let msg = api.expect_error("GetSecretValue", &[in_app], 134).await;
    assert!(
        msg.contains("secret_id") || msg.contains("secret_name"),
        "{msg}"
    );
}

#[tokio::test]
async fn set_secret_info_changes_only_given_fields() {
    let (_tmp, server) = support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("changing").await;
    let in_app = ("application_id", app.as_str());
    let one = api.add_described(&app, "ONE", "value-1", "desc-1").await;
    let by_id = ("secret_id", one.as_str());
    api.add_secret(&app, "TWO", "value-2").await;
    let set = async |params: &[(&str, &str)]| {
        let body = api.ok("SetSecretInfo", &[&[in_app], params].concat()).await;
        assert_eq!(body, json!({ "result": 1 }));
    };
    let one_now = async || api.value(&app, by_id).await;
    let fields_now = async || name_value_description(&one_now().await);
    let before = one_now().await;
    // Timestamps have one-second resolution.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // The description only.
    set(&[by_id, ("description", "desc-2")]).await;
    let after = one_now().await;
    assert_eq!(
        name_value_description(&after),
        json!(["ONE", "value-1", "desc-2"])
    );
    assert_eq!(after["created"], before["created"]);
    assert_timestamp(&after["modified"]);
    assert!(
        after["modified"].as_str() > before["modified"].as_str(),
        "modified did not move: {before} -> {after}"
    );

    // The value only, naming the secret by name.
    set(&[("secret_name", "ONE"), ("secret_value", "value-1b")]).await;
    assert_eq!(fields_now().await, json!(["ONE", "value-1b", "desc-2"]));

    // The name only.
    set(&[by_id, ("new_secret_name", "UNO")]).await;
    assert_eq!(fields_now().await, json!(["UNO", "value-1b", "desc-2"]));
    api.expect_error("GetSecretValue", &[in_app, ("secret_name", "ONE")], 101)
        .await;

    // All three at once; the description is cut to 200 characters here too.
    let long = "d".repeat(250);
    set(&[
        ("secret_name", "UNO"),
        ("new_secret_name", "ONE"),
        ("secret_value", "value-1c"),
        ("description", &long),
    ])
    .await;
    let expected = json!(["ONE", "value-1c", "d".repeat(200)]);
    assert_eq!(fields_now().await, expected);

    // An empty description given clears it (GetSecrets then omits it).
    set(&[by_id, ("description", "")]).await;
    let listed = api.secrets(&app, &[]).await;
    assert!(listed["result"][0].get("description").is_none(), "{listed}");

    // Errors, none of which changes anything.
    let snapshot = one_now().await;
    let msg = api
        .expect_error(
            "SetSecretInfo",
            &[in_app, by_id, ("new_secret_name", "TWO")],
            493,
        )
        .await;
    assert_eq!(msg, "The 'secret_name' is not unique.");
    let value_8193 = "v".repeat(8193);
    let would_change = ("description", "would change");
    #[rustfmt::skip]
    api.refuses("SetSecretInfo", &[
        (&[in_app, by_id], 134, &[]),
        (&[in_app, by_id, ("secret_value", "")], 101, &["secret_value"]),
        (&[in_app, by_id, ("secret_value", &value_8193)], 101, &["secret_value"]),
        (&[in_app, by_id, ("new_secret_name", "1abc"), would_change], 101, &["new_secret_name"]),
        (&[in_app, ("secret_id", "999999"), ("description", "x")], 101, &["secret_id"]),
        (&[in_app, ("secret_name", "NOPE"), ("description", "x")], 101, &["secret_name"]),
        (&[in_app, ("description", "x")], 134, &[]),
    ]).await;
    assert_eq!(one_now().await, snapshot);
    assert_eq!(api.secret_names(&app).await, ["ONE", "TWO"]);
}

#[tokio::test]
async fn del_secret_deletes_the_union_or_nothing() {
    let (_tmp, server) = support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("deleting").await;
    let in_app = ("application_id", app.as_str());
    let other = api.add_app("deleting-other").await;
    let mut ids = Vec::new();
    for name in ["A", "B", "C", "D", "E", "F"] {
        ids.push(api.add_secret(&app, name, "v").await);
    }
    let foreign = api.add_secret(&other, "A", "v").await;
    let del =
        async |params: &[(&str, &str)]| api.call("DelSecret", &[&[in_app], params].concat()).await;

    // One unknown item among known ones: 101, and nothing goes. Another application's secret
    // is unknown here. Malformed lists. Neither list: 134.
    let known_and_unknown = format!("{};999999", ids[0]);
    #[rustfmt::skip]
    api.refuses("DelSecret", &[
        (&[in_app, ("secret_id", &known_and_unknown)], 101, &["999999"]),
        (&[in_app, ("secret_name", "A;NOPE")], 101, &["NOPE"]),
        (&[in_app, ("secret_id", &ids[0]), ("secret_name", "NOPE")], 101, &[]),
        (&[in_app, ("secret_id", &foreign)], 101, &[]),
        (&[in_app, ("secret_id", "1;;2")], 101, &["secret_id"]),
        (&[in_app, ("secret_id", ";")], 101, &["secret_id"]),
        (&[in_app, ("secret_id", "1;")], 101, &["secret_id"]),
        (&[in_app, ("secret_id", "x")], 101, &["secret_id"]),
        (&[in_app, ("secret_id", "0")], 101, &["secret_id"]),
        (&[in_app, ("secret_id", "-1")], 101, &["secret_id"]),
        (&[in_app, ("secret_name", "A;;B")], 101, &[]),
        (&[in_app], 134, &[]),
    ]).await;
    let body = api.secrets(&app, &[]).await;
    assert_eq!(
        body["total_count"],
        json!(6),
        "a refused call deleted: {body}"
    );
    assert_eq!(api.secret_names(&app).await, ["A", "B", "C", "D", "E", "F"]);

    // Ids and names together delete their union (overlaps are fine).
    let first_two = format!("{};{}", ids[0], ids[1]);
    let body = del(&[("secret_id", &first_two), ("secret_name", "B;C")]).await;
    assert_eq!(body, json!({ "result": 1 }));
    assert_eq!(api.secret_names(&app).await, ["D", "E", "F"]);
    assert_eq!(del(&[("secret_name", "D")]).await, json!({ "result": 1 }));
    assert_eq!(api.secret_names(&app).await, ["E", "F"]);
    // A deleted secret is unknown from then on.
    assert_error(&del(&[("secret_id", &ids[0])]).await, 101);

    // `all` empties this application only.
    assert_eq!(del(&[("secret_id", "all")]).await, json!({ "result": 1 }));
    assert_eq!(api.secrets(&app, &[]).await["total_count"], json!(0));
    assert_eq!(api.secret_names(&other).await, ["A"]);

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
    let (_tmp, server) = support::start_temp().await;
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
    let name_65 = format!("a{}", "b".repeat(64));
    let beta_full = format!("beta{SUFFIX}");
    #[rustfmt::skip]
    api.refuses("AddApplication", &[
        (&[("application_name", "Bad_Name")], 107, &["application_name"]),
        (&[("application_name", "1app")], 107, &["application_name"]),
        (&[("application_name", "-app")], 107, &["application_name"]),
        (&[("application_name", "my_app")], 107, &["application_name"]),
        (&[("application_name", "UPPER")], 107, &["application_name"]),
        (&[("application_name", &name_65)], 107, &[]),
        (&[("application_name", "alpha")], 129, &["application_name"]),
        (&[("application_name", &beta_full)], 129, &[]),
        (&[], 134, &[]),
        (&[("application_name", "")], 134, &[]),
    ]).await;

    // All of them, ordered by id, with full names.
    let body = api.ok("GetApplications", &[]).await;
    assert_eq!(
        names_in(&body, "application_name"),
        full(&["alpha", "beta", "alpha-two", "gamma9"])
    );
    let ids = ids_in(&body, "application_id");
    assert_eq!(
        ids.iter().map(i64::to_string).collect::<Vec<_>>(),
        [alpha.to_string(), beta.clone(), alpha_two, gamma]
    );
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(counts(&body), json!([4, 4]));
    for item in body["result"].as_array().expect("array") {
        let fields = ["application_id", "application_name", "modified"];
        assert_eq!(keys(item), fields);
        assert_timestamp(&item["modified"]);
    }

    // application_id is exact; application_name is a substring; paging.
    let gamma_full = format!("gamma9{SUFFIX}");
    #[rustfmt::skip]
    let lists: [Listing; 7] = [
        (&[("application_id", &beta)], &["beta"], 1),
        (&[("application_name", "alpha")], &["alpha", "alpha-two"], 2),
        (&[("application_name", "a-t")], &["alpha-two"], 1),
        (&[("application_name", &gamma_full)], &["gamma9"], 1),
        (&[("count", "2"), ("offset", "1")], &["beta", "alpha-two"], 4),
        (&[("count", "0")], &[], 4),
        (&[("offset", "4")], &[], 4),
    ];
    for (params, names, total) in lists {
        let body = api.ok("GetApplications", params).await;
        let listed = names_in(&body, "application_name");
        assert_eq!(listed, full(names), "{params:?}");
        assert_eq!(counts(&body), json!([names.len(), total]), "{params:?}");
    }
    #[rustfmt::skip]
    api.refuses("GetApplications", &[
        (&[("count", "1001")], 101, &["count"]),
        (&[("count", "abc")], 101, &["count"]),
        (&[("offset", "-1")], 101, &["offset"]),
        (&[("application_id", "abc")], 101, &["application_id"]),
        (&[("application_id", "0")], 101, &["application_id"]),
    ]).await;
}

#[tokio::test]
async fn set_application_info_renames_by_id_or_name() {
    let (_tmp, server) = support::start_temp().await;
    let api = Api::legacy(&server).await;
    let first = api.add_app("first").await;
    let by_id = ("application_id", first.as_str());
    let second = api.add_app("second").await;
    api.add_secret(&first, "KEPT", "kept value").await;

    // By id, by name, and by full names for both the old and the new name.
    let (old, new) = (
        format!("second-renamed{SUFFIX}"),
        format!("second-again{SUFFIX}"),
    );
    #[rustfmt::skip]
    let renames = [
        (by_id, "first-renamed", "first-renamed"),
        (("required_application_name", "second"), "second-renamed", "second-renamed"),
        (("required_application_name", old.as_str()), new.as_str(), "second-again"),
    ];
    for (which, name, renamed) in renames {
        let params = [which, ("application_name", name)];
        let body = api.ok("SetApplicationInfo", &params).await;
        let full_name = format!("{renamed}{SUFFIX}");
        let expected = json!({ "result": 1, "application_name": full_name });
        assert_eq!(body, expected, "{which:?}");
    }
    // Both identifiers, agreeing.
    api.ok(
        "SetApplicationInfo",
        &[
            by_id,
            ("required_application_name", "first-renamed"),
            ("application_name", "first-final"),
        ],
    )
    .await;
    let names = full(&["first-final", "second-again"]);
    assert_eq!(api.app_names().await, names);
    // The secrets stay with the application.
    let item = api.value(&first, ("secret_name", "KEPT")).await;
    assert_eq!(item["secret_value"], json!("kept value"));

    // Errors, none of which renames anything.
    let whatever = ("application_name", "whatever");
    let disagreeing = ("required_application_name", "second-again");
    #[rustfmt::skip]
    api.refuses("SetApplicationInfo", &[
        (&[by_id, ("application_name", "second-again")], 129, &["application_name"]),
        (&[by_id, ("application_name", "Bad_Name")], 107, &["application_name"]),
        (&[("application_id", "999999"), whatever], 116, &["application_id"]),
        (&[("required_application_name", "nope"), whatever], 558, &["required_application_name"]),
        (&[by_id], 134, &["application_name"]),
        (&[by_id, ("application_name", "")], 134, &[]),
        (&[whatever], 134, &[]),
        (&[by_id, disagreeing, whatever], 101, &[]),
        (&[("application_id", "abc"), whatever], 101, &["application_id"]),
    ]).await;
    assert_eq!(api.app_names().await, names);
    let body = api
        .ok("GetApplications", &[("application_id", &second)])
        .await;
    assert_eq!(names_in(&body, "application_name"), full(&["second-again"]));
}

#[tokio::test]
async fn del_application_deletes_the_selection_and_its_secrets_or_nothing() {
    let (_tmp, server) = support::start_temp().await;
    let api = Api::legacy(&server).await;
    let mut ids = Vec::new();
    for name in ["one", "two", "three", "four", "five"] {
        ids.push(api.add_app(name).await);
    }
    api.add_secret(&ids[0], "IN_ONE", "v").await;
    api.add_secret(&ids[2], "IN_THREE", "v").await;

    // Unknown items: 116 / 558, and nothing goes.
    let known_and_unknown = format!("{};999999", ids[0]);
    #[rustfmt::skip]
    api.refuses("DelApplication", &[
        (&[("application_id", &known_and_unknown)], 116, &["999999"]),
        (&[("application_name", "one;nope")], 558, &["nope"]),
        (&[("application_id", &ids[0]), ("application_name", "nope")], 558, &[]),
        (&[("application_id", "1;;2")], 101, &[]),
        (&[("application_id", "abc")], 101, &[]),
        (&[], 134, &[]),
    ]).await;
    assert_eq!(
        api.app_names().await,
        full(&["one", "two", "three", "four", "five"])
    );
    assert_eq!(api.secret_names(&ids[0]).await, ["IN_ONE"]);

    // A list of ids; the secrets go with the application.
    let first_two = format!("{};{}", ids[0], ids[1]);
    let body = api
        .ok("DelApplication", &[("application_id", &first_two)])
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
    let names = format!("three;four{SUFFIX}");
    let body = api
        .ok("DelApplication", &[("application_name", &names)])
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
    let (_tmp, server) = support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = api.add_app("target").await;
    let by_id = ("application_id", app.as_str());
    let other = api.add_app("bystander").await;
    api.add_secret(&app, "S", "in target").await;
    api.add_secret(&other, "S", "in bystander").await;

    // What each method needs besides the application (valid, so only the application is wrong).
    #[rustfmt::skip]
    let methods: [(&str, &[(&str, &str)]); 5] = [
        ("AddSecret", &[("secret_name", "NEW"), ("secret_value", "v")]),
        ("GetSecrets", &[]),
        ("GetSecretValue", &[("secret_name", "S")]),
        ("SetSecretInfo", &[("secret_name", "S"), ("description", "x")]),
        ("DelSecret", &[("secret_name", "S")]),
    ];
    // Wrong ways to say which application. A full name of another account is not a name here.
    #[rustfmt::skip]
    let applications: [Refusal; 7] = [
        (&[], 134, &["application_id"]),
        (&[by_id, ("application_name", "bystander")], 101, &["application_name"]),
        (&[("application_id", "999999")], 116, &["application_id"]),
        (&[("application_name", "nope")], 558, &["application_name"]),
        (&[("application_name", "target.other.strongroom")], 558, &[]),
        (&[("application_id", "abc")], 101, &["application_id"]),
        (&[("application_id", "-3")], 101, &["application_id"]),
    ];
    for (method, extra) in methods {
        for (application, code, words) in applications {
            let params = [application, extra].concat();
            api.refused(method, &params, code, words).await;
        }
    }
    // Nothing above changed anything.
    for (application, value) in [(&app, "in target"), (&other, "in bystander")] {
        assert_eq!(api.secret_names(application).await, ["S"]);
        let item = api.value(application, ("secret_name", "S")).await;
        assert_eq!(item["secret_value"], json!(value));
        assert!(
            item["description"].as_str().is_none_or(str::is_empty),
            "{item}"
        );
    }

    // Short name, full name, id, and id with an agreeing name all reach the same application.
    let full_name = format!("target{SUFFIX}");
    let by_name = ("application_name", "target");
    let by_full_name = ("application_name", full_name.as_str());
    for application in [
        vec![by_name],
        vec![by_full_name],
        vec![by_id],
        vec![by_id, by_name],
        vec![by_id, by_full_name],
    ] {
        let params = [application.as_slice(), &[("secret_name", "S")]].concat();
        let body = api.ok("GetSecretValue", &params).await;
        let value = &body["result"][0]["secret_value"];
        assert_eq!(value, &json!("in target"), "{application:?}");
    }
    let params = [
        by_full_name,
        ("secret_name", "BY_FULL_NAME"),
        ("secret_value", "v"),
    ];
    assert_ok(&api.ok("AddSecret", &params).await);
    assert_eq!(api.secret_names(&app).await, ["S", "BY_FULL_NAME"]);
    assert_eq!(api.secret_names(&other).await, ["S"]);
}

// ---------------------------------------------------------------------------------------------
// Authentication and roles
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn jwt_rules() {
    let (_tmp, server) = support::start_temp().await;
    let legacy = Api::legacy(&server).await;
    let owner = ServiceAccount::create(&server, "Owner").await;
    let stranger = ServiceAccount::create(&server, "Owner").await;
    let now = now();
    let claims = json!({ "iss": 1, "iat": now, "exp": now + 60 });
    let token = |iss: Value, iat: i64, exp: i64| owner.token_with(iss, iat, exp);
    let mut hs256 = Header::new(Algorithm::HS256);
    hs256.kid = Some(owner.key_id.clone());
    let hs256_token = jsonwebtoken::encode(
        &hs256,
        &claims,
        &EncodingKey::from_secret(b"a shared secret"),
    )
    .expect("HS256 token");
    // A tampered payload with the original signature.
    let good = owner.token();
    let parts: Vec<&str> = good.split('.').collect();
    let other_payload = token(json!(1), now - 1, now + 61);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        other_payload.split('.').nth(1).expect("payload"),
        parts[2]
    );
    let no_exp = json!({ "iss": 1, "iat": now });
    let (kid, key) = (Some(owner.key_id.as_str()), owner.private_key.as_str());

    // (accepted, token, what it is)
    #[rustfmt::skip]
    let cases = [
        (true, owner.token(), "iss as a string"),
        (true, token(json!(1), now, now + 60), "iss as a number"),
        (true, token(json!(1), now - 100, now - 25), "expired 25 s ago, within the skew"),
        (true, token(json!(1), now, now + 3600), "lifetime 3600 s"),
        (true, token(json!(1), now + 20, now + 80), "iat 20 s ahead, within the skew"),
        (false, token(json!(1), now - 100, now - 40), "expired 40 s ago"),
        (false, token(json!(1), now + 60, now + 120), "iat 60 s in the future"),
        (false, token(json!(1), now, now + 3601), "lifetime 3601 s"),
        (false, token(json!(2), now, now + 60), "iss 2"),
        (false, token(json!("2"), now, now + 60), "iss \"2\""),
        (false, token(json!("abc"), now, now + 60), "iss \"abc\""),
        (false, token(json!(null), now, now + 60), "iss null"),
        (false, sign(Some("no-such-key"), key, &claims), "unknown kid"),
        (false, sign(kid, &stranger.private_key, &claims), "signed by another key"),
        (false, sign(None, key, &claims), "no kid"),
        (false, sign(kid, key, &no_exp), "no exp"),
        (false, hs256_token, "HS256"),
        (false, tampered, "tampered payload"),
    ];
    for (accepted, token, what) in cases {
        let body = legacy.bearer(token).call("GetApplications", &[]).await;
        let expected = if accepted { None } else { Some(100) };
        assert_eq!(error_code(&body), expected, "{what}: {body}");
    }

    // Revoking a key refuses it on the very next request.
    let api = legacy.bearer(owner.token());
    api.ok("GetApplications", &[]).await;
    server
        .call("revoke_service_account", &[("key_id", &owner.key_id)])
        .await
        .expect("revoke");
    let msg = api.expect_error("GetApplications", &[], 100).await;
    assert!(!msg.contains("BEGIN"), "{msg}");
    // The other key is unaffected.
    let body = legacy
        .bearer(stranger.token())
        .call("GetApplications", &[])
        .await;
    assert_eq!(
        error_code(&body),
        None,
        "another key after a revocation: {body}"
    );
}

#[tokio::test]
async fn roles_limit_what_a_key_may_call() {
    let (_tmp, server) = support::start_temp().await;
    let legacy = Api::legacy(&server).await;
    let app = legacy.add_app("roles").await;
    let in_app = ("application_id", app.as_str());
    let secret = legacy.add_secret(&app, "EXISTING", "v").await;
    let by_id = ("secret_id", secret.as_str());

    let viewer = ServiceAccount::create(&server, "Viewer").await;
    let viewer_api = legacy.bearer(viewer.token());
    let body = viewer_api.ok("GetSecrets", &[in_app]).await;
    assert_eq!(names_in(&body, "secret_name"), ["EXISTING"]);
    let body = viewer_api.ok("GetApplications", &[]).await;
    assert_eq!(names_in(&body, "application_name"), full(&["roles"]));
    #[rustfmt::skip]
    let forbidden: [(&str, &[(&str, &str)]); 7] = [
        ("AddSecret", &[in_app, ("secret_name", "BY_VIEWER"), ("secret_value", "v")]),
        ("GetSecretValue", &[in_app, by_id]),
        ("SetSecretInfo", &[in_app, by_id, ("description", "by viewer")]),
        ("DelSecret", &[in_app, by_id]),
        ("AddApplication", &[("application_name", "by-viewer")]),
        ("SetApplicationInfo", &[in_app, ("application_name", "by-viewer")]),
        ("DelApplication", &[in_app]),
    ];
    for (method, params) in forbidden {
        assert_error(&viewer_api.call(method, params).await, 104);
    }
    // Nothing changed.
    assert_eq!(legacy.app_names().await, full(&["roles"]));
    assert_eq!(legacy.secret_names(&app).await, ["EXISTING"]);
    let item = legacy.value(&app, by_id).await;
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
        ["EXISTING", "BY_DEVELOPER", "BY_ADMIN", "BY_OWNER"]
    );
}

// ---------------------------------------------------------------------------------------------
// The panel and the API share one store
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn panel_and_api_see_each_others_changes() {
    let (_tmp, server) = support::start_temp().await;
    let api = Api::legacy(&server).await;

    // An application made in the panel is listed by the API, and the other way round.
    let panel_app = server.create_application("from-panel").await.to_string();
    let api_app = api.add_app("from-api").await;
    let in_app = ("application_id", api_app.as_str());
    assert_eq!(api.app_names().await, full(&["from-panel", "from-api"]));
    assert_eq!(panel_app_names(&server).await, ["from-api", "from-panel"]);

    // Secrets both ways.
    api.add_described(&api_app, "API_MADE", "api value", "api description")
        .await;
    assert_eq!(panel_secret_names(&server, &api_app).await, ["API_MADE"]);
    let page = server
        .call("list_secrets", &[in_app])
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
    let panel_secret_id = ("secret_id", panel_secret.as_str());
    let body = api.secrets(&api_app, &[]).await;
    assert_eq!(names_in(&body, "secret_name"), ["API_MADE", "PANEL_MADE"]);
    let item = api.value(&api_app, panel_secret_id).await;
    assert_eq!(item["secret_value"], json!("panel value"));
    assert_eq!(item["description"], json!("panel description"));

    // An edit in the panel shows in the API.
    let edit = [
        in_app,
        panel_secret_id,
        ("name", "PANEL_EDITED"),
        ("value", "edited in panel"),
        ("description", ""),
    ];
    server
        .call("update_secret", &edit)
        .await
        .expect("update_secret");
    let item = api.value(&api_app, panel_secret_id).await;
    assert_eq!(item["secret_name"], json!("PANEL_EDITED"));
    assert_eq!(item["secret_value"], json!("edited in panel"));

    // A rename through the API shows in the panel.
    let rename = [
        in_app,
        ("secret_name", "API_MADE"),
        ("new_secret_name", "API_RENAMED"),
    ];
    api.ok("SetSecretInfo", &rename).await;
    assert_eq!(
        panel_secret_names(&server, &api_app).await,
        ["API_RENAMED", "PANEL_EDITED"]
    );
    // Deletes both ways.
    api.ok("DelSecret", &[in_app, ("secret_name", "API_RENAMED")])
        .await;
    assert_eq!(
        panel_secret_names(&server, &api_app).await,
        ["PANEL_EDITED"]
    );
    server
        .call("delete_secret", &[in_app, panel_secret_id])
        .await
        .expect("delete_secret");
    assert_eq!(api.secrets(&api_app, &[]).await["total_count"], json!(0));

    // An application renamed through the API shows its new name in the panel.
    let rename = [
        ("application_id", panel_app.as_str()),
        ("application_name", "renamed-by-api"),
    ];
    let body = api.ok("SetApplicationInfo", &rename).await;
    let full_name = format!("renamed-by-api{SUFFIX}");
    assert_eq!(body["application_name"], json!(full_name));
    assert_eq!(
        panel_app_names(&server).await,
        ["from-api", "renamed-by-api"]
    );
    let summary = server
        .call("get_application", &[("id", &panel_app)])
        .await
        .expect("get_application");
    assert_eq!(summary["name"], json!("renamed-by-api"));

    // An application deleted through the API leaves the panel.
    api.ok("DelApplication", &[("application_name", "from-api")])
        .await;
    assert_eq!(panel_app_names(&server).await, ["renamed-by-api"]);
}

/// GetSecretValue by name is answered from the server's read cache once a token is verified:
/// it must still see every change and every revocation on the very next call, and audit each
/// answer exactly once.
#[tokio::test]
async fn cached_value_reads_see_changes_and_revocations_at_once() {
    let (_tmp, server) = support::start_temp().await;
    let legacy = Api::legacy(&server).await;
    let app = legacy.add_app("hot").await;
    let secret = legacy.add_secret(&app, "sip", "one").await;
    let dev = ServiceAccount::create(&server, "Developer").await;
    let api = legacy.bearer(dev.token());
    let by_name = |name: &'static str| [("application_name", "hot"), ("secret_name", name)];
    let value = |body: Value| body["result"][0]["secret_value"].clone();

    for _ in 0..3 {
        assert_eq!(
            value(api.ok("GetSecretValue", &by_name("sip")).await),
            json!("one")
        );
    }
    let in_secret = [
        ("application_id", app.as_str()),
        ("secret_id", secret.as_str()),
    ];
    let mut change = in_secret.to_vec();
    change.push(("secret_value", "two"));
    legacy.ok("SetSecretInfo", &change).await;
    assert_eq!(
        value(api.ok("GetSecretValue", &by_name("sip")).await),
        json!("two")
    );

    let mut rename = in_secret.to_vec();
    rename.push(("new_secret_name", "sip2"));
    legacy.ok("SetSecretInfo", &rename).await;
    api.refused("GetSecretValue", &by_name("sip"), 101, &["sip"])
        .await;
    assert_eq!(
        value(api.ok("GetSecretValue", &by_name("sip2")).await),
        json!("two")
    );

    // A change made by another process on the same database (another replica, the CLI).
    let store = support::open_store_files(&server.data_dir).await;
    let meta = store
        .update_secret(
            &store::Actor::system("test"),
            shared::model::ApplicationId(app.parse().expect("id")),
            shared::model::SecretId(secret.parse().expect("id")),
            store::SecretChanges {
                value: Some(store::SecretValue::new("three".into())),
                ..Default::default()
            },
        )
        .await
        .expect("update from another process");
    store.close().await;
    assert_eq!(meta.name, "sip2");
    assert_eq!(
        value(api.ok("GetSecretValue", &by_name("sip2")).await),
        json!("three")
    );

    // Six answers, six records, each naming the key.
    let audit = server
        .call(
            "audit_log",
            &[("action", "secret.read"), ("actor", &dev.key_id)],
        )
        .await
        .expect("audit_log");
    assert_eq!(
        audit["items"].as_array().expect("items").len(),
        6,
        "{audit}"
    );

    server
        .call("revoke_service_account", &[("key_id", &dev.key_id)])
        .await
        .expect("revoke");
    api.expect_error("GetSecretValue", &by_name("sip2"), 100)
        .await;
}
