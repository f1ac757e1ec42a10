//! A database written by an earlier release still opens and reads. The fixture in
//! `fixtures/release-2026-12-01/` was made by the release build of 2026-12-01 (migrations
//! 0001-0010, then kept in `migrations/`), through its Management API and command line: two
//! applications, three secrets, an Owner and a service-account key. sqlx knows applied
//! migrations by version and checksum, not by path, so moving the files must not matter; a
//! changed migration would fail here with a checksum mismatch, and a migration added later is
//! applied to this file here first.

use base64::Engine as _;
use shared::model::SecretId;
use std::path::Path;
use store::{
    Actor, ApplicationRef, Database, MasterKey, ReadPurpose, SecretFilter, SecretRef, SecretStore,
    Throttle,
};

const FIXTURE: &str = "tests/fixtures/release-2026-12-01";

/// A copy of the fixture, opened: opening migrates the file, and the committed one must stay
/// as the release wrote it.
async fn open_copy(dir: &Path) -> SecretStore {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let db = dir.join("strongroom.db");
    std::fs::copy(fixture.join("strongroom.db"), &db).expect("copy the fixture");
    let key = std::fs::read_to_string(fixture.join("master.key")).expect("fixture key");
    let key = base64::engine::general_purpose::STANDARD
        .decode(key.trim())
        .expect("base64 key");
    let master = MasterKey::from_bytes(&key).expect("32-byte key");
    SecretStore::open_database(&Database::file(db), master)
        .await
        .expect("the earlier release's database opens with its key")
}

#[tokio::test]
async fn a_database_from_the_release_of_2026_12_01_opens_and_reads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open_copy(dir.path()).await;

    let mut names: Vec<String> = store
        .list_applications()
        .await
        .expect("applications")
        .into_iter()
        .map(|a| a.name)
        .collect();
    names.sort();
    assert_eq!(names, ["billing", "calls"]);

    let calls = store
        .find_application(ApplicationRef::Name("calls"))
        .await
        .expect("calls exists");
    let secrets = store
        .list_secrets(calls, &SecretFilter::default())
        .await
        .expect("secrets");
    let by_name = |name: &str| -> (SecretId, String) {
        let s = secrets
            .items
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} is listed"));
        (s.id, s.description.clone())
    };
    let (sip, description) = by_name("sip_password");
    assert_eq!(description, "the SIP trunk, renewed");
    let reader = Actor::system("test");
    let value = store
        .read_secret(
            &reader,
            calls.into(),
            SecretRef::Id(sip),
            ReadPurpose::Reveal,
        )
        .await
        .map(|read| read.value)
        .expect("the value opens with the release's sealing");
    assert_eq!(value.expose(), "s3cr3t-Ünïcode-🔑");
    let (multi, _) = by_name("multi_line");
    let value = store
        .read_secret(
            &reader,
            calls.into(),
            SecretRef::Id(multi),
            ReadPurpose::Reveal,
        )
        .await
        .map(|read| read.value)
        .expect("value");
    assert_eq!(value.expose(), "line one\nline two\n");

    // The trigram name index, built by the release, still finds names after the migration.
    let found = store
        .list_secrets(
            calls,
            &SecretFilter {
                name_part: Some("passw".into()),
                ..SecretFilter::default()
            },
        )
        .await
        .expect("search");
    assert_eq!(found.total, 1);
    assert_eq!(found.items[0].name, "sip_password");

    let billing = store
        .find_application(ApplicationRef::Name("billing.default.strongroom"))
        .await
        .expect("billing exists, found by its full name");
    let imported = store
        .read_secret(
            &reader,
            billing.into(),
            SecretRef::Name("stripe_key"),
            ReadPurpose::Reveal,
        )
        .await
        .expect("stripe_key exists, read by name")
        .value;
    assert_eq!(imported.expose(), "sk_test_fixture");

    let keys = store.list_service_accounts().await.expect("keys");
    assert_eq!(keys.len(), 1, "the release's service-account key is kept");

    let signed_in = store
        .sign_in("owner", "fixture-password-1", None, &Throttle::default())
        .await
        .expect("the release's Owner signs in with its password");
    assert_eq!(signed_in.user.role, shared::model::Role::Owner);
    store.close().await;
}

#[tokio::test]
async fn the_release_database_refuses_another_master_key_and_stays_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    let db = dir.path().join("strongroom.db");
    std::fs::copy(fixture.join("strongroom.db"), &db).expect("copy");
    let before = std::fs::read(&db).expect("read");
    let wrong = MasterKey::from_bytes(&[0x55; 32]).expect("key");
    let err = SecretStore::open_database(&Database::file(&db), wrong)
        .await
        .expect_err("another key is refused");
    assert!(matches!(err, store::OpenError::WrongMasterKey), "{err}");
    assert_eq!(
        std::fs::read(&db).expect("read"),
        before,
        "nothing migrated"
    );
}
