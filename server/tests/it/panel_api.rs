//! The panel's server functions over real HTTP: validation and duplicate errors arrive as
//! field-level errors, and no list call carries a value.

use crate::support::Server;
use serde_json::json;
use shared::model::{ApplicationId, SecretId};
use store::{ReadPurpose, SecretRef};

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

    let store = crate::support::open_store_files(&data).await;
    let by = store::Actor::system("test");
    let read = |id| {
        let read = store.read_secret(
            &by,
            ApplicationId(app).into(),
            SecretRef::Id(SecretId(id)),
            ReadPurpose::Reveal,
        );
        async move { read.await.map(|read| read.value) }
    };
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

/// The request guard's refusals (server/src/http/request_guard.rs): the session layer's own 403
/// says the CSRF token is missing or wrong instead.
const CROSS_SITE_REFUSAL: &str = "Cross-site request refused";
const CSRF_REFUSAL: &str = "CSRF token is missing or wrong";
const FOREIGN_HOST_REFUSAL: &str = "answers only to localhost";

/// Every write below carries the Owner's session cookie and its CSRF token, which the session
/// layer accepts: a refusal can only come from the guard, and its message says so.
#[tokio::test]
async fn cross_site_writes_and_foreign_host_names_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("data")).await;
    let session = server.session.clone().expect("signed in");
    let cookie = session.cookie();
    let signed_in = [
        ("cookie", cookie.as_str()),
        ("x-csrf-token", session.csrf.as_str()),
    ];
    let own_origin = server.base.as_str();
    let port: u16 = server.base.rsplit(':').next().unwrap().parse().unwrap();
    let other_port = format!("http://127.0.0.1:{}", port.wrapping_add(1));
    let create = |name: &'static str, extra: Vec<(&'static str, String)>| {
        let server = &server;
        let mut headers: Vec<(&str, String)> = signed_in
            .iter()
            .map(|(k, v)| (*k, (*v).to_owned()))
            .collect();
        headers.extend(extra);
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = server
                .post_api("create_application", &[("name", name)], &headers)
                .await;
            crate::support::status_and_body(response).await
        }
    };
    let header = |name: &'static str, value: &str| (name, value.to_owned());

    // What a browser says of a request another site makes (a form or fetch posting to the
    // panel: the drive-by create or delete).
    #[rustfmt::skip]
    let cross_site = [
        ("a page on another site", vec![header("origin", "http://evil.example")]),
        ("another port of this host", vec![header("origin", &other_port)]),
        ("an opaque origin (sandboxed frame)", vec![header("origin", "null")]),
        ("Sec-Fetch-Site: cross-site", vec![header("sec-fetch-site", "cross-site")]),
        ("Sec-Fetch-Site: same-site", vec![header("sec-fetch-site", "same-site")]),
        ("our Origin but a cross-site fetch", vec![
            header("origin", own_origin),
            header("sec-fetch-site", "cross-site"),
        ]),
    ];
    for (case, extra) in cross_site {
        let (status, body) = create("from-elsewhere", extra).await;
        assert_eq!(status, 403, "{case}: {body}");
        let text = body.as_str().unwrap_or_default();
        assert!(
            text.contains(CROSS_SITE_REFUSAL),
            "{case}: not the guard's refusal: {body}"
        );
    }
    // An Origin without a Host to compare it with (HTTP/1.0) is cross-site too.
    let (status, text) = http10_create(&server, "no-host", &signed_in, Some(own_origin));
    assert_eq!(status, 403, "Origin without Host: {text}");
    assert!(
        text.contains(CROSS_SITE_REFUSAL),
        "Origin without Host: {text}"
    );

    // The two refusals differ: a wrong token from the panel's own origin is the session
    // layer's.
    let wrong_token = [
        signed_in[0],
        ("x-csrf-token", "wrong"),
        ("origin", own_origin),
    ];
    let response = server
        .post_api(
            "create_application",
            &[("name", "wrong-token")],
            &wrong_token,
        )
        .await;
    let (status, body) = crate::support::status_and_body(response).await;
    let text = body.as_str().unwrap_or_default();
    assert_eq!(status, 403, "{body}");
    assert!(
        text.contains(CSRF_REFUSAL) && !text.contains(CROSS_SITE_REFUSAL),
        "{body}"
    );

    // DNS rebinding: a foreign name that resolves to loopback, for writes and pages alike.
    let (status, body) = create("rebound", vec![header("host", "evil.example:3000")]).await;
    assert_eq!(status, 421, "{body}");
    assert!(
        body.as_str()
            .unwrap_or_default()
            .contains(FOREIGN_HOST_REFUSAL),
        "{body}"
    );
    let page = reqwest::Client::new()
        .get(format!("{}/", server.base))
        .header("host", "evil.example")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 421, "pages are refused too");
    assert!(page.text().await.unwrap().contains(FOREIGN_HOST_REFUSAL));
    assert_eq!(
        server.call("list_applications", &[]).await.unwrap(),
        json!([]),
        "a refused request created something"
    );

    // The positive controls: the same requests from the panel's own origin, by its own name
    // or a loopback one, or from a client that is not a browser, succeed.
    let localhost = format!("localhost:{port}");
    let localhost_origin = format!("http://{localhost}");
    #[rustfmt::skip]
    let accepted = [
        ("same-origin", vec![header("origin", own_origin)]),
        ("same-origin-fetch", vec![
            header("origin", own_origin),
            header("sec-fetch-site", "same-origin"),
        ]),
        ("by-localhost", vec![
            header("host", &localhost),
            header("origin", &localhost_origin),
        ]),
        ("no-origin", vec![]),
    ];
    for (name, extra) in accepted {
        let (status, body) = create(name, extra).await;
        assert_eq!(status, 200, "{name}: {body}");
    }
    let (status, text) = http10_create(&server, "no-host", &signed_in, None);
    assert_eq!(status, 200, "HTTP/1.0 without Origin: {text}");
    let mut names: Vec<String> = server
        .applications()
        .await
        .into_iter()
        .map(|a| a.1)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "by-localhost",
            "no-host",
            "no-origin",
            "same-origin",
            "same-origin-fetch"
        ]
    );
}

/// `create_application NAME` as one HTTP/1.0 request without a `Host` header (which reqwest
/// always sends): the status and the body.
fn http10_create(
    server: &Server,
    name: &str,
    headers: &[(&str, &str)],
    origin: Option<&str>,
) -> (u16, String) {
    use std::io::{Read, Write};
    let address = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("read timeout");
    let body = format!("name={name}");
    let mut request = format!(
        "POST /api/create_application HTTP/1.0\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers.iter().chain(origin.map(|o| ("origin", o)).iter()) {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {response:?}"));
    let text = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, text.to_owned())
}
