//! Integration tests against a real `strongroom` process and a real SQLite file: encryption at
//! rest, durability across restarts and crashes, and refusal of a wrong master key.

use crate::support::{Server, all_file_bytes, contains, open_store_files};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use shared::model::{ApplicationId, SecretId};
use store::{ReadPurpose, SecretRef};

#[tokio::test]
async fn stored_values_never_appear_in_plaintext_in_the_database_files() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data).await;
    let app = server.create_application("plaintext-check").await;
    let first = "canary-first-Жёлудь-😀-7f3a9c";
    let second = "canary-second-line1\ncanary-second-line2-b81e";
    let id = server
        .create_secret(app, "FIRST", first, "marker-description-one")
        .await;
    server
        .create_secret(app, "SECOND", second, "marker-description-two")
        .await;
    server
        .call(
            "update_secret",
            &[
                ("application_id", &app.to_string()),
                ("secret_id", &id.to_string()),
                ("name", "FIRST"),
                ("value", "canary-replaced-91d2"),
                ("description", "marker-description-one"),
            ],
        )
        .await
        .expect("update_secret");

    // While running, recent writes sit in the -wal file; after a stop, in the main file.
    for phase in ["running", "stopped"] {
        if phase == "stopped" {
            assert!(server.stop().success());
        }
        let files = all_file_bytes(&data);
        assert!(
            files.iter().any(|(p, _)| p.ends_with("strongroom.db")),
            "{phase}: no database file"
        );
        if phase == "running" {
            assert!(
                files
                    .iter()
                    .any(|(p, _)| p.to_string_lossy().ends_with("-wal")),
                "no WAL file"
            );
        }
        // The descriptions are stored in plaintext: finding them proves we read the right bytes.
        assert!(
            files
                .iter()
                .any(|(_, b)| contains(b, b"marker-description-two")),
            "{phase}: the files do not hold the data at all"
        );
        for (path, bytes) in &files {
            for canary in [
                first,
                "canary-second-line2-b81e",
                "canary-replaced-91d2",
                "canary-",
            ] {
                assert!(
                    !contains(bytes, canary.as_bytes()),
                    "{phase}: {} contains the plaintext {canary:?}",
                    path.display()
                );
            }
        }
    }
    assert!(
        !server.logs().contains("canary-"),
        "a value reached the server log"
    );
}

#[tokio::test]
async fn data_survives_a_restart_and_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data).await;
    let app = server.create_application("durable").await;
    let kept = server
        .create_secret(app, "KEPT", "value-before-restart", "")
        .await;
    assert!(
        server.stop().success(),
        "graceful stop failed:\n{}",
        server.logs()
    );

    let mut server = Server::start(&data).await;
    assert_eq!(server.secret_names(app).await, ["KEPT"]);
    let after_crash = server
        .create_secret(app, "AFTER", "value-before-crash", "")
        .await;
    server.crash();

    let mut server = Server::start(&data).await;
    assert_eq!(server.secret_names(app).await, ["KEPT", "AFTER"]);
    assert!(server.stop().success());

    // The values decrypt with the key file the server generated: nothing was lost or garbled.
    let store = open_store_files(&data).await;
    let app = ApplicationId(app);
    let by = store::Actor::system("test");
    let read = |id| {
        let read = store.read_secret(
            &by,
            app.into(),
            SecretRef::Id(SecretId(id)),
            ReadPurpose::Reveal,
        );
        async move { read.await.map(|read| read.value) }
    };
    assert_eq!(read(kept).await.unwrap().expose(), "value-before-restart");
    assert_eq!(
        read(after_crash).await.unwrap().expose(),
        "value-before-crash"
    );
}

