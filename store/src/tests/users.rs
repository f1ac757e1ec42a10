//! Users: argon2id hashes, sign-in by name, the last Owner kept, the setup code.

use super::*;

#[tokio::test]
async fn passwords_are_stored_as_argon2id_phc_strings_that_verify() {
    let hash = crate::crypto::hash_password(PASSWORD).expect("hash");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert_eq!(hash.split('$').count(), 6, "{hash}");
    assert_ne!(
        hash,
        crate::crypto::hash_password(PASSWORD).expect("hash"),
        "no salt"
    );
    assert!(crate::crypto::verify_password(PASSWORD, &hash));
    assert!(!crate::crypto::verify_password(
        "correct horse battery ",
        &hash
    ));
    assert!(!crate::crypto::verify_password(
        PASSWORD,
        "not a PHC string"
    ));
    assert!(!crate::crypto::verify_password(PASSWORD, ""));

    // What a user's row holds is such a hash, never the password.
    let t = open_store().await;
    t.store
        .create_user(&by(), "alice", PASSWORD, Role::Viewer)
        .await
        .expect("create");
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE username = $1")
        .bind("alice")
        .fetch_one(&t.store.pool)
        .await
        .expect("row");
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains(PASSWORD));
    assert!(crate::crypto::verify_password(PASSWORD, &stored));
}

#[tokio::test]
async fn authentication_ignores_the_username_case_and_refuses_disabled_users() {
    let t = open_store().await;
    // Changes to users need an enabled Owner to remain.
    t.store
        .create_first_owner("root", PASSWORD)
        .await
        .expect("owner");
    let created = t
        .store
        .create_user(&by(), "Alice", PASSWORD, Role::Developer)
        .await
        .expect("create");
    assert_eq!(
        created.username, "alice",
        "usernames are stored in lower case"
    );
    for name in ["alice", "ALICE", "aLiCe", " alice "] {
        let found = t.store.authenticate(name, PASSWORD).await.expect("query");
        assert_eq!(found, Some(me(&created)), "{name:?}");
    }
    for (name, password) in [("alice", "wrong password"), ("bob", PASSWORD), ("", "")] {
        let found = t.store.authenticate(name, password).await.expect("query");
        assert_eq!(found, None, "{name:?} / {password:?}");
    }
    let err = t
        .store
        .create_user(&by(), "ALICE", PASSWORD, Role::Viewer)
        .await
        .expect_err("a second alice");
    assert!(matches!(err, StoreError::DuplicateUser(_)), "{err:?}");

    t.store
        .set_user_disabled(&by(), created.id, true)
        .await
        .expect("disable");
    assert_eq!(
        t.store.authenticate("alice", PASSWORD).await.expect("q"),
        None
    );
    assert!(
        !t.store
            .password_matches(created.id, PASSWORD)
            .await
            .expect("q")
    );
    t.store
        .set_user_disabled(&by(), created.id, false)
        .await
        .expect("enable");
    assert!(
        t.store
            .authenticate("alice", PASSWORD)
            .await
            .expect("q")
            .is_some()
    );
    assert!(
        t.store
            .password_matches(created.id, PASSWORD)
            .await
            .expect("q")
    );
}

#[tokio::test]
async fn the_last_enabled_owner_can_be_neither_demoted_nor_disabled() {
    let t = open_store().await;
    assert!(
        t.store
            .create_first_owner("root", PASSWORD)
            .await
            .expect("first")
    );
    assert!(
        !t.store
            .create_first_owner("other", PASSWORD)
            .await
            .expect("again"),
        "a second first Owner"
    );
    let root = user(&t.store, "root").await;
    assert_eq!(root.role, Role::Owner);

    // Alone: every demotion and the disabling are refused, and change nothing.
    let records = audit_count(&t.store).await;
    for role in [Role::Admin, Role::Developer, Role::Viewer] {
        let err = t.store.set_user_role(&by(), root.id, role).await;
        assert!(matches!(err, Err(StoreError::LastOwner)), "{role}: {err:?}");
    }
    let err = t.store.set_user_disabled(&by(), root.id, true).await;
    assert!(matches!(err, Err(StoreError::LastOwner)), "{err:?}");
    assert_eq!(user(&t.store, "root").await, root);
    assert_eq!(
        audit_count(&t.store).await,
        records,
        "a refused change was recorded"
    );

    // With a second Owner, one may go; a disabled Owner does not count as the other.
    let backup = t
        .store
        .create_user(&by(), "backup", PASSWORD, Role::Owner)
        .await
        .expect("backup");
    t.store
        .set_user_disabled(&by(), root.id, true)
        .await
        .expect("root may be disabled now");
    let err = t.store.set_user_role(&by(), backup.id, Role::Admin).await;
    assert!(matches!(err, Err(StoreError::LastOwner)), "{err:?}");
    let err = t.store.set_user_disabled(&by(), backup.id, true).await;
    assert!(matches!(err, Err(StoreError::LastOwner)), "{err:?}");
    assert_eq!(user(&t.store, "backup").await.role, Role::Owner);
    t.store
        .set_user_disabled(&by(), root.id, false)
        .await
        .expect("enable root");
    let demoted = t
        .store
        .set_user_role(&by(), backup.id, Role::Admin)
        .await
        .expect("demote backup");
    assert_eq!(demoted.role, Role::Admin);
}

