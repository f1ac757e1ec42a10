//! The Management API at `/platform_api` over real HTTP, against `docs/api.md`:
//! the four call styles and three parameter sources, every method with its documented errors,
//! the JWT and API-key rules, roles, and that the panel and the API see the same data. The
//! OpenAPI document is checked against the server in `openapi_contract.rs`.
//!
//! Refused calls are listed in tables, `(parameters, error code, words the message must
//! contain)`, one call a line; `#[rustfmt::skip]` keeps them that way.

mod access;
mod applications;
mod panel;
mod secrets;
mod transport;

use crate::support::Server;
use crate::support::api::{
    Api, Auth, SUFFIX, ServiceAccount, assert_error, assert_ok, error_code, now, pairs, send, sign,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::RequestBuilder;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Value, json};
use std::time::Duration;

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
