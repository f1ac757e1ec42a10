//! Scenarios through the panel's server functions: create, run, read a run's log lines, and the
//! value reads a run left in the audit log.

use super::{Server, Session};
use serde_json::{Value, json};

pub async fn create_scenario(server: &Server, app: i64, name: &str, code: &str) -> (u16, Value) {
    let args = json!({ "application_id": app, "name": name, "code": code });
    server
        .call_json_as(server.session.as_ref(), "create_scenario", &args)
        .await
}

/// Creates a scenario that must be accepted; its id.
pub async fn scenario_id(server: &Server, app: i64, name: &str, code: &str) -> i64 {
    let (status, body) = create_scenario(server, app, name, code).await;
    assert_eq!(status, 200, "{body}");
    body["id"].as_i64().expect("scenario id")
}

pub async fn run_as(server: &Server, session: Option<&Session>, app: i64, id: i64) -> (u16, Value) {
    let (app, id) = (app.to_string(), id.to_string());
    server
        .call_as(
            session,
            "run_scenario",
            &[("application_id", &app), ("scenario_id", &id)],
        )
        .await
}

/// The texts of a run's `Logger.write` lines.
pub fn log_texts(run: &Value) -> Vec<String> {
    run["log"]
        .as_array()
        .expect("a log")
        .iter()
        .map(|line| line["text"].as_str().expect("text").to_owned())
        .collect()
}

/// The value reads in the audit log, newest first.
pub async fn reads(server: &Server) -> Vec<Value> {
    let page = server
        .call("audit_log", &[("action", "secret.read"), ("limit", "500")])
        .await
        .expect("audit_log");
    page["items"].as_array().expect("items").clone()
}
