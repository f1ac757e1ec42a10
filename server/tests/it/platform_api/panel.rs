//! The panel and the API share one store: each sees the other's changes at once, and the
//! cached GetSecretValue path sees changes and revocations on the next request.

use super::*;

#[tokio::test]
async fn panel_and_api_see_each_others_changes() {
    let (_tmp, server) = crate::support::start_temp().await;
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
    let (_tmp, server) = crate::support::start_temp().await;
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
    let store = crate::support::open_store_files(&server.data_dir).await;
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
