//! The value read path: every read audited before it returns (group commit), a failed record means no value, the read cache never returns a stale value.

use super::*;

/// How many read records `actor` has, counted on a pool connection of its own (not the audit
/// writer's), as another reader of the database would see them.
async fn read_records_of(store: &SecretStore, actor: &str) -> i64 {
    let mut conn = store.pool.acquire().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'secret.read' AND actor = $1")
        .bind(actor)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn concurrent_reads_are_each_audited_before_they_return() {
    let t = open_store().await;
    let app = t.store.create_application(&by(), "app").await.unwrap();
    let meta = t
        .store
        .create_secret(&by(), app.id, secret("shared", "the value"))
        .await
        .unwrap();
    // Every task reads under a name of its own, so the one record under that name is that
    // read's, and the task can require exactly one.
    let reads: Vec<_> = (0..64)
        .map(|i| {
            let store = t.store.clone();
            tokio::spawn(async move {
                let reader =
                    Actor::user(&format!("reader-{i:02}"), shared::model::Source::Api, None);
                let value = store
                    .read_secret(
                        &reader,
                        app.id.into(),
                        SecretRef::Id(meta.id),
                        ReadPurpose::Reveal,
                    )
                    .await
                    .map(|read| read.value)
                    .unwrap();
                // Durable before returning: on another connection, the record is visible the
                // moment the value is.
                let seen = read_records_of(&store, reader.name()).await;
                assert_eq!(seen, 1, "records of {}", reader.name());
                value.expose().to_owned()
            })
        })
        .collect();
    for read in reads {
        assert_eq!(read.await.unwrap(), "the value");
    }
    let records: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, secret_name FROM audit_log WHERE action = 'secret.read' ORDER BY actor",
    )
    .fetch_all(&t.store.pool)
    .await
    .unwrap();
    assert!(records.iter().all(|(_, s)| s == "shared"));
    // One record per read: each name exactly once, 64 in all.
    let actors: Vec<&str> = records.iter().map(|(a, _)| a.as_str()).collect();
    let want: Vec<String> = (0..64).map(|i| format!("reader-{i:02}")).collect();
    assert_eq!(actors, want);
}

#[tokio::test]
async fn identical_concurrent_reads_each_leave_their_own_record() {
    use std::sync::atomic::{AtomicI64, Ordering};
    const READS: i64 = 32;
    let t = open_store().await;
    let app = t.store.create_application(&by(), "app").await.unwrap();
    let meta = t
        .store
        .create_secret(&by(), app.id, secret("shared", "the value"))
        .await
        .unwrap();
    // All tasks read as one actor, so their records are identical, and a batch writes them as
    // copies of one row (audit_queue). Each task checks that every read returned so far, its
    // own included, has its record; the totals check that no copy was merged or lost.
    let returned = std::sync::Arc::new(AtomicI64::new(0));
    let reads: Vec<_> = (0..READS)
        .map(|_| {
            let store = t.store.clone();
            let returned = returned.clone();
            tokio::spawn(async move {
                let reader = Actor::system("shared");
                let value = store
                    .read_secret(
                        &reader,
                        app.id.into(),
                        SecretRef::Id(meta.id),
                        ReadPurpose::Reveal,
                    )
                    .await
                    .map(|read| read.value)
                    .unwrap();
                let returned = returned.fetch_add(1, Ordering::SeqCst) + 1;
                let seen = read_records_of(&store, reader.name()).await;
                assert!(
                    seen >= returned,
                    "{seen} records, {returned} reads returned"
                );
                value.expose().to_owned()
            })
        })
        .collect();
    for read in reads {
        assert_eq!(read.await.unwrap(), "the value");
    }
    assert_eq!(returned.load(Ordering::SeqCst), READS);
    let records: Vec<(String, String)> =
        sqlx::query_as("SELECT actor, secret_name FROM audit_log WHERE action = 'secret.read'")
            .fetch_all(&t.store.pool)
            .await
            .unwrap();
    // One record per read, no more and no fewer.
    assert_eq!(records.len() as i64, READS);
    assert!(records.iter().all(|(a, s)| a == "shared" && s == "shared"));
}