#[tokio::test]
async fn the_setup_code_creates_the_first_owner_once() {
    let t = open_store().await;
    let s = &t.store;
    let policy = Throttle::default();
    let first = s.issue_setup_code().await.expect("issue").expect("a code");
    let code = s
        .issue_setup_code()
        .await
        .expect("issue")
        .expect("a new code");
    assert_ne!(first.expose(), code.expose());
    let shape: Vec<usize> = code.expose().split('-').map(str::len).collect();
    assert_eq!(shape, [5, 5, 5, 5], "{:?}", code.expose());

    // The replaced code and a made-up one fail, are recorded, and create no one.
    for wrong in [first.expose(), "AAAAA-BBBBB-CCCCC-DDDDD"] {
        let err = s
            .complete_setup(wrong, "root", PASSWORD, None, &policy)
            .await;
        assert!(matches!(err, Err(StoreError::WrongSetupCode)), "{err:?}");
        assert_eq!(last_record(s).await, ("setup".into(), "failure".into()));
    }
    assert_eq!(s.user_count().await.expect("count"), 0);

    // Case and dashes do not matter.
    let typed = code.expose().replace('-', " ").to_lowercase();
    let me = s
        .complete_setup(&typed, "Root", PASSWORD, Some("192.0.2.1".into()), &policy)
        .await
        .expect("setup");
    assert_eq!((me.username.as_str(), me.role), ("root", Role::Owner));
    assert_eq!(last_record(s).await, ("setup".into(), "success".into()));
    let err = s
        .complete_setup(code.expose(), "second", PASSWORD, None, &policy)
        .await;
    assert!(matches!(err, Err(StoreError::AlreadySetUp)), "{err:?}");
    assert!(s.issue_setup_code().await.expect("issue").is_none());
    assert_eq!(s.list_users().await.expect("users").len(), 1);
    assert_eq!(user(s, "root").await.id, me.id);
}

// ---------------------------------------------------------------------------------------------
// The sign-in policy: bounded input, counters reserved before the check, locks per account and
// address, per-session step-up, the argon2 queue, capped audit fields
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn setup_once_done_is_refused_without_hashing_anything() {
    let t = open_store().await;
    let s = t
        .store
        .clone()
        .with_password_queue(1, std::time::Duration::from_millis(200));
    let policy = Throttle::default();
    let code = s.issue_setup_code().await.expect("issue").expect("code");
    s.complete_setup(code.expose(), "root", PASSWORD, None, &policy)
        .await
        .expect("setup");
    let (records, counters) = (audit_count(&s).await, throttle_rows(&s).await);
    // With the argon2 queue full, a hash would come back Busy: the refusal needs none.
    let _held = s.passwords.hold_all().await;
    for _ in 0..3 {
        let err = s
            .complete_setup(
                code.expose(),
                "late",
                PASSWORD,
                Some(ADDRESS_A.into()),
                &policy,
            )
            .await;
        assert!(matches!(err, Err(StoreError::AlreadySetUp)), "{err:?}");
    }
    assert_eq!(audit_count(&s).await, records);
    assert_eq!(throttle_rows(&s).await, counters);
}

#[tokio::test]
async fn a_wrong_setup_code_is_refused_before_hashing_and_counts_against_the_address() {
    let t = open_store().await;
    let s = t
        .store
        .clone()
        .with_password_queue(1, std::time::Duration::from_millis(200));
    let policy = Throttle::default();
    s.issue_setup_code().await.expect("issue").expect("code");
    let held = s.passwords.hold_all().await;
    for _ in 0..policy.per_ip {
        let err = s
            .complete_setup(
                "AAAAA-BBBBB-CCCCC-DDDDD",
                "root",
                PASSWORD,
                Some(ADDRESS_A.into()),
                &policy,
            )
            .await;
        assert!(matches!(err, Err(StoreError::WrongSetupCode)), "{err:?}");
    }
    let err = s
        .complete_setup(
            "AAAAA-BBBBB-CCCCC-DDDDD",
            "root",
            PASSWORD,
            Some(ADDRESS_A.into()),
            &policy,
        )
        .await;
    assert!(matches!(err, Err(StoreError::Throttled { .. })), "{err:?}");
    drop(held);
    assert_eq!(s.user_count().await.expect("count"), 0);
}
