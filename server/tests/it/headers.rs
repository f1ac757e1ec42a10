//! Security headers and sign-in redirects, on a real server.

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// The nonce in a page's Content-Security-Policy.
fn csp_nonce(csp: &str) -> String {
    let start = csp.find("'nonce-").expect("a nonce source") + "'nonce-".len();
    csp[start..]
        .split('\'')
        .next()
        .expect("closing quote")
        .to_owned()
}

#[tokio::test]
async fn pages_carry_a_fresh_nonce_policy_that_matches_their_scripts() {
    let (_tmp, server) = crate::support::start_temp().await;
    let first = server.get("/").await;
    assert_eq!(first.status(), 200);
    let csp = header(&first, "content-security-policy").to_owned();
    for part in [
        "script-src 'nonce-",
        "'strict-dynamic'",
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(part), "{part} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header(&first, "x-frame-options"), "DENY");
    assert_eq!(header(&first, "referrer-policy"), "no-referrer");
    assert_eq!(header(&first, "x-content-type-options"), "nosniff");
    assert_eq!(header(&first, "cache-control"), "no-store");
    let nonce = csp_nonce(&csp);
    let html = first.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0);
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every inline script carries the response's nonce"
    );

    let second = server.get("/").await;
    let again = csp_nonce(header(&second, "content-security-policy"));
    assert_ne!(nonce, again, "a nonce is never reused");
}

#[tokio::test]
async fn answers_that_carry_values_are_never_cached() {
    let (_tmp, server) = crate::support::start_temp().await;
    let app = server.create_application("cache").await;
    let secret = server.create_secret(app, "TOKEN", "value-1", "").await;
    let session = server.session.clone().expect("signed in");
    let response = reqwest::Client::new()
        .post(format!("{}/api/read_secret_value", server.base))
        .header("cookie", session.cookie())
        .header("x-csrf-token", &session.csrf)
        .form(&[
            ("application_id", app.to_string()),
            ("secret_id", secret.to_string()),
            ("purpose", "Reveal".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert_eq!(response.text().await.unwrap(), "\"value-1\"");

    let api = reqwest::get(format!("{}/platform_api/GetSecrets", server.base))
        .await
        .unwrap();
    assert_eq!(header(&api, "cache-control"), "no-store");
    // Not a page: a policy that lets nothing run.
    assert!(header(&api, "content-security-policy").starts_with("default-src 'none'"));
}

#[tokio::test]
async fn pages_send_strangers_to_sign_in_and_come_back() {
    let (_tmp, server) = crate::support::start_temp().await;
    let response = server.get_as(None, "/applications/7/secrets?x=1").await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        header(&response, "location"),
        "/sign-in?next=%2Fapplications%2F7%2Fsecrets%3Fx%3D1"
    );
    assert_eq!(server.get_as(None, "/sign-in").await.status(), 200);
    let signed_in = server.get("/sign-in").await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(header(&signed_in, "location"), "/");
    // Assets and the health check need no session.
    assert_eq!(server.get_as(None, "/healthz").await.status(), 200);
    let html = server.get_as(None, "/sign-in").await.text().await.unwrap();
    assert!(html.contains("Sign in to Strongroom"));
    assert!(
        !html.contains("Applications</a>"),
        "no navigation for strangers"
    );
}
