//! The Management API through the router: codes for requests that fail before any method
//! runs, and one call of each kind with the legacy key, checked against the store behind it.

use super::{InProcess, in_process, text};
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use shared::model::{AuditAction, AuditQuery};
use store::Actor;

impl InProcess {
    /// A fresh legacy API key (`account_id=1` + `api_key`), made as the command line does.
    async fn api_key(&self) -> String {
        let key = self.store.regenerate_api_key(&Actor::system("test")).await;
        key.expect("api key").expose().to_owned()
    }

    /// Calls `method` with `params` and the legacy `key`; the JSON answer, which is HTTP 200
    /// for errors too, as the official clients expect.
    async fn api(&self, method: &str, key: &str, params: &[(&str, &str)]) -> Value {
        let credentials = [("account_id", "1"), ("api_key", key)];
        let form = [&credentials[..], params].concat();
        let path = format!("/platform_api/{method}");
        let response = self.post_form(&path, &form, &[]).await;
        assert_eq!(response.status(), StatusCode::OK, "{method}");
        serde_json::from_str(&text(response).await).expect("a JSON answer")
    }
}

#[tokio::test]
async fn the_management_api_refuses_a_call_without_credentials() {
    let server = in_process().await;
    let response = server
        .post_form("/platform_api", &[("cmd", "GetApplications")], &[])
        .await;
    // API errors are HTTP 200 with an error body, as the official clients expect.
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = serde_json::from_str(&text(response).await).expect("json");
    assert_eq!(body["error"]["code"], 100, "{body}");
}

/// Each request that cannot reach a method gets its own code, as a JSON error.
#[tokio::test]
async fn requests_that_name_no_method_or_cannot_be_read_get_their_codes() {
    let server = in_process().await;
    let key = server.api_key().await;
    let credentials = format!("account_id=1&api_key={key}");
    let form = "application/x-www-form-urlencoded";
    let cases: [(&str, &str, &str, String, i64); 5] = [
        ("no method", "/platform_api", form, credentials.clone(), 102),
        (
            "an unknown method",
            "/platform_api/Nope",
            form,
            credentials.clone(),
            103,
        ),
        (
            "a JSON body",
            "/platform_api/GetSecrets",
            "application/json",
            "[1]".into(),
            101,
        ),
        (
            "a query that is not UTF-8",
            "/platform_api/GetSecrets?x=%FF",
            form,
            credentials,
            101,
        ),
        // Over the API's 256 KiB, though under the router's own limit.
        (
            "a body over the limit",
            "/platform_api/GetSecrets",
            form,
            "a".repeat(300 * 1024),
            101,
        ),
    ];
    for (what, path, content_type, body, code) in cases {
        let request = Request::post(path).header(header::CONTENT_TYPE, content_type);
        let response = server.send(request, body).await;
        assert_eq!(response.status(), StatusCode::OK, "{what}");
        let answer: Value = serde_json::from_str(&text(response).await).expect("json");
        assert_eq!(answer["error"]["code"], json!(code), "{what}: {answer}");
    }
}

/// A value stored through the API comes back through it, and the read is in the audit log
/// as an API read of that secret by the key, committed before the answer left.
#[tokio::test]
async fn a_value_added_through_the_api_reads_back_and_its_read_is_audited() {
    let server = in_process().await;
    let key = server.api_key().await;
    let added = server
        .api("AddApplication", &key, &[("application_name", "fast")])
        .await;
    let app = added["application_id"].to_string();
    let app = app.as_str();
    let value = "line one\nline two = \"quoted\" # not a comment";
    let secret = [
        ("application_id", app),
        ("secret_name", "TOKEN"),
        ("secret_value", value),
    ];
    let created = server.api("AddSecret", &key, &secret).await;
    assert!(created["result"][0]["secret_id"].is_u64(), "{created}");

    let read = [("application_id", app), ("secret_name", "TOKEN")];
    let body = server.api("GetSecretValue", &key, &read).await;
    assert_eq!(body["result"][0]["secret_value"], value, "{body}");

    let query = AuditQuery {
        action: Some(AuditAction::SecretRead),
        ..AuditQuery::default()
    };
    let reads = server.store.audit_page(&query).await.expect("audit").items;
    assert_eq!(reads.len(), 1, "one read, one record: {reads:?}");
    let record = &reads[0];
    let actor = (record.actor_kind.as_str(), record.actor.as_str());
    assert_eq!(
        (record.source.as_str(), actor),
        ("api", ("api_key", "api key"))
    );
    assert_eq!(record.secret_name.as_deref(), Some("TOKEN"));
    assert_eq!(record.outcome, "success");
    assert!(
        !record.detail.contains("line one"),
        "no value in the log: {record:?}"
    );
}