#[tokio::test]
async fn a_different_master_key_is_refused_at_start_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data).await;
    let app = server.create_application("keyed").await;
    server.create_secret(app, "S", "v", "").await;
    assert!(server.stop().success());
    let key_before = std::fs::read(data.join("master.key")).unwrap();
    let db_before = std::fs::read(data.join("strongroom.db")).unwrap();

    let wrong = STANDARD.encode([42u8; 32]);
    let log = tmp.path().join("wrong.log");
    let status = crate::support::spawn(
        &data,
        crate::support::free_port(),
        &[("STRONGROOM_MASTER_KEY", &wrong)],
        &log,
    )
    .wait()
    .unwrap();
    let output = std::fs::read_to_string(&log).unwrap();
    assert!(!status.success(), "started with the wrong key:\n{output}");
    assert!(
        output.contains("master key does not match this database"),
        "{output}"
    );
    assert!(!output.contains(&wrong), "the key reached the log");
    assert_eq!(std::fs::read(data.join("master.key")).unwrap(), key_before);
    assert_eq!(
        std::fs::read(data.join("strongroom.db")).unwrap(),
        db_before,
        "the refused start changed the database"
    );

    // The right key still works and the data is intact.
    let mut server = Server::start(&data).await;
    assert_eq!(server.secret_names(app).await, ["S"]);
    server.stop();
}

#[tokio::test]
async fn a_missing_key_file_for_an_existing_database_is_explained_not_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data).await;
    server.create_application("orphan").await;
    assert!(server.stop().success());
    std::fs::rename(data.join("master.key"), tmp.path().join("saved.key")).unwrap();

    let log = tmp.path().join("missing.log");
    let status = crate::support::spawn(&data, crate::support::free_port(), &[], &log)
        .wait()
        .unwrap();
    let output = std::fs::read_to_string(&log).unwrap();
    assert!(!status.success());
    assert!(
        output.contains("master key file") && output.contains("is missing"),
        "{output}"
    );
    assert!(
        !data.join("master.key").exists(),
        "a useless new key file was left behind"
    );
}

#[tokio::test]
async fn a_new_data_directory_and_its_key_file_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data).await;
    server.stop();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data.join("master.key")), 0o600);
    assert_eq!(mode(&data), 0o700);
}

/// The permission bits of `path`, in octal.
fn mode(path: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .expect("file metadata")
        .permissions()
        .mode()
        & 0o777;
    format!("{mode:04o}")
}

/// `path` with `suffix` appended to its file name (`-wal`, `-shm`).
fn sibling(path: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// While `server` runs with a recent write, the database and both its companions exist and are
/// private.
async fn assert_database_files_private(server: &Server, database: &std::path::Path) {
    server.create_application("mode-check").await;
    for path in [
        database.to_owned(),
        sibling(database, "-wal"),
        sibling(database, "-shm"),
    ] {
        assert!(path.is_file(), "{} is missing", path.display());
        assert_eq!(mode(&path), "0600", "{}", path.display());
    }
}

#[tokio::test]
async fn the_database_and_its_wal_and_shm_are_private() {
    let tmp = tempfile::tempdir().unwrap();
    // In the data directory (itself 0700)...
    let data = tmp.path().join("data");
    let server = Server::start(&data).await;
    assert_database_files_private(&server, &data.join("strongroom.db")).await;
    drop(server);

    // ...and wherever --database-url points, in a directory anyone may read.
    let elsewhere = tmp.path().join("shared");
    std::fs::create_dir(&elsewhere).unwrap();
    let database = elsewhere.join("vault.db");
    let url = format!("sqlite://{}", database.display());
    let server = Server::start_with(
        &tmp.path().join("data-2"),
        &[("STRONGROOM_DATABASE_URL", url.as_str())],
    )
    .await;
    assert_database_files_private(&server, &database).await;
}

#[tokio::test]
async fn database_files_readable_by_others_are_tightened_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let database = data.join("strongroom.db");
    let mut server = Server::start(&data).await;
    server.create_application("before-crash").await;
    // A crash leaves the -wal and -shm behind, holding the latest writes.
    server.crash();
    let files = [
        database.clone(),
        sibling(&database, "-wal"),
        sibling(&database, "-shm"),
    ];
    for path in &files {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    let server = Server::start(&data).await;
    for path in &files {
        assert_eq!(mode(path), "0600", "{}", path.display());
    }
    assert!(
        server.logs().contains("readable by others (mode 0644)"),
        "{}",
        server.logs()
    );
    // The data written before the crash is all there.
    assert!(
        server
            .applications()
            .await
            .iter()
            .any(|(_, name)| name == "before-crash")
    );
}
