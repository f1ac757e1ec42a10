//! Store tests of users, sessions, the setup code and the audit log, on a real temporary
//! SQLite file. Timestamps are moved with SQL to test time limits without waiting.

use super::*;
use shared::model::{AuditAction, Me, Outcome, Role, SecretId, Source, UserSummary};

struct TestStore {
    store: SecretStore,
    _dir: tempfile::TempDir,
}

async fn open_store() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("auth.db").display());
    let store = SecretStore::open(&url, MasterKey::from_bytes(&[9; 32]).expect("key"))
        .await
        .expect("open");
    TestStore { store, _dir: dir }
}

const PASSWORD: &str = "correct horse battery";

fn by() -> Actor {
    Actor::system("test")
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn audit_count(store: &SecretStore) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&store.pool)
        .await
        .expect("count")
}

/// The newest audit record's action and outcome.
async fn last_record(store: &SecretStore) -> (String, String) {
    sqlx::query_as("SELECT action, outcome FROM audit_log ORDER BY id DESC LIMIT 1")
        .fetch_one(&store.pool)
        .await
        .expect("a record")
}

async fn user(store: &SecretStore, name: &str) -> UserSummary {
    let users = store.list_users().await.expect("users");
    users
        .into_iter()
        .find(|u| u.username == name)
        .expect("no such user")
}

fn me(user: &UserSummary) -> Me {
    Me {
        id: user.id,
        username: user.username.clone(),
        role: user.role,
    }
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_phc_strings_that_verify() {
    let hash = crypto::hash_password(PASSWORD).expect("hash");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert_eq!(hash.split('$').count(), 6, "{hash}");
    assert_ne!(
        hash,
        crypto::hash_password(PASSWORD).expect("hash"),
        "no salt"
    );
    assert!(crypto::verify_password(PASSWORD, &hash));
    assert!(!crypto::verify_password("correct horse battery ", &hash));
    assert!(!crypto::verify_password(PASSWORD, "not a PHC string"));
    assert!(!crypto::verify_password(PASSWORD, ""));

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
    assert!(crypto::verify_password(PASSWORD, &stored));
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
async fn sessions_end_after_the_idle_and_the_absolute_limit() {
    let t = open_store().await;
    t.store
        .create_first_owner("root", PASSWORD)
        .await
        .expect("owner");
    let limits = SessionLimits {
        idle_secs: 100,
        lifetime_secs: 1000,
    };
    let alice = t
        .store
        .create_user(&by(), "alice", PASSWORD, Role::Developer)
        .await
        .expect("alice");
    let actor = Actor::user("alice", Source::Panel, Some("192.0.2.1".into()));
    let new = t
        .store
        .create_session(&me(&alice), &actor)
        .await
        .expect("session");
    let token = new.token.as_str();
    assert_eq!(
        last_record(&t.store).await,
        ("sign_in".into(), "success".into())
    );

    let live = t.store.session(token, limits).await.expect("lookup");
    let live = live.expect("a new session is live");
    assert_eq!(live.user, me(&alice));
    assert_eq!(live.csrf_token, new.csrf_token);
    // The table holds the token's SHA-256 (computed here, not by the store's own function),
    // and the session found by the token is that row.
    let want = {
        use sha2::Digest as _;
        sha2::Sha256::digest(token.as_bytes()).to_vec()
    };
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(&t.store.pool)
        .await
        .expect("rows");
    assert_eq!(stored, [want.as_slice()], "not the token's SHA-256");
    assert_eq!(live.token_hash, want);
    assert!((now_secs() - live.password_at.0).abs() <= 2);
    let unknown = t
        .store
        .session("not-a-token", limits)
        .await
        .expect("lookup");
    assert!(unknown.is_none());

    let set = |column: &'static str, ago: i64| {
        let pool = t.store.pool.clone();
        async move {
            sqlx::query(&format!("UPDATE sessions SET {column} = $1"))
                .bind(now_secs() - ago)
                .execute(&pool)
                .await
                .expect("update");
        }
    };
    let store = &t.store;
    let is_live = || async move {
        let found = store.session(token, limits).await.expect("lookup");
        found.is_some()
    };

    // Idle: unused for the idle limit ends it; just under, it lives and is marked as seen.
    set("last_seen_at", 100).await;
    assert!(!is_live().await, "idle for the whole limit");
    set("last_seen_at", 95).await;
    assert!(is_live().await, "idle for less than the limit");
    let seen: i64 = sqlx::query_scalar("SELECT last_seen_at FROM sessions")
        .fetch_one(&t.store.pool)
        .await
        .expect("row");
    assert!(now_secs() - seen <= 2, "the use was not recorded");
    // Absolute: however recently used, no session outlives the lifetime.
    set("created_at", 1000).await;
    assert!(!is_live().await, "older than the lifetime");
    set("created_at", 990).await;
    assert!(is_live().await, "younger than the lifetime");
    // A disabled user's session is dead at once (and deleted).
    t.store
        .set_user_disabled(&by(), alice.id, true)
        .await
        .expect("disable");
    assert!(!is_live().await, "a disabled user's session");
    t.store
        .set_user_disabled(&by(), alice.id, false)
        .await
        .expect("enable");
    assert!(!is_live().await, "enabling revived a session");

    // Clean-up deletes exactly the expired sessions.
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let new = t
            .store
            .create_session(&me(&alice), &actor)
            .await
            .expect("s");
        tokens.push(new.token);
    }
    let hash = |token: &str| crypto::hash_token(token);
    for (token, column, ago) in [
        (&tokens[0], "last_seen_at", 100),
        (&tokens[1], "created_at", 1000),
    ] {
        sqlx::query(&format!(
            "UPDATE sessions SET {column} = $1 WHERE token_hash = $2"
        ))
        .bind(now_secs() - ago)
        .bind(hash(token))
        .execute(&t.store.pool)
        .await
        .expect("update");
    }
    let deleted = t
        .store
        .delete_expired_sessions(limits)
        .await
        .expect("clean");
    assert_eq!(deleted, 1 + 1);
    let left: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(&t.store.pool)
        .await
        .expect("rows");
    assert_eq!(left, [hash(&tokens[2])]);
}