#[tokio::test]
async fn a_read_whose_record_cannot_be_written_returns_no_value() {
    const VALUE: &str = "never-shown-7c41e9";
    let t = open_store().await;
    let app = t.store.create_application(&by(), "app").await.unwrap();
    let meta = t
        .store
        .create_secret(&by(), app.id, secret("guarded", VALUE))
        .await
        .unwrap();
    let (_, key) = t
        .store
        .create_service_account(&by(), shared::model::Role::Developer, "")
        .await
        .unwrap();
    // Only the insert of a read's record fails: the row is found and decrypted first, so a
    // read that ignored the failed insert would have a value to hand out.
    sqlx::query(
        "CREATE TRIGGER refuse_read_record BEFORE INSERT ON audit_log \
         WHEN NEW.action = 'secret.read' BEGIN SELECT RAISE(ABORT, 'audit refused'); END",
    )
    .execute(&t.store.pool)
    .await
    .unwrap();
    let refused = |err: StoreError| {
        let message = err.to_string();
        assert!(
            message.contains("audit refused"),
            "not the insert: {message}"
        );
        assert!(!message.contains(VALUE), "{message}");
    };
    // The panel's read (never cached), then GetSecretValue's twice: the first loads the cache
    // entries, the second is answered from them. Each fails at its record's insert.
    match t
        .store
        .read_secret(
            &by(),
            app.id.into(),
            SecretRef::Id(meta.id),
            ReadPurpose::Reveal,
        )
        .await
        .map(|read| read.value)
    {
        Ok(_) => panic!("a value left the store without its record"),
        Err(err) => refused(err),
    }
    let may_read = |role: shared::model::Role| role.allows(shared::model::Permission::ReadValues);
    for _ in 0..2 {
        match t
            .store
            .read_secret_cached(&by(), &key.key_id, may_read, "app", "guarded")
            .await
        {
            Ok(Some(_)) => panic!("a cached value left the store without its record"),
            Ok(None) => panic!("the cached read was not tried"),
            Err(err) => refused(err),
        }
    }
    let reads = || async {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'secret.read'")
                .fetch_one(&t.store.pool)
                .await
                .unwrap();
        n
    };
    assert_eq!(reads().await, 0);

    sqlx::query("DROP TRIGGER refuse_read_record")
        .execute(&t.store.pool)
        .await
        .unwrap();
    assert_eq!(value_of(&t.store, app.id, meta.id).await, VALUE);
    assert_eq!(reads().await, 1);
}

#[tokio::test]
async fn a_cached_read_gone_stale_is_redone_never_returned() {
    let t = open_store().await;
    // A second process on the same database: another replica, or the command line.
    let other = SecretStore::open(&t.url, MasterKey::from_bytes(&[7; 32]).unwrap())
        .await
        .unwrap();
    let app = t.store.create_application(&by(), "app").await.unwrap();
    t.store
        .create_secret(&by(), app.id, secret("sip", "one"))
        .await
        .unwrap();
    let (_, developer) = t
        .store
        .create_service_account(&by(), shared::model::Role::Developer, "")
        .await
        .unwrap();
    let (_, viewer) = t
        .store
        .create_service_account(&by(), shared::model::Role::Viewer, "")
        .await
        .unwrap();
    let reader = Actor::system("reader");
    let may_read = |role: shared::model::Role| role.allows(shared::model::Permission::ReadValues);
    let read = |key: String, name: &'static str| {
        let store = t.store.clone();
        let reader = reader.clone();
        async move {
            store
                .read_secret_cached(&reader, &key, may_read, "app", name)
                .await
                .unwrap()
                .map(|read| (read.meta.description, read.value.expose().to_owned()))
        }
    };
    let records = || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'secret.read' AND actor = 'reader'",
        )
        .fetch_one(&t.store.pool)
        .await
        .unwrap();
        n
    };
    let dev = developer.key_id.clone();
    assert_eq!(
        read(dev.clone(), "sip").await,
        Some((String::new(), "one".into()))
    );
    assert_eq!(
        read(dev.clone(), "sip").await,
        Some((String::new(), "one".into()))
    );
    // Not answered here: an unknown name, or a role that may not read values.
    assert_eq!(read(dev.clone(), "nope").await, None);
    assert_eq!(read(viewer.key_id.clone(), "sip").await, None);
    assert_eq!(records().await, 2);

    let sip = other
        .find_secret(app.id, SecretRef::Name("sip"))
        .await
        .unwrap()
        .unwrap()
        .id;
    other
        .update_secret(
            &by(),
            app.id,
            sip,
            SecretChanges {
                description: Some("changed elsewhere".into()),
                value: Some(SecretValue::new("two".into())),
                ..SecretChanges::default()
            },
        )
        .await
        .unwrap();
    // The cached entry is from before the change: the read is refused, not recorded...
    assert_eq!(read(dev.clone(), "sip").await, None);
    assert_eq!(records().await, 2);
    // ...and the next one loads the new state.
    assert_eq!(
        read(dev.clone(), "sip").await,
        Some(("changed elsewhere".into(), "two".into()))
    );
    assert_eq!(records().await, 3);

    other.revoke_service_account(&by(), &dev).await.unwrap();
    assert_eq!(read(dev.clone(), "sip").await, None);
    assert_eq!(read(dev, "sip").await, None);
    assert_eq!(records().await, 3);
    other.close().await;
}
