//! Sign-in throttling: per account and address, per address, per session for step-up; the argon2 gate.

use super::*;

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
    let counter = crate::throttle::Counter::account("alice", Some(ADDRESS_A), &policy);
    let counts = crate::throttle::counts(s, &counter).await;
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
        crate::throttle::counts(s, &counter).await,
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
    let b =
        crate::throttle::counts(s, &crate::throttle::Counter::address(ADDRESS_B, &policy)).await;
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
        crate::throttle::Counter::account("alice", Some(ADDRESS_A), &policy),
        crate::throttle::Counter::address(ADDRESS_A, &policy),
    ] {
        assert_eq!(
            crate::throttle::counts(&s, &counter).await,
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

/// A refund gives back to the window its attempt was reserved in, not to a later window that
/// took over the row (else every refund after a roll-over would be a free guess).
#[tokio::test]
async fn a_refund_after_the_window_rolled_over_leaves_the_new_window_alone() {
    let t = open_store().await;
    let s = &t.store;
    let policy = crate::throttle::Throttle::default();
    let counter = crate::throttle::Counter::address("192.0.2.50", &policy);
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
    assert_eq!(crate::throttle::counts(s, &counter).await, Some((3, 0)));
}