#[tokio::test]
async fn ending_sessions_spares_only_the_one_asked_for() {
    let t = open_store().await;
    let limits = SessionLimits {
        idle_secs: 600,
        lifetime_secs: 6000,
    };
    let alice = t
        .store
        .create_user(&by(), "alice", PASSWORD, Role::Developer)
        .await
        .expect("alice");
    let bob = t
        .store
        .create_user(&by(), "bob", PASSWORD, Role::Developer)
        .await
        .expect("bob");
    let actor = by();
    let mut alices = Vec::new();
    for _ in 0..3 {
        alices.push(
            t.store
                .create_session(&me(&alice), &actor)
                .await
                .expect("s"),
        );
    }
    let bobs = t.store.create_session(&me(&bob), &actor).await.expect("s");
    let live = |token: String| {
        let store = t.store.clone();
        async move { store.session(&token, limits).await.expect("q").is_some() }
    };
    let token = |i: usize| alices[i].token.to_string();

    // Changing one's password keeps the session that did it.
    let keep = t.store.session(&token(0), limits).await.expect("q");
    let keep = keep.expect("alice's first session");
    let policy = Throttle::default();
    let err = t
        .store
        .change_own_password(&actor, &keep, "wrong password", "new password 1", &policy)
        .await;
    assert!(matches!(err, Err(StoreError::WrongPassword)), "{err:?}");
    assert!(live(token(1)).await, "a refused change ended a session");
    t.store
        .change_own_password(&actor, &keep, PASSWORD, "new password 1", &policy)
        .await
        .expect("change");
    assert!(live(token(0)).await);
    assert!(!live(token(1)).await && !live(token(2)).await);
    assert!(
        live(bobs.token.to_string()).await,
        "another user's session ended"
    );
    assert!(
        t.store
            .authenticate("alice", "new password 1")
            .await
            .expect("q")
            .is_some()
    );
    assert!(
        t.store
            .authenticate("alice", PASSWORD)
            .await
            .expect("q")
            .is_none()
    );

    // A reset ends them all; signing out ends one.
    t.store
        .reset_password(&actor, alice.id, "new password 2")
        .await
        .expect("reset");
    assert!(!live(token(0)).await);
    let session = t.store.session(&bobs.token, limits).await.expect("q");
    t.store
        .end_session(&session.expect("bob's"), &actor)
        .await
        .expect("sign out");
    assert!(!live(bobs.token.to_string()).await);
    assert_eq!(
        last_record(&t.store).await,
        ("sign_out".into(), "success".into())
    );
}

