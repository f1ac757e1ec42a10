//! Secrets: create, read, update, rename, delete, scoping, paging, name search and import.

use super::*;

fn names(page: &shared::model::SecretPage) -> Vec<&str> {
    page.items.iter().map(|s| s.name.as_str()).collect()
}

#[tokio::test]
async fn secrets_round_trip_through_the_store() {
    let t = open_store().await;
    let app = t
        .store
        .create_application(&by(), "voice-bot")
        .await
        .unwrap();
    let meta = t
        .store
        .create_secret(
            &by(),
            app.id,
            NewSecret {
                description: "d".repeat(250),
                ..secret("API_KEY", "s3cr3t\nline2")
            },
        )
        .await
        .unwrap();
    assert_eq!(meta.name, "API_KEY");
    assert_eq!(meta.description.chars().count(), 200);
    let value = t
        .store
        .read_secret(
            &by(),
            app.id.into(),
            SecretRef::Id(meta.id),
            ReadPurpose::Reveal,
        )
        .await
        .map(|read| read.value)
        .unwrap();
    assert_eq!(value.expose(), "s3cr3t\nline2");

    let page = t
        .store
        .list_secrets(app.id, &SecretFilter::default())
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    // The read above is the secret's "last read", from the audit log.
    assert_eq!(meta.last_read, None);
    let last_read = page.items[0].last_read.expect("the read was recorded");
    assert!(
        last_read >= meta.created,
        "{last_read:?} before {:?}",
        meta.created
    );
    assert_eq!(
        page.items,
        vec![SecretMeta {
            last_read: Some(last_read),
            ..meta
        }]
    );
    assert_eq!(
        t.store.get_application(app.id).await.unwrap().secret_count,
        1
    );
}

