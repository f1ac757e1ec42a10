//! Opening and closing the store: the master key check, the WAL left empty by close.

use super::*;

#[tokio::test]
async fn reopening_with_another_master_key_is_refused() {
    let t = open_store().await;
    t.store.create_application(&by(), "app").await.unwrap();
    t.store.close().await;
    let wrong = SecretStore::open(&t.url, MasterKey::from_bytes(&[8; 32]).unwrap()).await;
    assert!(matches!(wrong, Err(OpenError::WrongMasterKey)));
    let right = SecretStore::open(&t.url, MasterKey::from_bytes(&[7; 32]).unwrap())
        .await
        .unwrap();
    assert_eq!(right.list_applications().await.unwrap().len(), 1);
}

/// Closing the store commits what the audit writer holds and closes its connection too, so the
/// WAL is checkpointed into the database file: a copy of that file alone has every record.
#[tokio::test]
async fn close_leaves_every_record_in_the_database_file() {
    let t = open_store().await;
    let app = t.store.create_application(&by(), "app").await.unwrap();
    let meta = t
        .store
        .create_secret(&by(), app.id, secret("kept", "v"))
        .await
        .unwrap();
    value_of(&t.store, app.id, meta.id).await;
    t.store.close().await;
    let wal = t._dir.path().join("test.db-wal");
    let wal_len = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert_eq!(wal_len, 0, "the WAL still holds pages after close");
    // Only the database file, as a backup would copy it.
    let copy = t._dir.path().join("copy.db");
    std::fs::copy(t._dir.path().join("test.db"), &copy).unwrap();
    let reads: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'secret.read'")
            .fetch_one(
                &crate::backend::Pool::connect(&format!("sqlite://{}", copy.display()))
                    .await
                    .unwrap(),
            )
            .await
            .unwrap();
    assert_eq!(reads, 1);
}
