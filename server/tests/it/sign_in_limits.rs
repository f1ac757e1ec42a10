//! Sign-in under abuse, on a real `strongroom` process over HTTP (issue 15): parallel guesses
//! get no more checks than the limit allows, a username no account can have is refused before
//! anything is written (however long), refused attempts add no audit records, and a reset
//! from the command line is the way back in for a locked-out account.

use crate::support::{OWNER, OWNER_PASSWORD, Server, audit_records};
use serde_json::{Value, json};
use std::path::Path;

const PASSWORD: &str = "victim-password-1";

/// A signed-out sign-in attempt, on its own connection: the status and the decoded body.
async fn attempt(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> (u16, Value) {
    let response = client
        .post(format!("{base}/api/sign_in"))
        .header("x-csrf-token", "-")
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .expect("request failed");
    crate::support::status_and_body(response).await
}

/// Bytes of every file in the data directory: the database, its -wal and -shm, the key.
fn data_bytes(dir: &Path) -> u64 {
    let files = std::fs::read_dir(dir).expect("data dir");
    files
        .map(|entry| entry.expect("dir entry").metadata().expect("metadata"))
        .filter(|meta| meta.is_file())
        .map(|meta| meta.len())
        .sum()
}

#[tokio::test]
async fn parallel_wrong_passwords_get_only_the_limit_checked() {
    let (_tmp, server) = crate::support::start_temp().await;
    server.create_user("victim", PASSWORD, "Viewer").await;
    let client = reqwest::Client::new();
    // Collected, so that all are sent before the first answer is awaited.
    let guesses: Vec<_> = (0..100)
        .map(|i| {
            let (client, base) = (client.clone(), server.base.clone());
            tokio::spawn(async move {
                let guess = format!("wrong-password-{i:03}");
                attempt(&client, &base, "victim", &guess).await
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    for guess in guesses {
        let (status, body) = guess.await.expect("task");
        // The `PanelError` variant: a string for a unit variant, else the object's one key.
        let kind = match &body {
            Value::String(kind) => kind.clone(),
            other => other
                .as_object()
                .and_then(|map| map.keys().next().cloned())
                .unwrap_or_default(),
        };
        *statuses.entry((status, kind)).or_insert(0) += 1;
    }
    let key = |status: u16, kind: &str| (status, kind.to_owned());
    assert_eq!(
        statuses,
        [(key(401, "SignInFailed"), 5), (key(429, "Throttled"), 95)].into(),
        "each 401 is a password really checked"
    );
    // One record per checked guess, none for the refusals.
    let records = audit_records(&server, &[("actor", "victim")]).await;
    assert_eq!(records.len(), 5, "records of the guesses");
    assert!(records.iter().all(|r| r["outcome"] == json!("failure")));
    // The right password is refused too now, and says when to come back.
    let response = client
        .post(format!("{}/api/sign_in", server.base))
        .header("x-csrf-token", "-")
        .form(&[("username", "victim"), ("password", PASSWORD)])
        .send()
        .await
        .expect("request failed");
    assert_eq!(response.status(), 429);
    let retry = response.headers().get("retry-after").expect("Retry-After");
    let secs: i64 = retry.to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=900).contains(&secs), "Retry-After {secs}");
}

#[tokio::test]
async fn an_overlong_username_is_refused_before_anything_is_written() {
    let (_tmp, server) = crate::support::start_temp().await;
    let client = reqwest::Client::new();
    let sign_ins = || async {
        let records = audit_records(&server, &[("action", "sign_in")]).await;
        records.len()
    };
    let records = sign_ins().await;
    let before = data_bytes(&server.data_dir);
    let long = "a".repeat(1_900_000);
    for _ in 0..20 {
        let (status, body) = attempt(&client, &server.base, &long, "wrong-password").await;
        assert_eq!(status, 400, "{:.200}", body.to_string());
        assert_eq!(body["Invalid"]["field"], json!("Username"));
        let message = body["Invalid"]["message"].as_str().expect("message");
        assert!(
            message.contains("1900000 characters long; the limit is 64"),
            "{message}"
        );
    }
    let after = data_bytes(&server.data_dir);
    // Before the fix these 20 requests added 120 MB (the name, twice, in each record); the
    // database's own page writes stay far below this bound.
    assert!(
        after.saturating_sub(before) < 64 * 1024,
        "the data directory grew from {before} to {after} bytes"
    );
    assert_eq!(sign_ins().await, records, "a refused sign-in was recorded");
}

#[tokio::test]
async fn a_reset_from_the_command_line_ends_the_lock_on_an_account() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    let server = Server::start(&data).await;
    let client = reqwest::Client::new();
    for i in 0..5 {
        let guess = format!("wrong-password-{i}");
        let (status, _) = attempt(&client, &server.base, OWNER, &guess).await;
        assert_eq!(status, 401);
    }
    let (status, _) = attempt(&client, &server.base, OWNER, OWNER_PASSWORD).await;
    assert_eq!(status, 429, "the account is not locked");
    let reset = ["user", "reset-password", OWNER];
    let (ok, _, err) = crate::support::run_cli(&data, &reset, "brand-new-password-1\n");
    assert!(ok, "{err}");
    let (status, body) = attempt(&client, &server.base, OWNER, "brand-new-password-1").await;
    assert_eq!(status, 200, "{body}");
}
