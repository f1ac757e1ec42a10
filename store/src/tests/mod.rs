//! Store tests on a real, temporary SQLite file, one module per part of the store. The
//! helpers here are shared by all of them.

use super::*;
use shared::model::{
    ApplicationId, AuditAction, Field, Me, Outcome, Role, SecretId, SecretMeta, Source, UserSummary,
};

mod access;
mod applications;
mod audit;
mod lifecycle;
mod read_path;
mod secrets;
mod sessions;
mod sign_in;
mod users;

struct TestStore {
    store: SecretStore,
    url: String,
    _dir: tempfile::TempDir,
}

async fn open_store() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = SecretStore::open(&url, MasterKey::from_bytes(&[7; 32]).expect("key"))
        .await
        .expect("open");
    TestStore {
        store,
        url,
        _dir: dir,
    }
}

/// The actor of every test change (the audit log needs one).
fn by() -> Actor {
    Actor::system("test")
}

/// The decrypted value of a secret that must exist.
async fn value_of(store: &SecretStore, app: ApplicationId, id: SecretId) -> String {
    store
        .read_secret(&by(), app.into(), SecretRef::Id(id), ReadPurpose::Reveal)
        .await
        .map(|read| read.value)
        .unwrap()
        .expose()
        .to_owned()
}

fn secret(name: &str, value: &str) -> NewSecret {
    NewSecret {
        name: name.into(),
        value: SecretValue::new(value.into()),
        description: String::new(),
    }
}

const PASSWORD: &str = "correct horse battery";

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

const ADDRESS_A: &str = "198.51.100.7";

const ADDRESS_B: &str = "203.0.113.9";

async fn throttle_rows(store: &SecretStore) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_throttle")
        .fetch_one(&store.pool)
        .await
        .expect("count")
}
