//! Applications: lookup, rename, delete (with their secrets), all-or-nothing lists.

use super::*;

#[tokio::test]
async fn deleting_an_application_deletes_its_secrets() {
    let t = open_store().await;
    let app = t.store.create_application(&by(), "gone").await.unwrap();
    let keep = t.store.create_application(&by(), "kept").await.unwrap();
    t.store
        .create_secret(&by(), app.id, secret("a", "1"))
        .await
        .unwrap();
    t.store
        .create_secret(&by(), app.id, secret("b", "2"))
        .await
        .unwrap();
    let kept = t
        .store
        .create_secret(&by(), keep.id, secret("c", "3"))
        .await
        .unwrap();
    assert_eq!(t.store.delete_application(&by(), app.id).await.unwrap(), 2);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM secrets")
        .fetch_one(&t.store.pool)
        .await
        .unwrap();
    assert_eq!(left, 1);
    assert_eq!(value_of(&t.store, keep.id, kept.id).await, "3");
    assert!(matches!(
        t.store.delete_application(&by(), app.id).await,
        Err(StoreError::ApplicationNotFound)
    ));
}

#[tokio::test]
async fn renaming_an_application_keeps_its_secrets_readable() {
    let t = open_store().await;
    let app = t.store.create_application(&by(), "before").await.unwrap();
    t.store.create_application(&by(), "other").await.unwrap();
    let s = t
        .store
        .create_secret(&by(), app.id, secret("k", "value"))
        .await
        .unwrap();
    let renamed = t
        .store
        .rename_application(&by(), app.id, "after")
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.secret_count), ("after", 1));
    assert_eq!(value_of(&t.store, app.id, s.id).await, "value");
    assert!(matches!(
        t.store.rename_application(&by(), app.id, "other").await,
        Err(StoreError::DuplicateApplication(_))
    ));
    assert!(matches!(
        t.store.rename_application(&by(), app.id, "Bad").await,
        Err(StoreError::Invalid {
            field: Field::ApplicationName,
            ..
        })
    ));
    assert!(matches!(
        t.store
            .rename_application(&by(), ApplicationId(999), "free")
            .await,
        Err(StoreError::ApplicationNotFound)
    ));
    assert_eq!(t.store.get_application(app.id).await.unwrap().name, "after");
}

#[tokio::test]
async fn bulk_application_delete_is_all_or_nothing_and_pages_list_by_id() {
    let t = open_store().await;
    let mut ids = Vec::new();
    for name in ["zeta", "alpha", "alpine"] {
        ids.push(t.store.create_application(&by(), name).await.unwrap().id);
    }
    let page = |name_part: Option<&str>, limit, offset| ApplicationFilter {
        id: None,
        name_part: name_part.map(str::to_owned),
        limit,
        offset,
    };
    let (apps, total) = t
        .store
        .list_applications_page(&page(Some("ALP"), 1, 1))
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        apps.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["alpine"]
    );
    let (apps, total) = t
        .store
        .list_applications_page(&page(None, 10, 0))
        .await
        .unwrap();
    assert_eq!(total, 3);
    assert_eq!(
        apps.iter().map(|a| a.id).collect::<Vec<_>>(),
        ids,
        "ordered by id"
    );

    let bad = Selection {
        ids: vec![ids[0].0],
        names: vec!["nope".into()],
        ..Selection::default()
    };
    assert!(matches!(
        t.store.delete_applications(&by(), &bad).await,
        Err(StoreError::ApplicationNameUnknown(_))
    ));
    assert_eq!(t.store.list_applications().await.unwrap().len(), 3);
    let all = Selection {
        all: true,
        ..Selection::default()
    };
    assert_eq!(t.store.delete_applications(&by(), &all).await.unwrap(), 3);
    assert!(t.store.list_applications().await.unwrap().is_empty());
}

/// A DelApplication list with one unknown name deletes nothing: the listed applications that
/// exist keep their secrets (deleted first, in the same transaction) and their values.
#[tokio::test]
async fn a_failed_application_list_keeps_every_secret() {
    let t = open_store().await;
    let mut kept = Vec::new();
    for name in ["alpha", "beta"] {
        let app = t.store.create_application(&by(), name).await.unwrap();
        let meta = t
            .store
            .create_secret(&by(), app.id, secret("sip", &format!("{name}-value")))
            .await
            .unwrap();
        kept.push((app.id, meta.id, format!("{name}-value")));
    }
    let bad = Selection {
        names: vec!["alpha".into(), "nope".into(), "beta".into()],
        ..Selection::default()
    };
    assert!(matches!(
        t.store.delete_applications(&by(), &bad).await,
        Err(StoreError::ApplicationNameUnknown(name)) if name == "nope"
    ));
    for (app, id, value) in kept {
        assert_eq!(value_of(&t.store, app, id).await, value);
    }
    let secrets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM secrets")
        .fetch_one(&t.store.pool)
        .await
        .unwrap();
    assert_eq!(secrets, 2);
}

#[tokio::test]
async fn an_application_is_found_by_id_short_name_or_this_accounts_full_name() {
    let t = open_store().await;
    let app = t.store.create_application(&by(), "calls").await.unwrap();
    let find = |which| t.store.find_application(which);
    assert_eq!(find(ApplicationRef::Id(app.id)).await.unwrap(), app.id);
    assert_eq!(find(ApplicationRef::Name("calls")).await.unwrap(), app.id);
    assert_eq!(
        find(ApplicationRef::Name("calls.default.strongroom"))
            .await
            .unwrap(),
        app.id
    );
    for missing in [
        ApplicationRef::Id(ApplicationId(app.id.0 + 1)),
        ApplicationRef::Name("call"),
        // Another account's full name is not this application.
        ApplicationRef::Name("calls.other.strongroom"),
    ] {
        assert!(
            matches!(find(missing).await, Err(StoreError::ApplicationNotFound)),
            "{missing:?}"
        );
    }
}
