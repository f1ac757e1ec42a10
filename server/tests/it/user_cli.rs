//! `strongroom user`: the way back in when no Owner can sign in.

use crate::support::{OWNER, OWNER_PASSWORD, Server};

/// Runs `strongroom user ARGS --data-dir DIR` with `stdin` as standard input.
fn user_cli(data_dir: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut all = vec!["user"];
    all.extend_from_slice(args);
    crate::support::run_cli(data_dir, &all, stdin)
}

#[tokio::test]
async fn reset_password_and_create_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data).await;
    let old_session = server.session.clone().expect("signed in");

    // Works against a running server's database; the Owner's sessions end at once.
    let (ok, _, err) = user_cli(
        &data,
        &["reset-password", "OWNER"],
        "brand-new-password-1\n",
    );
    assert!(ok, "{err}");
    let (status, body) = server
        .call_as(Some(&old_session), "list_applications", &[])
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(server.sign_in(OWNER, OWNER_PASSWORD).await.is_err());
    server.session = Some(
        server
            .sign_in(OWNER, "brand-new-password-1")
            .await
            .expect("the new password works"),
    );

    let (ok, _, err) = user_cli(&data, &["create", "dev", "--role", "Developer"], "");
    assert!(!ok);
    assert!(err.contains("no password on standard input"), "{err}");
    let (ok, _, err) = user_cli(&data, &["create", "dev", "--role", "Developer"], "short\n");
    assert!(!ok);
    assert!(err.contains("at least 12 characters"), "{err}");
    let (ok, _, err) = user_cli(
        &data,
        &["create", "dev", "--role", "Developer"],
        "developer-password\n",
    );
    assert!(ok, "{err}");
    assert!(server.sign_in("dev", "developer-password").await.is_ok());

    let (ok, out, err) = user_cli(&data, &["list"], "");
    assert!(ok, "{err}");
    assert!(out.contains("dev") && out.contains("Developer"), "{out}");
    assert!(out.contains(OWNER) && out.contains("Owner"), "{out}");

    let (ok, _, err) = user_cli(&data, &["reset-password", "nobody"], "whatever-password\n");
    assert!(!ok);
    assert!(err.contains("does not exist"), "{err}");

    // The audit log names the command line as the actor.
    let (status, page) = server.call_raw("audit_log", &[("actor", "cli")]).await;
    assert_eq!(status, 200, "{page}");
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user.create", "user.password_reset"]);
    assert!(server.stop().success());
    let logs = server.logs();
    assert!(!logs.contains("brand-new-password-1") && !logs.contains("developer-password"));
}