#[tokio::test]
async fn update_renames_and_replaces_only_what_is_given() {
    let t = open_store().await;
    let app = t.store.create_application(&by(), "app").await.unwrap();
    let meta = t
        .store
        .create_secret(&by(), app.id, secret("old", "v1"))
        .await
        .unwrap();
    let renamed = t
        .store
        .update_secret(
            &by(),
            app.id,
            meta.id,
            SecretChanges {
                name: Some("new".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "new");
    assert_eq!(value_of(&t.store, app.id, meta.id).await, "v1");
    t.store
        .update_secret(
            &by(),
            app.id,
            meta.id,
            SecretChanges {
                value: Some(SecretValue::new("v2".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(value_of(&t.store, app.id, meta.id).await, "v2");
    assert!(matches!(
        t.store
            .update_secret(&by(), app.id, meta.id, SecretChanges::default())
            .await,
        Err(StoreError::NothingToChange)
    ));
}

#[tokio::test]
async fn duplicate_and_invalid_names_are_refused_without_changing_anything() {
    let t = open_store().await;
    let app = t.store.create_application(&by(), "app").await.unwrap();
    let a = t
        .store
        .create_secret(&by(), app.id, secret("a", "1"))
        .await
        .unwrap();
    t.store
        .create_secret(&by(), app.id, secret("b", "2"))
        .await
        .unwrap();
    assert!(matches!(
        t.store.create_secret(&by(), app.id, secret("a", "3")).await,
        Err(StoreError::DuplicateSecret(n)) if n == "a"
    ));
    assert!(matches!(
        t.store
            .update_secret(
                &by(),
                app.id,
                a.id,
                SecretChanges {
                    name: Some("b".into()),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::DuplicateSecret(_))
    ));
    assert!(matches!(
        t.store
            .create_secret(&by(), app.id, secret("1bad", "x"))
            .await,
        Err(StoreError::Invalid {
            field: Field::SecretName,
            ..
        })
    ));
    assert!(matches!(
        t.store.create_secret(&by(), app.id, secret("ok", "")).await,
        Err(StoreError::Invalid {
            field: Field::SecretValue,
            ..
        })
    ));
    assert_eq!(value_of(&t.store, app.id, a.id).await, "1");
    assert_eq!(
        t.store
            .list_secrets(app.id, &SecretFilter::default())
            .await
            .unwrap()
            .total,
        2
    );
    assert!(matches!(
        t.store.create_application(&by(), "app").await,
        Err(StoreError::DuplicateApplication(_))
    ));
}

/// The one lookup: by id or by exact name, within one application only.
#[tokio::test]
async fn find_secret_finds_by_id_or_exact_name_within_its_application() {
    let t = open_store().await;
    let one = t.store.create_application(&by(), "one").await.unwrap();
    let two = t.store.create_application(&by(), "two").await.unwrap();
    let created = t
        .store
        .create_secret(&by(), one.id, secret("sip_password", "v"))
        .await
        .unwrap();
    let find = |app, which| t.store.find_secret(app, which);
    let by_id = find(one.id, SecretRef::Id(created.id)).await.unwrap();
    let by_name = find(one.id, SecretRef::Name("sip_password")).await.unwrap();
    assert_eq!(by_id.as_ref().map(|meta| meta.id), Some(created.id));
    assert_eq!(by_id, by_name);
    assert_eq!(by_id.unwrap().name, "sip_password");
    for (app, which) in [
        (two.id, SecretRef::Id(created.id)),
        (two.id, SecretRef::Name("sip_password")),
        (one.id, SecretRef::Name("SIP_PASSWORD")),
        (one.id, SecretRef::Id(SecretId(created.id.0 + 1))),
    ] {
        assert_eq!(find(app, which).await.unwrap(), None, "{app:?} {which:?}");
    }
}

#[tokio::test]
async fn secrets_are_scoped_to_their_application() {
    let t = open_store().await;
    let one = t.store.create_application(&by(), "one").await.unwrap();
    let two = t.store.create_application(&by(), "two").await.unwrap();
    let s = t
        .store
        .create_secret(&by(), one.id, secret("same", "one's"))
        .await
        .unwrap();
    assert!(matches!(
        t.store
            .read_secret(
                &by(),
                two.id.into(),
                SecretRef::Id(s.id),
                ReadPurpose::Reveal
            )
            .await
            .map(|read| read.value),
        Err(StoreError::SecretNotFound)
    ));
    assert!(matches!(
        t.store.delete_secret(&by(), two.id, s.id).await,
        Err(StoreError::SecretNotFound)
    ));
    assert!(
        t.store
            .create_secret(&by(), two.id, secret("same", "two's"))
            .await
            .is_ok()
    );
    assert!(matches!(
        t.store
            .list_secrets(ApplicationId(999), &SecretFilter::default())
            .await,
        Err(StoreError::ApplicationNotFound)
    ));
}

#[tokio::test]
async fn filter_and_paging() {
    let t = open_store().await;
    let app = t.store.create_application(&by(), "app").await.unwrap();
    for name in ["alpha_key", "Beta_KEY", "gamma", "a_b", "axb"] {
        t.store
            .create_secret(&by(), app.id, secret(name, "v"))
            .await
            .unwrap();
    }
    let filter = |part: &str, limit, offset| SecretFilter {
        name_part: Some(part.into()),
        limit,
        offset,
    };
    let page = t
        .store
        .list_secrets(app.id, &filter("KEY", 10, 0))
        .await
        .unwrap();
    assert_eq!(names(&page), ["alpha_key", "Beta_KEY"]);
    let page = t
        .store
        .list_secrets(app.id, &filter("key", 1, 1))
        .await
        .unwrap();
    assert_eq!((page.total, page.items[0].name.as_str()), (2, "Beta_KEY"));
    // `_` matches only an underscore, not any character.
    let page = t
        .store
        .list_secrets(app.id, &filter("a_b", 10, 0))
        .await
        .unwrap();
    assert_eq!(names(&page), ["a_b"]);
}

#[tokio::test]
async fn swapped_ciphertexts_fail_to_decrypt() {
    let t = open_store().await;
    let app = t.store.create_application(&by(), "app").await.unwrap();
    let a = t
        .store
        .create_secret(&by(), app.id, secret("a", "value-a"))
        .await
        .unwrap();
    let b = t
        .store
        .create_secret(&by(), app.id, secret("b", "value-b"))
        .await
        .unwrap();
    let blob = |id: SecretId| {
        sqlx::query_scalar::<_, Vec<u8>>("SELECT sealed_value FROM secrets WHERE id = $1")
            .bind(id.0)
            .fetch_one(&t.store.pool)
    };
    let (blob_a, blob_b) = (blob(a.id).await.unwrap(), blob(b.id).await.unwrap());
    for (id, sealed) in [(a.id, blob_b), (b.id, blob_a)] {
        sqlx::query("UPDATE secrets SET sealed_value = $1 WHERE id = $2")
            .bind(sealed)
            .bind(id.0)
            .execute(&t.store.pool)
            .await
            .unwrap();
    }
    for id in [a.id, b.id] {
        assert!(matches!(
            t.store
                .read_secret(&by(), app.id.into(), SecretRef::Id(id), ReadPurpose::Reveal)
                .await
                .map(|read| read.value),
            Err(StoreError::Crypto(crate::crypto::CryptoError::Open))
        ));
    }
    assert!(matches!(
        t.store
            .read_secret(
                &by(),
                app.id.into(),
                SecretRef::Id(SecretId(999)),
                ReadPurpose::Reveal
            )
            .await
            .map(|read| read.value),
        Err(StoreError::SecretNotFound)
    ));
}

#[tokio::test]
async fn bulk_secret_delete_is_all_or_nothing() {
    let t = open_store().await;
    let app = t.store.create_application(&by(), "bulk").await.unwrap().id;
    let other = t.store.create_application(&by(), "other").await.unwrap().id;
    let a = t
        .store
        .create_secret(&by(), app, secret("a", "1"))
        .await
        .unwrap();
    let b = t
        .store
        .create_secret(&by(), app, secret("b", "2"))
        .await
        .unwrap();
    let foreign = t
        .store
        .create_secret(&by(), other, secret("f", "3"))
        .await
        .unwrap();
    let names = |app| {
        let store = t.store.clone();
        async move {
            let page = store
                .list_secrets(app, &SecretFilter::default())
                .await
                .unwrap();
            page.items.into_iter().map(|s| s.name).collect::<Vec<_>>()
        }
    };

    // One unknown name, or another application's id, fails the whole call.
    let unknown = Selection {
        ids: vec![a.id.0],
        names: vec!["b".into(), "missing".into()],
        ..Selection::default()
    };
    assert!(matches!(
        t.store.delete_secrets(&by(), app, &unknown).await,
        Err(StoreError::SecretNameUnknown(n)) if n == "missing"
    ));
    let foreign_id = Selection {
        ids: vec![a.id.0, foreign.id.0],
        ..Selection::default()
    };
    assert!(matches!(
        t.store.delete_secrets(&by(), app, &foreign_id).await,
        Err(StoreError::SecretIdUnknown(id)) if id == foreign.id.0
    ));
    assert_eq!(names(app).await, ["a", "b"]);

    // The union of ids and names, counted once.
    let both = Selection {
        ids: vec![a.id.0, b.id.0],
        names: vec!["a".into()],
        ..Selection::default()
    };
    assert_eq!(t.store.delete_secrets(&by(), app, &both).await.unwrap(), 2);
    assert!(names(app).await.is_empty());
    assert_eq!(names(other).await, ["f"]);
}

#[tokio::test]
async fn the_name_index_follows_renames_deletes_and_imports() {
    let t = open_store().await;
    let app = t.store.create_application(&by(), "app").await.unwrap();
    let other = t.store.create_application(&by(), "other").await.unwrap();
    let kept = t
        .store
        .create_secret(&by(), app.id, secret("alpha_token", "v"))
        .await
        .unwrap();
    let gone = t
        .store
        .create_secret(&by(), app.id, secret("alphabet", "v"))
        .await
        .unwrap();
    t.store
        .create_secret(&by(), other.id, secret("alpha_elsewhere", "v"))
        .await
        .unwrap();
    let find = |part: &'static str| {
        let store = t.store.clone();
        async move {
            let filter = SecretFilter {
                name_part: Some(part.into()),
                ..SecretFilter::default()
            };
            let page = store.list_secrets(app.id, &filter).await.unwrap();
            (page.total, names(&page).join(","))
        }
    };
    assert_eq!(find("ALPHA").await, (2, "alpha_token,alphabet".into()));
    t.store
        .update_secret(
            &by(),
            app.id,
            kept.id,
            SecretChanges {
                name: Some("omega_token".into()),
                ..SecretChanges::default()
            },
        )
        .await
        .unwrap();
    t.store.delete_secret(&by(), app.id, gone.id).await.unwrap();
    assert_eq!(find("alpha").await, (0, String::new()));
    assert_eq!(find("mega_t").await, (1, "omega_token".into()));
    // Characters no name may hold, and filters longer than any name, match nothing.
    assert_eq!(find("ega%").await, (0, String::new()));
    assert_eq!(find("om").await, (1, "omega_token".into()));

    let imported: Vec<NewSecret> = (0..30)
        .map(|i| secret(&format!("bulk_{i:02}"), &format!("value {i}")))
        .collect();
    assert_eq!(
        t.store
            .import_secrets(&by(), app.id, &imported)
            .await
            .unwrap(),
        30
    );
    let filter = SecretFilter {
        name_part: Some("bulk_".into()),
        limit: 10,
        offset: 20,
    };
    let page = t.store.list_secrets(app.id, &filter).await.unwrap();
    assert_eq!(page.total, 30);
    assert_eq!(names(&page).first(), Some(&"bulk_20"));
    let id = t
        .store
        .find_secret(app.id, SecretRef::Name("bulk_07"))
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(value_of(&t.store, app.id, id).await, "value 7");
}

#[tokio::test]
async fn an_import_creates_everything_or_nothing() {
    let t = open_store().await;
    let app = t.store.create_application(&by(), "app").await.unwrap();
    t.store
        .create_secret(&by(), app.id, secret("taken", "v"))
        .await
        .unwrap();
    let attempts = [
        vec![secret("fresh", "1"), secret("taken", "2")],
        vec![secret("fresh", "1"), secret("fresh", "2")],
        vec![secret("fresh", "1"), secret("9bad", "2")],
        vec![secret("fresh", "1"), secret("empty", "")],
    ];
    for attempt in &attempts {
        assert!(
            t.store
                .import_secrets(&by(), app.id, attempt)
                .await
                .is_err()
        );
    }
    let all = t
        .store
        .list_secrets(app.id, &SecretFilter::default())
        .await
        .unwrap();
    assert_eq!(names(&all), ["taken"]);
    let created: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'secret.create' AND detail = 'import'",
    )
    .fetch_one(&t.store.pool)
    .await
    .unwrap();
    assert_eq!(created, 0);
    t.store
        .import_secrets(&by(), app.id, &[secret("one", "1"), secret("two", "2")])
        .await
        .unwrap();
    let created: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'secret.create' AND detail = 'import'",
    )
    .fetch_one(&t.store.pool)
    .await
    .unwrap();
    assert_eq!(created, 2);
}

/// `all` deletes in one statement however many secrets there are, and still writes one record
/// per secret (in statements of a few hundred: one per record would hold the write lock far
/// longer, one for all would pass SQLite's limit on parameters).
#[tokio::test]
async fn deleting_thousands_of_secrets_records_each() {
    let t = open_store().await;
    let app = t.store.create_application(&by(), "big").await.unwrap();
    let many: Vec<NewSecret> = (0..3000).map(|i| secret(&format!("S{i}"), "v")).collect();
    t.store.import_secrets(&by(), app.id, &many).await.unwrap();
    let everything = Selection {
        all: true,
        names: vec!["S2999".into()],
        ..Selection::default()
    };
    assert_eq!(
        t.store
            .delete_secrets(&by(), app.id, &everything)
            .await
            .unwrap(),
        3000
    );
    let records: (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT secret_id) FROM audit_log \
         WHERE action = 'secret.delete'",
    )
    .fetch_one(&t.store.pool)
    .await
    .unwrap();
    assert_eq!(records, (3000, 3000));
    let left = t
        .store
        .list_secrets(app.id, &SecretFilter::default())
        .await
        .unwrap();
    assert_eq!(left.total, 0);
}
