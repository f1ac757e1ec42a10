//! The panel's server functions over real HTTP: validation and duplicate errors arrive as
//! field-level errors, and no list call carries a value.

mod support;

use app::model::{ApplicationId, SecretId};
use serde_json::json;
use support::Server;

#[tokio::test]
async fn server_functions_enforce_the_shared_rules_with_field_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data")).await;

    let err = server
        .call("create_application", &[("name", "Bad_Name")])
        .await
        .unwrap_err();
    assert_eq!(err["Invalid"]["field"], json!("ApplicationName"), "{err}");
    let app = server.create_application("rules").await;
    let err = server
        .call("create_application", &[("name", "rules")])
        .await
        .unwrap_err();
    assert!(
        err["Invalid"]["message"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{err}"
    );

    let app_id = app.to_string();
    let add = |name: &'static str, value: String| {
        let app_id = app_id.clone();
        let server = &server;
        async move {
            server
                .call(
                    "create_secret",
                    &[
                        ("application_id", &app_id),
                        ("name", name),
                        ("value", &value),
                        ("description", ""),
                    ],
                )
                .await
        }
    };
    let err = add("1starts_with_digit", "v".into()).await.unwrap_err();
    assert_eq!(err["Invalid"]["field"], json!("SecretName"));
    let err = add("TOO_LONG", "ж".repeat(8193)).await.unwrap_err();
    assert_eq!(err["Invalid"]["field"], json!("SecretValue"));
    assert!(add("MAX_LEN", "ж".repeat(8192)).await.is_ok());
    let err = add("MAX_LEN", "other".into()).await.unwrap_err();
    assert_eq!(err["Invalid"]["field"], json!("SecretName"));
    assert!(
        err["Invalid"]["message"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );

    let page = server
        .call("list_secrets", &[("application_id", &app_id)])
        .await
        .unwrap();
    assert_eq!(page["total"], json!(1));
    assert!(
        !page.to_string().contains("жжж"),
        "a list call carried a value: {page}"
    );
}

#[tokio::test]
async fn editing_replaces_the_value_only_when_one_is_given() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data).await;
    let app = server.create_application("editing").await;
    let kept = server
        .create_secret(app, "KEPT", "original-kept", "d")
        .await;
    let replaced = server
        .create_secret(app, "REPLACED", "original-replaced", "")
        .await;
    let edit = |id: i64, name: &'static str, value: &'static str, description: &'static str| {
        let (app, id) = (app.to_string(), id.to_string());
        let server = &server;
        async move {
            server
                .call(
                    "update_secret",
                    &[
                        ("application_id", app.as_str()),
                        ("secret_id", &id),
                        ("name", name),
                        ("value", value),
                        ("description", description),
                    ],
                )
                .await
        }
    };
    let updated = edit(kept, "RENAMED", "", "d2").await.unwrap();
    assert_eq!(updated["name"], json!("RENAMED"));
    assert_eq!(updated["description"], json!("d2"));
    edit(replaced, "REPLACED", "new-value", "").await.unwrap();
    let err = edit(replaced, "RENAMED", "", "").await.unwrap_err();
    assert_eq!(
        err["Invalid"]["field"],
        json!("SecretName"),
        "rename onto a taken name: {err}"
    );
    assert!(server.stop().success());

    let store = support::open_store_files(&data).await;
    let by = app::store::Actor::system("test");
    let read = |id| store.read_secret_value(&by, ApplicationId(app), SecretId(id), "test");
    assert_eq!(
        read(kept).await.unwrap().expose(),
        "original-kept",
        "an empty value must keep it"
    );
    assert_eq!(read(replaced).await.unwrap().expose(), "new-value");
}