/// Makes every audit insert fail, as a full disk or a broken audit table would.
async fn break_the_audit_log(store: &SecretStore) {
    sqlx::query(
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
         BEGIN SELECT RAISE(ABORT, 'audit refused'); END",
    )
    .execute(&store.pool)
    .await
    .expect("trigger");
}

#[tokio::test]
async fn a_change_and_its_audit_record_commit_together_or_not_at_all() {
    let t = open_store().await;
    let s = &t.store;
    let app = s.create_application(&by(), "app").await.expect("app");
    let new_secret = |name: &str, value: &str| NewSecret {
        name: name.into(),
        value: SecretValue::new(value.into()),
        description: String::new(),
    };
    let secret = s
        .create_secret(&by(), app.id, new_secret("KEPT", "kept-value"))
        .await
        .expect("secret");
    let alice = s
        .create_user(&by(), "alice", PASSWORD, Role::Owner)
        .await
        .expect("alice");
    let api_key = s.regenerate_api_key(&by()).await.expect("key");

    // A change that fails leaves no record.
    let records = audit_count(s).await;
    assert!(s.create_application(&by(), "app").await.is_err());
    assert!(s.create_application(&by(), "Bad Name").await.is_err());
    assert!(
        s.create_secret(&by(), app.id, new_secret("KEPT", "other"))
            .await
            .is_err()
    );
    assert!(
        s.create_user(&by(), "ALICE", PASSWORD, Role::Viewer)
            .await
            .is_err()
    );
    assert!(
        s.create_user(&by(), "bob", "short", Role::Viewer)
            .await
            .is_err()
    );
    assert!(s.delete_secret(&by(), app.id, SecretId(999)).await.is_err());
    assert!(
        s.set_user_role(&by(), alice.id, Role::Viewer)
            .await
            .is_err(),
        "last Owner"
    );
    assert!(
        s.revoke_service_account(&by(), "no-such-key")
            .await
            .is_err()
    );
    assert_eq!(audit_count(s).await, records);

    // When the record cannot be written, the change does not happen either.
    break_the_audit_log(s).await;
    let state = |s: &SecretStore| {
        let s = s.clone();
        async move {
            let apps = s.list_applications().await.expect("apps");
            let users = s.list_users().await.expect("users");
            let secrets = s
                .list_secrets(app.id, &SecretFilter::default())
                .await
                .expect("secrets")
                .items;
            let keys = s.list_service_accounts().await.expect("keys");
            let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
                .fetch_one(&s.pool)
                .await
                .expect("sessions");
            let names = |i: &mut dyn Iterator<Item = String>| i.collect::<Vec<_>>().join(",");
            format!(
                "{} | {} | {} | {} | {sessions}",
                names(&mut apps.into_iter().map(|a| a.name)),
                names(
                    &mut users
                        .into_iter()
                        .map(|u| format!("{}:{}:{}", u.username, u.role, u.disabled))
                ),
                names(
                    &mut secrets
                        .into_iter()
                        .map(|m| format!("{}:{}", m.name, m.description))
                ),
                names(&mut keys.into_iter().map(|k| k.key_id)),
            )
        }
    };
    let before = state(s).await;
    let changes = SecretChanges {
        value: Some(SecretValue::new("new-value".into())),
        description: Some("new description".into()),
        ..Default::default()
    };
    assert!(s.create_application(&by(), "other").await.is_err());
    assert!(
        s.rename_application(&by(), app.id, "renamed")
            .await
            .is_err()
    );
    assert!(
        s.create_secret(&by(), app.id, new_secret("NEW", "v"))
            .await
            .is_err()
    );
    assert!(
        s.update_secret(&by(), app.id, secret.id, changes)
            .await
            .is_err()
    );
    assert!(s.delete_secret(&by(), app.id, secret.id).await.is_err());
    assert!(
        s.create_user(&by(), "bob", PASSWORD, Role::Viewer)
            .await
            .is_err()
    );
    assert!(s.set_user_disabled(&by(), alice.id, true).await.is_err());
    assert!(
        s.reset_password(&by(), alice.id, "another password")
            .await
            .is_err()
    );
    assert!(s.create_session(&me(&alice), &by()).await.is_err());
    assert!(s.regenerate_api_key(&by()).await.is_err());
    assert!(
        s.create_service_account(&by(), Role::Viewer, "k")
            .await
            .is_err()
    );
    assert!(s.delete_application(&by(), app.id).await.is_err());
    // A value is never handed out without its read on record.
    let read = s.read_secret_value(&by(), app.id, secret.id, "test").await;
    assert!(read.is_err(), "a value left the store unaudited");
    assert_eq!(state(s).await, before);
    assert!(
        s.authenticate("alice", PASSWORD)
            .await
            .expect("q")
            .is_some()
    );
    assert!(s.api_key_matches(api_key.expose()).await.expect("q"));

    sqlx::query("DROP TRIGGER refuse_audit")
        .execute(&s.pool)
        .await
        .expect("drop trigger");
    assert_eq!(audit_count(s).await, records);
    let value = s.read_secret_value(&by(), app.id, secret.id, "test").await;
    assert_eq!(value.expect("readable again").expose(), "kept-value");
    assert_eq!(audit_count(s).await, records + 1);
    assert_eq!(
        last_record(s).await,
        ("secret.read".into(), "success".into())
    );
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

const ADDRESS_A: &str = "198.51.100.7";
const ADDRESS_B: &str = "203.0.113.9";

async fn throttle_rows(store: &SecretStore) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_throttle")
        .fetch_one(&store.pool)
        .await
        .expect("count")
}

