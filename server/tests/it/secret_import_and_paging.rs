//! `strongroom secret import` against a running server's database, and the panel's paged,
//! filtered secret list over it.

use crate::support::Server;
use serde_json::{Value, json};

/// Runs `strongroom secret import APP --data-dir DIR` with `stdin`: (success, stderr).
fn import(data_dir: &std::path::Path, app: &str, stdin: &str) -> (bool, String) {
    let (ok, _, stderr) = crate::support::run_cli(data_dir, &["secret", "import", app], stdin);
    (ok, stderr)
}

fn lines(range: std::ops::Range<usize>) -> String {
    range
        .map(|i| {
            format!(
                "{{\"name\":\"key_{i:03}\",\"value\":\"value-{i}\",\"description\":\"n{i}\"}}\n"
            )
        })
        .collect()
}

async fn page(server: &Server, app: i64, args: &[(&str, &str)]) -> (i64, Vec<String>) {
    let app = app.to_string();
    let mut all = vec![("application_id", app.as_str())];
    all.extend_from_slice(args);
    let page = server
        .call("list_secrets", &all)
        .await
        .expect("list_secrets");
    let names = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_owned())
        .collect();
    (page["total"].as_i64().expect("total"), names)
}

#[tokio::test]
async fn imported_secrets_are_listed_page_by_page_and_filtered() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start(&data).await;
    let app = server.create_application("bulk").await;

    // A bad line anywhere refuses the whole file, naming the line but not echoing it.
    let mut bad = lines(0..5);
    bad.push_str("{\"name\":\"key_005\",\"valeu\":\"hunter2\"}\n");
    let (ok, stderr) = import(&data, "bulk", &bad);
    assert!(!ok);
    assert!(stderr.contains("line 6"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let (ok, stderr) = import(&data, "nosuchapp", &lines(0..2));
    assert!(!ok && stderr.contains("nosuchapp"), "{stderr}");
    assert_eq!(page(&server, app, &[]).await.0, 0);

    let (ok, stderr) = import(&data, "bulk", &lines(0..260));
    assert!(ok, "{stderr}");
    assert!(stderr.contains("Imported 260 secrets"), "{stderr}");
    // Importing an existing name again changes nothing.
    let (ok, stderr) = import(&data, "bulk", &lines(259..261));
    assert!(!ok && stderr.contains("key_259"), "{stderr}");

    // The default page is the Secrets page's 50, in id order.
    let (total, names) = page(&server, app, &[]).await;
    assert_eq!((total, names.len()), (260, 50));
    assert_eq!(names[0], "key_000");
    let (_, names) = page(&server, app, &[("limit", "25"), ("offset", "250")]).await;
    assert_eq!(names.first().map(String::as_str), Some("key_250"));
    assert_eq!(names.len(), 10);
    // A page size over the largest offered is capped; a page past the end is empty.
    let (_, names) = page(&server, app, &[("limit", "100000")]).await;
    assert_eq!(names.len(), 200);
    let (total, names) = page(&server, app, &[("offset", "9999")]).await;
    assert_eq!((total, names.len()), (260, 0));
    // The filter is a case-insensitive part of the name, through the trigram index.
    let (total, names) = page(&server, app, &[("name_part", "KEY_1"), ("limit", "3")]).await;
    assert_eq!(total, 100);
    assert_eq!(names, ["key_100", "key_101", "key_102"]);
    let (total, _) = page(&server, app, &[("name_part", "y_25")]).await;
    assert_eq!(total, 10);
    let (total, _) = page(&server, app, &[("name_part", "key%")]).await;
    assert_eq!(total, 0);

    // Each imported secret has exactly one audit record, made by the command line; the refused
    // imports (a bad line, an unknown application, a name already taken) left none.
    let mut imported: Vec<(i64, String)> = Vec::new();
    for offset in ["0", "200"] {
        let page = server
            .call(
                "list_secrets",
                &[
                    ("application_id", &app.to_string()),
                    ("limit", "200"),
                    ("offset", offset),
                ],
            )
            .await
            .expect("list_secrets");
        for item in page["items"].as_array().expect("items") {
            let name = item["name"].as_str().expect("name").to_owned();
            imported.push((item["id"].as_i64().expect("id"), name));
        }
    }
    assert_eq!(imported.len(), 260);
    let records = crate::support::audit_records(&server, &[("application", "bulk")]).await;
    let actions: Vec<&str> = records
        .iter()
        .map(|r| r["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "secret.create").count(),
        260,
        "{actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a != "secret.create")
            .collect::<Vec<_>>(),
        [&"application.create"],
        "records of the application other than the imports"
    );
    let mut audited: Vec<(i64, String)> = Vec::new();
    for record in records.iter().filter(|r| r["action"] == "secret.create") {
        let what = (
            &record["actor_kind"],
            &record["actor"],
            &record["source"],
            &record["outcome"],
            &record["detail"],
            &record["application_id"],
        );
        let expected = (
            &json!("system"),
            &json!("cli"),
            &json!("cli"),
            &json!("success"),
            &json!("import"),
            &json!(app),
        );
        assert_eq!(what, expected, "{record}");
        let id = record["secret_id"].as_i64().expect("secret_id");
        let name = record["secret_name"]
            .as_str()
            .expect("secret_name")
            .to_owned();
        audited.push((id, name));
    }
    audited.sort();
    assert_eq!(
        audited, imported,
        "one record per imported secret, naming it"
    );

    // The imported values decrypt.
    let id = server.secrets(app).await[7].0;
    let read: Value = server
        .call(
            "read_secret_value",
            &[
                ("application_id", &app.to_string()),
                ("secret_id", &id.to_string()),
                ("purpose", "Reveal"),
            ],
        )
        .await
        .expect("read");
    assert_eq!(read, Value::String("value-7".into()));
}
