//! `;` lists of DelSecret and DelApplication, against a real process: at most 100 items per
//! list (error 101 beyond, and nothing deleted); up to that, every item goes, each audited.

use crate::support::api::{Api, assert_error};
use crate::support::{Server, audit_records};
use serde_json::{Value, json};

/// The cap the spec documents for `;` lists.
const CAP: usize = 100;

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:03}")).collect()
}

/// How many secrets the application `app` has, and the names of the first thousand.
async fn secrets_of(api: &Api, app: &str) -> (i64, Vec<String>) {
    let body = api
        .call(
            "GetSecrets",
            &[("application_name", app), ("count", "1000")],
        )
        .await;
    let names = body["result"]
        .as_array()
        .unwrap_or_else(|| panic!("GetSecrets: {body}"))
        .iter()
        .map(|s| s["secret_name"].as_str().expect("name").to_owned())
        .collect();
    (body["total_count"].as_i64().expect("total_count"), names)
}

/// The names in the audit records of `action` (secret or application, as `field` says).
async fn audited(server: &Server, action: &str, field: &str) -> Vec<String> {
    let mut names: Vec<String> = audit_records(server, &[("action", action)])
        .await
        .iter()
        .map(|r| r[field].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn del_secret_lists_are_capped_and_delete_everything_they_name() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;
    let app = server.create_application("bulk").await;
    let all = names("S", CAP + 1);
    let mut ids = Vec::new();
    for name in &all {
        ids.push(server.create_secret(app, name, "v", "").await.to_string());
    }
    let in_app = ("application_name", "bulk");

    // One over the cap, by name and by id: refused, naming the parameter and the cap.
    let over_names = all.join(";");
    let over_ids = ids.join(";");
    for (param, list) in [("secret_name", &over_names), ("secret_id", &over_ids)] {
        let body = api.call("DelSecret", &[in_app, (param, list)]).await;
        let msg = assert_error(&body, 101);
        assert!(
            msg.contains(param) && msg.contains(&CAP.to_string()),
            "{msg}"
        );
    }
    assert_eq!(
        secrets_of(&api, "bulk").await.0,
        101,
        "a refused call deleted"
    );
    assert!(
        audited(&server, "secret.delete", "secret_name")
            .await
            .is_empty()
    );

    // At the cap, mixed with an unknown name: all or nothing, as the spec says.
    let mut with_unknown = all[..CAP - 1].to_vec();
    with_unknown.push("NOPE".into());
    let body = api
        .call(
            "DelSecret",
            &[in_app, ("secret_name", &with_unknown.join(";"))],
        )
        .await;
    assert!(assert_error(&body, 101).contains("NOPE"), "{body}");
    assert_eq!(secrets_of(&api, "bulk").await.0, 101);

    // At the cap: every one goes, each with its own record; the rest stay.
    let body = api
        .call(
            "DelSecret",
            &[in_app, ("secret_name", &all[..CAP].join(";"))],
        )
        .await;
    assert_eq!(body, json!({ "result": 1 }));
    assert_eq!(secrets_of(&api, "bulk").await, (1, vec![all[CAP].clone()]));
    assert_eq!(
        audited(&server, "secret.delete", "secret_name").await,
        all[..CAP]
    );

    // Ids and names together: their union (one of each here), in one call.
    let app2 = server.create_application("bulk-two").await;
    let a = server.create_secret(app2, "A", "v", "").await.to_string();
    server.create_secret(app2, "B", "v", "").await;
    server.create_secret(app2, "C", "v", "").await;
    let body = api
        .call(
            "DelSecret",
            &[
                ("application_id", &app2.to_string()),
                ("secret_id", &a),
                ("secret_name", "B;A"),
            ],
        )
        .await;
    assert_eq!(body, json!({ "result": 1 }));
    assert_eq!(
        secrets_of(&api, "bulk-two").await,
        (1, vec!["C".to_owned()])
    );
}

#[tokio::test]
async fn del_application_lists_are_capped_and_delete_everything_they_name() {
    let (_tmp, server) = crate::support::start_temp().await;
    let api = Api::legacy(&server).await;
    let all = names("app-", CAP + 1);
    let mut ids = Vec::new();
    for name in &all {
        ids.push(server.create_application(name).await);
    }
    // Each with a secret, so the cascade to secrets is seen too.
    server
        .create_secret(ids[0], "KEPT_UNTIL_DELETED", "v", "")
        .await;

    let over = all.join(";");
    let msg = assert_error(
        &api.call("DelApplication", &[("application_name", &over)])
            .await,
        101,
    );
    assert!(
        msg.contains("application_name") && msg.contains("100"),
        "{msg}"
    );
    let over_ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    assert_error(
        &api.call("DelApplication", &[("application_id", &over_ids.join(";"))])
            .await,
        101,
    );
    assert_eq!(
        server.applications().await.len(),
        CAP + 1,
        "a refused call deleted"
    );

    let body: Value = api
        .call(
            "DelApplication",
            &[("application_name", &all[..CAP].join(";"))],
        )
        .await;
    assert_eq!(body, json!({ "result": 1 }));
    let left: Vec<String> = server
        .applications()
        .await
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(left, [all[CAP].clone()]);
    assert_eq!(
        audited(&server, "application.delete", "application_name").await,
        all[..CAP]
    );
    let records = audit_records(&server, &[("action", "application.delete")]).await;
    let first = records
        .iter()
        .find(|r| r["application_name"] == all[0].as_str())
        .expect("a record for the first application");
    assert_eq!(first["detail"], "with 1 secrets", "{first}");
}