/// What a sign-in answered, in a word: `ok`, or the error's variant.
async fn sign_in_as(store: &SecretStore, name: &str, password: &str, from: &str) -> &'static str {
    let policy = Throttle::default();
    match store.sign_in(name, password, Some(from), &policy).await {
        Ok(_) => "ok",
        Err(StoreError::SignInFailed) => "failed",
        Err(StoreError::Throttled { .. }) => "throttled",
        Err(StoreError::Busy) => "busy",
        Err(StoreError::Invalid { .. }) => "invalid",
        Err(other) => panic!("sign-in of {name:?}: {other:?}"),
    }
}

#[tokio::test]
async fn a_username_no_account_can_have_is_refused_before_anything_is_written() {
    let t = open_store().await;
    let s = &t.store;
    s.create_user(&by(), "alice", PASSWORD, Role::Viewer)
        .await
        .expect("alice");
    let records = audit_count(s).await;
    let policy = Throttle::default();
    let long = "a".repeat(1_900_000);
    for name in [long.as_str(), "not a name", "", "-dash"] {
        let err = s.sign_in(name, PASSWORD, Some(ADDRESS_A), &policy).await;
        let Err(StoreError::Invalid { field, message }) = err else {
            panic!("{:?}: {:?}", name.get(..20), err.map(|_| ()));
        };
        assert_eq!(field, shared::model::Field::Username);
        assert!(message.len() < 200, "{message}");
    }
    // A password longer than any stored one is refused the same way, unchecked.
    let long_password = "p".repeat(10_000);
    let err = s
        .sign_in("alice", &long_password, Some(ADDRESS_A), &policy)
        .await;
    assert!(
        matches!(
            err,
            Err(StoreError::Invalid {
                field: shared::model::Field::Password,
                ..
            })
        ),
        "{:?}",
        err.map(|_| ())
    );
    assert_eq!(
        audit_count(s).await,
        records,
        "a refused sign-in wrote a record"
    );
    assert_eq!(throttle_rows(s).await, 0, "a refused sign-in was counted");
    // A name that merely differs in case and spaces is a valid one.
    assert_eq!(sign_in_as(s, " ALICE ", PASSWORD, ADDRESS_A).await, "ok");
}

