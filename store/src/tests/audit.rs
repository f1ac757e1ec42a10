//! The audit log: a change and its record commit together, caps on caller text, the denied record, the queries' indexes.

use super::*;

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
    let read = s
        .read_secret(
            &by(),
            app.id.into(),
            SecretRef::Id(secret.id),
            ReadPurpose::Reveal,
        )
        .await
        .map(|read| read.value);
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
    let value = s
        .read_secret(
            &by(),
            app.id.into(),
            SecretRef::Id(secret.id),
            ReadPurpose::Reveal,
        )
        .await
        .map(|read| read.value);
    assert_eq!(value.expect("readable again").expose(), "kept-value");
    assert_eq!(audit_count(s).await, records + 1);
    assert_eq!(
        last_record(s).await,
        ("secret.read".into(), "success".into())
    );
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
        assert!(text.ends_with(crate::audit::CUT_MARKER), "no marker");
        let kept = text.trim_end_matches(crate::audit::CUT_MARKER);
        assert!(kept.chars().all(|c| c == 'é'), "{kept}");
    };
    let [first, second] = rows.as_slice() else {
        panic!("{} rows", rows.len());
    };
    for (actor, ip, _, _, _, detail) in &rows {
        check(actor, crate::audit::NAME_CAP);
        check(ip, crate::audit::ADDRESS_CAP);
        check(detail, crate::audit::DETAIL_CAP);
    }
    for name in [&first.2, &first.3, &second.4] {
        check(name.as_deref().expect("a name"), crate::audit::NAME_CAP);
    }
    // Text within the cap is kept whole.
    assert_eq!(
        crate::audit::capped("short", crate::audit::NAME_CAP),
        "short"
    );
    let exact = "x".repeat(crate::audit::NAME_CAP);
    assert_eq!(
        crate::audit::capped(&exact, crate::audit::NAME_CAP),
        exact.as_str()
    );
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

/// The Audit page's action filter is served by a partial index that leaves value reads out
/// (migration 0007). A partial index is used only while the query's WHERE implies the
/// index's, which an innocent edit can break: then each such page would scan the whole log.
#[tokio::test]
async fn the_audit_queries_use_their_indexes() {
    let t = open_store().await;
    let plan = |sql: String| {
        let pool = t.store.pool.clone();
        async move {
            let rows: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            rows.into_iter()
                .map(|(_, _, _, detail)| detail)
                .collect::<Vec<_>>()
                .join("; ")
        }
    };
    let filtered = |action: &str| shared::model::AuditQuery {
        action: AuditAction::parse(action),
        ..Default::default()
    };
    let page = |action: &str| {
        t.store
            .audit_page_query(&filtered(action), 50)
            .sql()
            .to_owned()
    };
    let plan_of_deletes = plan(page("secret.delete")).await;
    assert!(
        plan_of_deletes.contains("audit_log_by_action"),
        "{plan_of_deletes}"
    );
    let plan_of_reads = plan(page("secret.read")).await;
    assert!(
        !plan_of_reads.contains("audit_log_by_action"),
        "{plan_of_reads}"
    );
    let last_read = plan(format!(
        "SELECT {} FROM secrets s WHERE s.id = 1",
        crate::secrets::SECRET_COLUMNS
    ))
    .await;
    assert!(last_read.contains("audit_log_by_secret"), "{last_read}");
}
