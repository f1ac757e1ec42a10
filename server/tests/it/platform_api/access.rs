//! Who may call: the JWT rules of service-account keys, and what each role may call.

use super::*;

#[tokio::test]
async fn jwt_rules() {
    let (_tmp, server) = crate::support::start_temp().await;
    let legacy = Api::legacy(&server).await;
    let owner = ServiceAccount::create(&server, "Owner").await;
    let stranger = ServiceAccount::create(&server, "Owner").await;
    let now = now();
    let claims = json!({ "iss": 1, "iat": now, "exp": now + 60 });
    let token = |iss: Value, iat: i64, exp: i64| owner.token_with(iss, iat, exp);
    let mut hs256 = Header::new(Algorithm::HS256);
    hs256.kid = Some(owner.key_id.clone());
    let hs256_token = jsonwebtoken::encode(
        &hs256,
        &claims,
        &EncodingKey::from_secret(b"a shared secret"),
    )
    .expect("HS256 token");
    // A tampered payload with the original signature.
    let good = owner.token();
    let parts: Vec<&str> = good.split('.').collect();
    let other_payload = token(json!(1), now - 1, now + 61);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        other_payload.split('.').nth(1).expect("payload"),
        parts[2]
    );
    let no_exp = json!({ "iss": 1, "iat": now });
    let (kid, key) = (Some(owner.key_id.as_str()), owner.private_key.as_str());

    // (accepted, token, what it is)
    #[rustfmt::skip]
    let cases = [
        (true, owner.token(), "iss as a string"),
        (true, token(json!(1), now, now + 60), "iss as a number"),
        (true, token(json!(1), now - 100, now - 25), "expired 25 s ago, within the skew"),
        (true, token(json!(1), now, now + 3600), "lifetime 3600 s"),
        (true, token(json!(1), now + 20, now + 80), "iat 20 s ahead, within the skew"),
        (false, token(json!(1), now - 100, now - 40), "expired 40 s ago"),
        (false, token(json!(1), now + 60, now + 120), "iat 60 s in the future"),
        (false, token(json!(1), now, now + 3601), "lifetime 3601 s"),
        (false, token(json!(2), now, now + 60), "iss 2"),
        (false, token(json!("2"), now, now + 60), "iss \"2\""),
        (false, token(json!("abc"), now, now + 60), "iss \"abc\""),
        (false, token(json!(null), now, now + 60), "iss null"),
        (false, sign(Some("no-such-key"), key, &claims), "unknown kid"),
        (false, sign(kid, &stranger.private_key, &claims), "signed by another key"),
        (false, sign(None, key, &claims), "no kid"),
        (false, sign(kid, key, &no_exp), "no exp"),
        (false, hs256_token, "HS256"),
        (false, tampered, "tampered payload"),
    ];
    for (accepted, token, what) in cases {
        let body = legacy.bearer(token).call("GetApplications", &[]).await;
        let expected = if accepted { None } else { Some(100) };
        assert_eq!(error_code(&body), expected, "{what}: {body}");
    }

    // Revoking a key refuses it on the very next request.
    let api = legacy.bearer(owner.token());
    api.ok("GetApplications", &[]).await;
    server
        .call("revoke_service_account", &[("key_id", &owner.key_id)])
        .await
        .expect("revoke");
    let msg = api.expect_error("GetApplications", &[], 100).await;
    assert!(!msg.contains("BEGIN"), "{msg}");
    // The other key is unaffected.
    let body = legacy
        .bearer(stranger.token())
        .call("GetApplications", &[])
        .await;
    assert_eq!(
        error_code(&body),
        None,
        "another key after a revocation: {body}"
    );
}

#[tokio::test]
async fn roles_limit_what_a_key_may_call() {
    let (_tmp, server) = crate::support::start_temp().await;
    let legacy = Api::legacy(&server).await;
    let app = legacy.add_app("roles").await;
    let in_app = ("application_id", app.as_str());
    let secret = legacy.add_secret(&app, "EXISTING", "v").await;
    let by_id = ("secret_id", secret.as_str());

    let viewer = ServiceAccount::create(&server, "Viewer").await;
    let viewer_api = legacy.bearer(viewer.token());
    let body = viewer_api.ok("GetSecrets", &[in_app]).await;
    assert_eq!(names_in(&body, "secret_name"), ["EXISTING"]);
    let body = viewer_api.ok("GetApplications", &[]).await;
    assert_eq!(names_in(&body, "application_name"), full(&["roles"]));
    #[rustfmt::skip]
    let forbidden: [(&str, &[(&str, &str)]); 7] = [
        ("AddSecret", &[in_app, ("secret_name", "BY_VIEWER"), ("secret_value", "v")]),
        ("GetSecretValue", &[in_app, by_id]),
        ("SetSecretInfo", &[in_app, by_id, ("description", "by viewer")]),
        ("DelSecret", &[in_app, by_id]),
        ("AddApplication", &[("application_name", "by-viewer")]),
        ("SetApplicationInfo", &[in_app, ("application_name", "by-viewer")]),
        ("DelApplication", &[in_app]),
    ];
    for (method, params) in forbidden {
        assert_error(&viewer_api.call(method, params).await, 104);
    }
    // Nothing changed.
    assert_eq!(legacy.app_names().await, full(&["roles"]));
    assert_eq!(legacy.secret_names(&app).await, ["EXISTING"]);
    let item = legacy.value(&app, by_id).await;
    assert!(
        item["description"].as_str().is_none_or(str::is_empty),
        "{item}"
    );

    // Owner, Admin and Developer may write.
    for (role, name) in [
        ("Developer", "BY_DEVELOPER"),
        ("Admin", "BY_ADMIN"),
        ("Owner", "BY_OWNER"),
    ] {
        let key = ServiceAccount::create(&server, role).await;
        let api = legacy.bearer(key.token());
        let id = api.add_secret(&app, name, "v").await;
        let item = api.value(&app, ("secret_id", &id)).await;
        assert_eq!(item["secret_name"], json!(name), "{role}");
        let app_name = format!("by-{}", role.to_lowercase());
        api.add_app(&app_name).await;
        api.ok("DelApplication", &[("application_name", &app_name)])
            .await;
    }
    assert_eq!(
        legacy.secret_names(&app).await,
        ["EXISTING", "BY_DEVELOPER", "BY_ADMIN", "BY_OWNER"]
    );
}