#[tokio::test]
async fn parallel_wrong_passwords_get_at_most_the_limit_checked() {
    let t = open_store().await;
    let s = &t.store;
    s.create_user(&by(), "alice", PASSWORD, Role::Viewer)
        .await
        .expect("alice");
    let records = audit_count(s).await;
    // Collected, so that all are running before the first answer is awaited.
    let attempts: Vec<_> = (0..40)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(
                async move { sign_in_as(&s, "alice", "wrong password 1", ADDRESS_A).await },
            )
        })
        .collect();
    let mut answers = std::collections::BTreeMap::new();
    for attempt in attempts {
        *answers.entry(attempt.await.expect("task")).or_insert(0) += 1;
    }
    let policy = Throttle::default();
    assert_eq!(
        answers,
        [
            ("failed", policy.per_account),
            ("throttled", 40 - policy.per_account)
        ]
        .into(),
        "each failure is a real guess"
    );
    // One record per checked guess; the refused ones only moved a counter.
    assert_eq!(audit_count(s).await, records + policy.per_account);
    let counter = throttle::Counter::account("alice", Some(ADDRESS_A), &policy);
    let counts = throttle::counts(s, &counter).await;
    assert_eq!(counts, Some((policy.per_account, 40 - policy.per_account)));
    // The guess that reached the limit says that a lock starts.
    let details: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'sign_in' ORDER BY id")
            .fetch_all(&s.pool)
            .await
            .expect("details");
    let lock = "5 failures: this account is locked for this address for 15 minutes";
    let mut sorted = details.clone();
    sorted.sort();
    assert_eq!(sorted, ["", "", "", "", lock], "{details:?}");
    // Even the right password is refused now, unchecked; once the window has passed, it works.
    assert_eq!(
        sign_in_as(s, "alice", PASSWORD, ADDRESS_A).await,
        "throttled"
    );
    sqlx::query("UPDATE sign_in_throttle SET window_start = window_start - 900")
        .execute(&s.pool)
        .await
        .expect("age the window");
    assert_eq!(sign_in_as(s, "alice", PASSWORD, ADDRESS_A).await, "ok");
    assert_eq!(
        throttle::counts(s, &counter).await,
        None,
        "a success clears it"
    );
}

#[tokio::test]
async fn strangers_failing_elsewhere_do_not_keep_the_owner_out() {
    let t = open_store().await;
    let s = &t.store;
    s.create_user(&by(), "admin", PASSWORD, Role::Owner)
        .await
        .expect("admin");
    // From A: five wrong passwords lock admin there, even with the right one.
    for _ in 0..5 {
        assert_eq!(
            sign_in_as(s, "admin", "wrong password 1", ADDRESS_A).await,
            "failed"
        );
    }
    assert_eq!(
        sign_in_as(s, "admin", PASSWORD, ADDRESS_A).await,
        "throttled"
    );
    // From B the owner signs in; a success from B gives A nothing back.
    assert_eq!(sign_in_as(s, "admin", PASSWORD, ADDRESS_B).await, "ok");
    assert_eq!(
        sign_in_as(s, "admin", PASSWORD, ADDRESS_A).await,
        "throttled"
    );
    // A's own limit over all names: 5 so far, 15 more on other names make 20; then nobody
    // signs in from A, while B is untouched.
    for i in 0..15 {
        let name = format!("guess-{i}");
        assert_eq!(
            sign_in_as(s, &name, "wrong password 2", ADDRESS_A).await,
            "failed"
        );
    }
    assert_eq!(
        sign_in_as(s, "newcomer", PASSWORD, ADDRESS_A).await,
        "throttled"
    );
    assert_eq!(
        sign_in_as(s, "admin", "wrong password 3", ADDRESS_B).await,
        "failed"
    );
    assert_eq!(sign_in_as(s, "admin", PASSWORD, ADDRESS_B).await, "ok");
    // The correct sign-ins from B gave back their reservations: B's address count is the
    // one failure only.
    let policy = Throttle::default();
    let b = throttle::counts(s, &throttle::Counter::address(ADDRESS_B, &policy)).await;
    assert_eq!(b, Some((1, 0)));
}

#[tokio::test]
async fn a_reset_password_ends_every_lock_on_the_account() {
    let t = open_store().await;
    let s = &t.store;
    s.create_first_owner("root", PASSWORD).await.expect("owner");
    let alice = s
        .create_user(&by(), "alice", PASSWORD, Role::Viewer)
        .await
        .expect("alice");
    // `alice.` sorts right after `alice ` and so close to the range of alice's keys.
    s.create_user(&by(), "alice.b", PASSWORD, Role::Viewer)
        .await
        .expect("alice.b");
    for from in [ADDRESS_A, ADDRESS_B] {
        for name in ["alice", "alice.b"] {
            for _ in 0..5 {
                assert_eq!(
                    sign_in_as(s, name, "wrong password 1", from).await,
                    "failed"
                );
            }
            assert_eq!(sign_in_as(s, name, PASSWORD, from).await, "throttled");
        }
    }
    s.reset_password(&by(), alice.id, "reset password 1")
        .await
        .expect("reset");
    for from in [ADDRESS_A, ADDRESS_B] {
        assert_eq!(sign_in_as(s, "alice", "reset password 1", from).await, "ok");
        assert_eq!(
            sign_in_as(s, "alice.b", PASSWORD, from).await,
            "throttled",
            "another account's lock ended"
        );
    }
}