#[tokio::test]
async fn renaming_and_deleting_applications() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data")).await;
    let app = server.create_application("lifecycle").await;
    server.create_application("taken").await;
    let app_s = app.to_string();
    server.create_secret(app, "ONE", "v", "").await;
    server.create_secret(app, "TWO", "v", "").await;

    let renamed = server
        .call("rename_application", &[("id", &app_s), ("name", "renamed")])
        .await
        .unwrap();
    assert_eq!(
        (renamed["name"].as_str(), renamed["secret_count"].as_i64()),
        (Some("renamed"), Some(2))
    );
    for bad in ["taken", "Upper"] {
        let err = server
            .call("rename_application", &[("id", &app_s), ("name", bad)])
            .await
            .unwrap_err();
        assert_eq!(
            err["Invalid"]["field"],
            json!("ApplicationName"),
            "{bad}: {err}"
        );
    }
    let apps = server.call("list_applications", &[]).await.unwrap();
    let names: Vec<_> = apps
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].clone())
        .collect();
    assert_eq!(names, [json!("renamed"), json!("taken")]);

    let deleted = server
        .call("delete_application", &[("id", &app_s)])
        .await
        .unwrap();
    assert_eq!(deleted, json!(2));
    let err = server
        .call("list_secrets", &[("application_id", &app_s)])
        .await
        .unwrap_err();
    assert!(err.get("NotFound").is_some(), "{err}");
    let apps = server.call("list_applications", &[]).await.unwrap();
    assert_eq!(apps.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn pages_render_on_the_server_and_unknown_pages_are_404() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data")).await;
    let app = server.create_application("rendered").await;
    server
        .create_secret(
            app,
            "VISIBLE_NAME",
            "never-in-html-3c7d",
            "shown description",
        )
        .await;

    let home = server.get("/").await;
    assert!(home.status().is_success());
    let html = home.text().await.unwrap();
    assert!(
        html.contains("rendered"),
        "the application list is server-rendered"
    );

    let secrets = server.get(&format!("/applications/{app}/secrets")).await;
    assert!(secrets.status().is_success());
    let html = secrets.text().await.unwrap();
    assert!(html.contains("VISIBLE_NAME") && html.contains("shown description"));
    assert!(
        !html.contains("never-in-html-3c7d"),
        "a value was rendered into the page"
    );

    assert_eq!(server.get("/no/such/page").await.status(), 404);
}

#[tokio::test]
async fn bad_input_gets_a_4xx_that_names_the_problem_never_a_5xx() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data")).await;
    let app = server.create_application("statuses").await.to_string();
    // (server function, arguments, expected status, expected PanelError variant)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: [Case; 5] = [
        ("create_application", vec![("name", "Nope")], 422, "Invalid"),
        (
            "list_secrets",
            vec![("application_id", "987654")],
            404,
            "NotFound",
        ),
        (
            "list_secrets",
            vec![("application_id", "not-a-number")],
            400,
            "BadRequest",
        ),
        (
            "create_secret",
            vec![("application_id", &app), ("name", "X")],
            400,
            "BadRequest",
        ),
        (
            "delete_secret",
            vec![("application_id", &app), ("secret_id", "12345")],
            404,
            "NotFound",
        ),
    ];
    for (function, args, status, variant) in cases {
        let (got, body) = server.call_raw(function, &args).await;
        assert_eq!(got, status, "{function} {args:?}: {body}");
        assert!(body.get(variant).is_some(), "{function} {args:?}: {body}");
    }
}

#[tokio::test]
async fn cross_site_writes_and_foreign_host_names_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data")).await;
    let client = reqwest::Client::new();
    let post = |origin: Option<&'static str>, host: Option<&'static str>| {
        let mut request = client
            .post(format!("{}/api/create_application", server.base))
            .form(&[("name", "from-elsewhere")]);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(host) = host {
            request = request.header("host", host);
        }
        request.send()
    };
    // A form on another website posting to the panel (the drive-by delete or create).
    let response = post(Some("http://evil.example"), None).await.unwrap();
    assert_eq!(response.status(), 403);
    // DNS rebinding: a foreign name that resolves to loopback.
    let response = post(None, Some("evil.example:3000")).await.unwrap();
    assert_eq!(response.status(), 421);
    let page = client
        .get(format!("{}/", server.base))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 421, "pages are refused too");
    assert_eq!(
        server.call("list_applications", &[]).await.unwrap(),
        json!([]),
        "nothing was created"
    );

    // The panel's own origin is accepted (with the session and its CSRF token).
    let session = server.session.clone().expect("signed in");
    let response = client
        .post(format!("{}/api/create_application", server.base))
        .header("origin", server.base.clone())
        .header("cookie", session.cookie())
        .header("x-csrf-token", &session.csrf)
        .form(&[("name", "from-panel")])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}
