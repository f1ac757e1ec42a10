//! Service-account keys belong to the user who made them, against a real process: a key works
//! only while its creator is enabled and holds at least the key's role, from the very next
//! request (the token and read caches included), and no one makes or revokes a key above their
//! own role.

use crate::support::api::{Api, ServiceAccount, assert_error, assert_ok};
use crate::support::{Server, Session};
use serde_json::Value;

/// A key made in the panel by `session`'s user.
async fn key_by(server: &Server, session: &Session, role: &str) -> ServiceAccount {
    let (status, credentials) = server
        .call_as(
            Some(session),
            "create_service_account",
            &[("role", role), ("description", "t")],
        )
        .await;
    assert_eq!(status, 200, "create_service_account {role}: {credentials}");
    let field = |name: &str| credentials[name].as_str().expect(name).to_owned();
    ServiceAccount {
        key_id: field("key_id"),
        private_key: field("private_key"),
    }
}

/// Calls the Owner must be able to make (a user's role or disabled flag).
async fn owner_sets(server: &Server, function: &str, args: &[(&str, &str)]) {
    server
        .call(function, args)
        .await
        .unwrap_or_else(|e| panic!("{function} {args:?}: {e}"));
}

#[tokio::test]
async fn a_key_stops_when_its_creator_is_disabled_or_loses_its_role() {
    let (_tmp, server) = crate::support::start_temp().await;
    let ada_id = server
        .create_user("ada", "ada-password-123", "Admin")
        .await
        .to_string();
    server.create_user("bob", "bob-password-123", "Admin").await;
    let ada = server
        .sign_in("ada", "ada-password-123")
        .await
        .expect("ada");
    let bob = server
        .sign_in("bob", "bob-password-123")
        .await
        .expect("bob");
    let app = server.create_application("keys").await;
    server.create_secret(app, "sip", "v", "").await;

    // One token each, reused as the clients do: after the first call it is served from the
    // token cache, and GetSecretValue by name from the read cache.
    let adas_admin = key_by(&server, &ada, "Admin").await.api(&server);
    let adas_developer = key_by(&server, &ada, "Developer").await.api(&server);
    let bobs = key_by(&server, &bob, "Admin").await.api(&server);
    let read = [("application_name", "keys"), ("secret_name", "sip")];
    let list = [("application_name", "keys")];
    let works = async |api: &Api| {
        let value = api.call("GetSecretValue", &read).await;
        let listed = api.call("GetSecrets", &list).await;
        assert_eq!(
            value.get("error").is_none(),
            listed.get("error").is_none(),
            "{value} / {listed}"
        );
        value.get("error").is_none()
    };
    let refused = async |api: &Api| {
        let msg = assert_error(&api.call("GetSecretValue", &read).await, 100);
        assert!(msg.contains("disabled"), "{msg}");
        assert_error(&api.call("GetSecrets", &list).await, 100);
    };
    for api in [&adas_admin, &adas_developer, &bobs] {
        for _ in 0..2 {
            assert!(works(api).await);
        }
    }

    owner_sets(
        &server,
        "set_user_disabled",
        &[("id", &ada_id), ("disabled", "true")],
    )
    .await;
    refused(&adas_admin).await;
    refused(&adas_developer).await;
    assert!(works(&bobs).await, "another creator's key stopped too");
    let listed = server.call("get_api_access", &[]).await.expect("keys");
    let stopped: Vec<&Value> = listed["service_accounts"]
        .as_array()
        .expect("keys")
        .iter()
        .filter(|k| !k["stopped"].is_null())
        .collect();
    assert_eq!(stopped.len(), 2, "{listed}");
    assert!(stopped.iter().all(|k| k["creator"] == "ada"), "{listed}");

    // Enabled again, then an Admin no more: only the key above her new role stays stopped.
    owner_sets(
        &server,
        "set_user_disabled",
        &[("id", &ada_id), ("disabled", "false")],
    )
    .await;
    assert!(works(&adas_admin).await);
    owner_sets(
        &server,
        "set_user_role",
        &[("id", &ada_id), ("role", "Developer")],
    )
    .await;
    refused(&adas_admin).await;
    assert!(works(&adas_developer).await);
    assert!(works(&bobs).await);
}

#[tokio::test]
async fn an_admin_neither_makes_nor_revokes_an_owner_key() {
    let (_tmp, server) = crate::support::start_temp().await;
    server.create_user("ada", "ada-password-123", "Admin").await;
    let ada = server
        .sign_in("ada", "ada-password-123")
        .await
        .expect("ada");
    let owners = ServiceAccount::create(&server, "Owner").await;

    let (status, body) = server
        .call_as(
            Some(&ada),
            "create_service_account",
            &[("role", "Owner"), ("description", "above")],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = server
        .call_as(
            Some(&ada),
            "revoke_service_account",
            &[("key_id", &owners.key_id)],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let message = body.to_string();
    assert!(
        message.contains("Admin") && message.contains("Owner") && message.contains("revoke"),
        "{message}"
    );
    // Still there and still working; the refusal is in the audit log.
    assert_ok(&owners.api(&server).call("GetApplications", &[]).await);
    let denied =
        crate::support::audit_records(&server, &[("action", "denied"), ("actor", "ada")]).await;
    assert_eq!(denied.len(), 2, "{denied:?}");

    // Up to her own role, both work.
    let admins = key_by(&server, &ada, "Admin").await;
    let (status, body) = server
        .call_as(
            Some(&ada),
            "revoke_service_account",
            &[("key_id", &admins.key_id)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The legacy API key acts as an Owner, so it belongs to the Owner who made it: it stops on the
/// next request after another Owner disables them or makes them an Admin.
#[tokio::test]
async fn the_api_key_stops_when_its_owner_is_disabled_or_demoted() {
    let (_tmp, server) = crate::support::start_temp().await;
    let olga_id = server
        .create_user("olga", "olga-password-123", "Owner")
        .await
        .to_string();
    let olga = server
        .sign_in("olga", "olga-password-123")
        .await
        .expect("olga");
    let (status, key) = server.call_as(Some(&olga), "regenerate_api_key", &[]).await;
    assert_eq!(status, 200, "regenerate_api_key: {key}");
    let api = Api {
        client: reqwest::Client::new(),
        base: server.base.clone(),
        auth: crate::support::api::Auth::Key(key.as_str().expect("key").to_owned()),
    };
    let list = [("application_name", "")];
    let works = async || {
        api.call("GetApplications", &list)
            .await
            .get("error")
            .is_none()
    };
    assert!(works().await);

    owner_sets(
        &server,
        "set_user_disabled",
        &[("id", &olga_id), ("disabled", "true")],
    )
    .await;
    let msg = assert_error(&api.call("GetApplications", &list).await, 100);
    assert!(msg.contains("no longer an Owner"), "{msg}");

    owner_sets(
        &server,
        "set_user_disabled",
        &[("id", &olga_id), ("disabled", "false")],
    )
    .await;
    assert!(works().await);
    owner_sets(
        &server,
        "set_user_role",
        &[("id", &olga_id), ("role", "Admin")],
    )
    .await;
    assert_error(&api.call("GetApplications", &list).await, 100);
}