#[tokio::test]
async fn step_up_is_throttled_per_session_not_by_the_account_lock() {
    let t = open_store().await;
    let s = &t.store;
    s.create_user(&by(), "alice", PASSWORD, Role::Owner)
        .await
        .expect("alice");
    let policy = Throttle::default();
    let limits = SessionLimits {
        idle_secs: 600,
        lifetime_secs: 6000,
    };
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let signed_in = s
            .sign_in("alice", PASSWORD, Some(ADDRESS_A), &policy)
            .await
            .expect("sign in");
        let session = s
            .session(&signed_in.session.token, limits)
            .await
            .expect("q");
        sessions.push(session.expect("live"));
    }
    let actor = Actor::user("alice", Source::Panel, Some(ADDRESS_A.into()));
    let step_up = |session: &Session, password: &'static str| {
        let (s, actor, session) = (s.clone(), actor.clone(), session.clone());
        async move {
            match s
                .confirm_password(&session, password, &actor, &policy)
                .await
            {
                Ok(()) => "ok",
                Err(StoreError::WrongPassword) => "wrong",
                Err(StoreError::Throttled { .. }) => "throttled",
                Err(other) => panic!("{other:?}"),
            }
        }
    };
    // Strangers lock alice's account from her own address: her sessions still step up.
    for _ in 0..5 {
        assert_eq!(
            sign_in_as(s, "alice", "wrong password 1", ADDRESS_A).await,
            "failed"
        );
    }
    assert_eq!(
        sign_in_as(s, "alice", PASSWORD, ADDRESS_A).await,
        "throttled"
    );
    assert_eq!(step_up(&sessions[0], PASSWORD).await, "ok");

    // Five wrong step-ups lock that session's password checks (the change too), not the other
    // session's.
    for _ in 0..5 {
        assert_eq!(step_up(&sessions[0], "wrong password 2").await, "wrong");
    }
    assert_eq!(step_up(&sessions[0], PASSWORD).await, "throttled");
    let change = s
        .change_own_password(
            &actor,
            &sessions[0],
            PASSWORD,
            "changed password 1",
            &policy,
        )
        .await;
    assert!(
        matches!(change, Err(StoreError::Throttled { .. })),
        "{change:?}"
    );
    assert_eq!(step_up(&sessions[1], PASSWORD).await, "ok");
    let failures: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'password.confirm' AND outcome = 'failure'",
    )
    .fetch_one(&s.pool)
    .await
    .expect("count");
    assert_eq!(failures, 5, "one record per checked step-up");
}

#[tokio::test]
async fn with_every_core_busy_a_sign_in_waits_then_is_busy_and_not_counted() {
    let t = open_store().await;
    let s = t
        .store
        .clone()
        .with_password_queue(1, std::time::Duration::from_millis(200));
    s.create_user(&by(), "alice", PASSWORD, Role::Viewer)
        .await
        .expect("alice");
    let records = audit_count(&s).await;
    let held = s.passwords.hold_all().await;
    assert_eq!(sign_in_as(&s, "alice", PASSWORD, ADDRESS_A).await, "busy");
    let policy = Throttle::default();
    // Nothing was checked: the attempt was given back and nothing was recorded.
    for counter in [
        throttle::Counter::account("alice", Some(ADDRESS_A), &policy),
        throttle::Counter::address(ADDRESS_A, &policy),
    ] {
        assert_eq!(
            throttle::counts(&s, &counter).await,
            Some((0, 0)),
            "{counter:?}"
        );
    }
    assert_eq!(audit_count(&s).await, records);
    // Other password work waits in the same queue.
    let err = s.create_user(&by(), "bob", PASSWORD, Role::Viewer).await;
    assert!(matches!(err, Err(StoreError::Busy)), "{err:?}");
    drop(held);
    assert_eq!(sign_in_as(&s, "alice", PASSWORD, ADDRESS_A).await, "ok");
}

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

