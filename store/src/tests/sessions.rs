//! Sessions: idle and absolute expiry, ending the others. Timestamps are moved with SQL to test time limits without waiting.

use super::*;

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
    let hash = |token: &str| crate::crypto::hash_token(token);
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