#[tokio::test]
async fn audit_fields_keep_at_most_their_cap_of_caller_text() {
    let t = open_store().await;
    let s = &t.store;
    // Two-byte characters, so a cut at a fixed byte would split one.
    let huge = "é".repeat(500_000);
    let actor = Actor::user(&huge, Source::Panel, Some(huge.clone()));
    let event = Event {
        action: AuditAction::Denied,
        outcome: Outcome::Denied,
        target: Target::secret(shared::model::ApplicationId(1), &huge, SecretId(1), &huge),
        detail: huge.clone(),
    };
    s.record_event(&actor, &event).await.expect("record");
    let other = Event {
        target: Target::other(huge.clone()),
        ..event.clone()
    };
    s.record_event(&actor, &other).await.expect("record");
    type Stored = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );
    let rows: Vec<Stored> = sqlx::query_as(
        "SELECT actor, client_ip, application_name, secret_name, target, detail \
         FROM audit_log ORDER BY id",
    )
    .fetch_all(&s.pool)
    .await
    .expect("rows");
    let check = |text: &str, cap: usize| {
        assert!(text.len() <= cap, "{} bytes, cap {cap}", text.len());
        assert!(text.len() > cap - 16, "cut too short: {} bytes", text.len());
        assert!(text.ends_with(audit::CUT_MARKER), "no marker");
        let kept = text.trim_end_matches(audit::CUT_MARKER);
        assert!(kept.chars().all(|c| c == 'é'), "{kept}");
    };
    let [first, second] = rows.as_slice() else {
        panic!("{} rows", rows.len());
    };
    for (actor, ip, _, _, _, detail) in &rows {
        check(actor, audit::NAME_CAP);
        check(ip, audit::ADDRESS_CAP);
        check(detail, audit::DETAIL_CAP);
    }
    for name in [&first.2, &first.3, &second.4] {
        check(name.as_deref().expect("a name"), audit::NAME_CAP);
    }
    // Text within the cap is kept whole.
    assert_eq!(audit::capped("short", audit::NAME_CAP), "short");
    let exact = "x".repeat(audit::NAME_CAP);
    assert_eq!(audit::capped(&exact, audit::NAME_CAP), exact.as_str());
}

/// A refund gives back to the window its attempt was reserved in, not to a later window that
/// took over the row (else every refund after a roll-over would be a free guess).
#[tokio::test]
async fn a_refund_after_the_window_rolled_over_leaves_the_new_window_alone() {
    let t = open_store().await;
    let s = &t.store;
    let policy = throttle::Throttle::default();
    let counter = throttle::Counter::address("192.0.2.50", &policy);
    let attempt = s
        .reserve_attempt(vec![counter.clone()], &policy)
        .await
        .expect("reserved");
    // The window rolls over and a new one starts (later) with three failures of its own.
    sqlx::query("UPDATE sign_in_throttle SET window_start = $1, failures = 3 WHERE key = $2")
        .bind(now_secs() + 60)
        .bind("192.0.2.50")
        .execute(&s.pool)
        .await
        .expect("roll the window");
    attempt.refund(s).await;
    assert_eq!(throttle::counts(s, &counter).await, Some((3, 0)));
}

#[tokio::test]
async fn a_refused_request_leaves_one_denied_record_naming_what_was_tried() {
    let t = open_store().await;
    let s = &t.store;
    let actor = Actor::user("vera", Source::Api, Some("192.0.2.7".into()));
    s.record_denied(&actor, "DelApplication", "role Viewer".into())
        .await
        .expect("record");
    type Stored = (String, String, String, String, Option<String>, String);
    let rows: Vec<Stored> = sqlx::query_as(
        "SELECT actor, source, action, outcome, target, detail FROM audit_log ORDER BY id",
    )
    .fetch_all(&s.pool)
    .await
    .expect("rows");
    assert_eq!(
        rows,
        [(
            "vera".to_owned(),
            "api".to_owned(),
            "denied".to_owned(),
            "denied".to_owned(),
            Some("DelApplication".to_owned()),
            "role Viewer".to_owned(),
        )]
    );
}
