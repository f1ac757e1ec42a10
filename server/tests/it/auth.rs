//! Sign-in, sessions, roles, CSRF, throttling and the audit log, on a real `strongroom`
//! process over HTTP (issue 4): without a session every server function refuses; each role
//! may do exactly its share in the panel and in the Management API; cross-site requests and
//! requests without the session's CSRF token are refused; repeated failures throttle sign-in;
//! disabling, resetting, changing a password and signing out end sessions at once; revealing
//! needs a recent password; every audited action leaves exactly its record; no value or
//! password reaches the log or the audit records; first-run setup works once.
//!
//! Calls that must be refused, and the audit script, are tables: one call or record a line,
//! kept that way by `#[rustfmt::skip]`.

use crate::support::api::{Api, ServiceAccount, assert_error, assert_ok, now};
use crate::support::step_up::{
    LONG_WINDOW_SECS, SHORT_WINDOW_SECS, password_at, start_with_window, surely_stale_after,
};
use crate::support::{OWNER, OWNER_PASSWORD, Server, Session, audit_records, status_and_body};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

/// Server functions anyone may call, signed in or not.
const PUBLIC: [&str; 4] = ["sign_in", "sign_in_state", "current_user", "complete_setup"];

/// Passwords of the users the tests add (at least 12 characters).
const PASSWORD: &str = "user-password-1";
const OTHER_PASSWORD: &str = "user-password-22";

/// A call's arguments: form fields.
type Args<'a> = &'a [(&'a str, &'a str)];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// What an answer says, in one word: `ok` for a success, else the `PanelError` variant
/// (`Unauthorized`, `Forbidden`, ...), or the text of a plain-text refusal.
fn kind(status: u16, body: &Value) -> String {
    if (200..300).contains(&status) {
        return "ok".into();
    }
    match body {
        Value::String(text) => text.clone(),
        Value::Object(map) if map.len() == 1 => map.keys().next().expect("one key").clone(),
        other => other.to_string(),
    }
}

/// Calls `function` as `session` (signed out when `None`): its status and `kind`.
async fn outcome(
    server: &Server,
    session: Option<&Session>,
    function: &str,
    args: Args<'_>,
) -> (u16, String) {
    let (status, body) = server.call_as(session, function, args).await;
    (status, kind(status, &body))
}

/// Calls `function` as `session`, asserting success; the decoded result.
async fn ok(server: &Server, session: Option<&Session>, function: &str, args: Args<'_>) -> Value {
    let (status, body) = server.call_as(session, function, args).await;
    assert_eq!(status, 200, "{function} {args:?}: {body}");
    body
}

/// Calls `function` as the Owner, asserting that it fails.
async fn fails(server: &Server, function: &str, args: Args<'_>) {
    let result = server.call(function, args).await;
    assert!(
        result.is_err(),
        "{function} {args:?} should fail: {result:?}"
    );
}

fn refused(status: u16, kind: &str) -> (u16, String) {
    (status, kind.to_owned())
}

/// Every `endpoint = "..."` of the panel's server functions, read from their source: a new
/// server function cannot escape the tables below.
fn server_function_endpoints() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/src/server_fns");
    let mut endpoints = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("app/src/server_fns") {
        let source = std::fs::read_to_string(entry.expect("dir entry").path()).expect("source");
        for part in source.split("endpoint = \"").skip(1) {
            let name = part.split('"').next().expect("closing quote");
            endpoints.insert(name.to_owned());
        }
    }
    endpoints
}

/// A secret's value as the panel reveals it to `session` (the Owner when `None`).
async fn reveal(server: &Server, session: Option<&Session>, app: i64, secret: i64) -> Value {
    let session = session.or(server.session.as_ref());
    let (app, secret) = (app.to_string(), secret.to_string());
    let args = [
        ("application_id", app.as_str()),
        ("secret_id", &secret),
        ("purpose", "Reveal"),
    ];
    ok(server, session, "read_secret_value", &args).await
}

/// The Owner's view of everything but values and the audit log: applications, secrets,
/// users, service-account keys and the API key's date.
async fn state(server: &Server) -> Value {
    let mut secrets = Vec::new();
    for (id, _) in server.applications().await {
        let args = [("application_id", id.to_string())];
        let args = args.each_ref().map(|(k, v)| (*k, v.as_str()));
        secrets.push(server.call("list_secrets", &args).await.expect("secrets"));
        secrets.push(
            server
                .call("list_scenarios", &args)
                .await
                .expect("scenarios"),
        );
    }
    let mut state = json!({ "secrets": secrets });
    for function in ["list_applications", "list_users", "get_api_access"] {
        state[function] = server.call(function, &[]).await.expect(function);
    }
    state
}

/// The id of the user called `username`.
async fn user_id(server: &Server, username: &str) -> String {
    let users = server.call("list_users", &[]).await.expect("list_users");
    let users = users.as_array().expect("users");
    let user = users.iter().find(|u| u["username"] == json!(username));
    user.expect("no such user")["id"].to_string()
}

// ---------------------------------------------------------------------------------------------
// Without a session, and without the session's CSRF token
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn without_a_session_or_its_csrf_token_every_server_function_refuses() {
    let (_tmp, server) = crate::support::start_temp().await;
    let owner = server.session.clone().expect("signed in");
    let other = server.sign_in(OWNER, OWNER_PASSWORD).await.expect("second");
    let app = server.create_application("guarded").await;
    let secret = server
        .create_secret(app, "GUARDED", "guarded-value", "")
        .await;
    let viewer = server.create_user("viewer", PASSWORD, "Viewer").await;
    let key = ServiceAccount::create(&server, "Viewer").await;
    let code = "Logger.write(VoxEngine.getSecretValue('GUARDED')); VoxEngine.terminate();";
    let scenario_args = json!({ "application_id": app, "name": "guarded", "code": code });
    let (status, scenario) = server
        .call_json_as(server.session.as_ref(), "create_scenario", &scenario_args)
        .await;
    assert_eq!(status, 200, "{scenario}");
    let (a, s, u) = (app.to_string(), secret.to_string(), viewer.to_string());
    let (a, s, u, k) = (a.as_str(), s.as_str(), u.as_str(), key.key_id.as_str());
    let sc = scenario["id"].as_i64().expect("scenario id").to_string();
    let (status, run) = server
        .call_raw(
            "run_scenario",
            &[("application_id", a), ("scenario_id", &sc)],
        )
        .await;
    assert_eq!(status, 200, "{run}");
    let r = run["summary"]["id"].as_i64().expect("run id").to_string();
    let (sc, r) = (sc.as_str(), r.as_str());

    #[rustfmt::skip]
    let guarded: [(&str, Args); 31] = [
        ("get_api_access", &[]),
        ("create_service_account", &[("role", "Owner"), ("description", "intruder")]),
        ("revoke_service_account", &[("key_id", k)]),
        ("regenerate_api_key", &[]),
        ("list_applications", &[]),
        ("get_application", &[("id", a)]),
        ("create_application", &[("name", "intruder")]),
        ("rename_application", &[("id", a), ("name", "intruder")]),
        ("delete_application", &[("id", a)]),
        ("audit_log", &[]),
        ("list_secrets", &[("application_id", a)]),
        ("create_secret", &[("application_id", a), ("name", "INTRUDER"), ("value", "x"), ("description", "")]),
        ("update_secret", &[("application_id", a), ("secret_id", s), ("name", "INTRUDER"), ("value", "x"), ("description", "x")]),
        ("delete_secret", &[("application_id", a), ("secret_id", s)]),
        ("read_secret_value", &[("application_id", a), ("secret_id", s), ("purpose", "Reveal")]),
        ("sign_out", &[]),
        ("confirm_password", &[("password", OWNER_PASSWORD)]),
        ("change_password", &[("current", OWNER_PASSWORD), ("new", "intruder-password")]),
        ("list_users", &[]),
        ("create_user", &[("username", "intruder"), ("password", "intruder-password"), ("role", "Owner")]),
        ("set_user_role", &[("id", u), ("role", "Owner")]),
        ("set_user_disabled", &[("id", u), ("disabled", "true")]),
        ("reset_user_password", &[("id", u), ("password", "intruder-password")]),
        ("list_scenarios", &[("application_id", a)]),
        ("get_scenario", &[("application_id", a), ("scenario_id", sc)]),
        ("create_scenario", &[("application_id", a), ("name", "intruder"), ("code", "VoxEngine.terminate();")]),
        ("update_scenario", &[("application_id", a), ("scenario_id", sc), ("name", "intruder"), ("code", "x")]),
        ("delete_scenario", &[("application_id", a), ("scenario_id", sc)]),
        ("run_scenario", &[("application_id", a), ("scenario_id", sc)]),
        ("list_runs", &[("application_id", a), ("scenario_id", sc)]),
        ("get_run", &[("application_id", a), ("scenario_id", sc), ("run_id", r)]),
    ];
    #[rustfmt::skip]
    let public: [(&str, Args); 4] = [
        ("sign_in", &[("username", OWNER), ("password", OWNER_PASSWORD)]),
        ("sign_in_state", &[]),
        ("current_user", &[]),
        ("complete_setup", &[("code", "AAAAA-AAAAA-AAAAA-AAAAA"), ("username", "intruder"), ("password", "intruder-password")]),
    ];
    let listed: BTreeSet<String> = guarded
        .iter()
        .chain(&public)
        .map(|(name, _)| (*name).to_owned())
        .collect();
    assert_eq!(listed, server_function_endpoints(), "a function is missing");
    assert_eq!(listed.len(), guarded.len() + public.len(), "listed twice");
    assert!(public.iter().all(|(name, _)| PUBLIC.contains(name)));

    let before = state(&server).await;
    let audit_before = audit_records(&server, &[]).await;

    // Signed out (with the header the panel sends then): 401 Unauthorized. A forged cookie
    // names no session either.
    let forged = "strongroom_session=forged-token; strongroom_csrf=forged";
    for (function, args) in guarded {
        for cookie in [None, Some(forged)] {
            let mut headers = vec![("x-csrf-token", "-")];
            headers.extend(cookie.map(|c| ("cookie", c)));
            let response = server.post_api(function, args, &headers).await;
            let (status, body) = status_and_body(response).await;
            assert_eq!(
                (status, kind(status, &body)),
                refused(401, "Unauthorized"),
                "{function} signed out (cookie {cookie:?}): {body}"
            );
        }
    }

    // With the Owner's cookie but not its CSRF token, or signed out without the header: the
    // session layer refuses before any function runs, the public ones too.
    let cookie = owner.cookie();
    let cookie = ("cookie", cookie.as_str());
    let without_token: [&[(&str, &str)]; 6] = [
        &[cookie],
        &[cookie, ("x-csrf-token", "-")],
        &[cookie, ("x-csrf-token", "")],
        &[cookie, ("x-csrf-token", &other.csrf)],
        &[cookie, ("x-csrf-token", &owner.token)],
        &[],
    ];
    for (function, args) in guarded.iter().chain(&public) {
        for headers in without_token {
            let response = server.post_api(function, args, headers).await;
            let set_cookie = response.headers().contains_key("set-cookie");
            let (status, body) = status_and_body(response).await;
            assert_eq!(status, 403, "{function} with {headers:?}: {body}");
            assert!(
                body.as_str().is_some_and(|text| text.contains("CSRF")),
                "{function}: {body}"
            );
            assert!(!set_cookie, "{function} set a cookie while refusing");
        }
    }

    // Nothing changed, nothing was recorded, and both Owner sessions still work.
    assert_eq!(state(&server).await, before);
    assert_eq!(audit_records(&server, &[]).await, audit_before);
    let value = reveal(&server, Some(&owner), app, secret).await;
    assert_eq!(value, json!("guarded-value"));
    for session in [&owner, &other] {
        let me = ok(&server, Some(session), "current_user", &[]).await;
        assert_eq!(me["username"], json!(OWNER));
    }
    let viewer = server.sign_in("viewer", PASSWORD).await;
    assert!(viewer.is_ok(), "the Viewer's password changed: {viewer:?}");
}

// ---------------------------------------------------------------------------------------------
// Roles, in the panel and in the Management API
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn each_role_may_do_exactly_its_share() {
    let (_tmp, server) = crate::support::start_temp().await;
    let app = server.create_application("roles").await;
    let secret = server
        .create_secret(app, "SHARED", "shared-value", "")
        .await;
    let target = server.create_user("target", PASSWORD, "Viewer").await;
    let key = ServiceAccount::create(&server, "Developer").await;
    let mut sessions = Vec::new();
    for (name, role) in [
        ("viewer", "Viewer"),
        ("developer", "Developer"),
        ("admin", "Admin"),
    ] {
        server.create_user(name, PASSWORD, role).await;
        sessions.push(server.sign_in(name, PASSWORD).await.expect("sign in"));
    }
    let [viewer, developer, admin] = <[Session; 3]>::try_from(sessions).expect("three");
    let (a, s, u) = (app.to_string(), secret.to_string(), target.to_string());
    let (a, s, u, k) = (a.as_str(), s.as_str(), u.as_str(), key.key_id.as_str());

    #[rustfmt::skip]
    let owner_only: [(&str, Args); 5] = [
        ("list_users", &[]),
        ("create_user", &[("username", "by-lower-role"), ("password", "lower-role-password"), ("role", "Viewer")]),
        ("set_user_role", &[("id", u), ("role", "Admin")]),
        ("set_user_disabled", &[("id", u), ("disabled", "true")]),
        ("reset_user_password", &[("id", u), ("password", "lower-role-password")]),
    ];
    #[rustfmt::skip]
    let admin_up: [(&str, Args); 8] = [
        ("create_application", &[("name", "by-lower-role")]),
        ("rename_application", &[("id", a), ("name", "by-lower-role")]),
        ("delete_application", &[("id", a)]),
        ("get_api_access", &[]),
        ("create_service_account", &[("role", "Viewer"), ("description", "by lower role")]),
        ("revoke_service_account", &[("key_id", k)]),
        ("regenerate_api_key", &[]),
        ("audit_log", &[]),
    ];
    #[rustfmt::skip]
    let developer_up: [(&str, Args); 6] = [
        ("read_secret_value", &[("application_id", a), ("secret_id", s), ("purpose", "Reveal")]),
        ("read_secret_value", &[("application_id", a), ("secret_id", s), ("purpose", "Copy")]),
        ("create_secret", &[("application_id", a), ("name", "BY_VIEWER"), ("value", "x"), ("description", "")]),
        ("update_secret", &[("application_id", a), ("secret_id", s), ("name", "SHARED"), ("value", "by-viewer"), ("description", "by viewer")]),
        ("update_secret", &[("application_id", a), ("secret_id", s), ("name", "RENAMED_BY_VIEWER"), ("value", ""), ("description", "")]),
        ("delete_secret", &[("application_id", a), ("secret_id", s)]),
    ];
    // Nobody hands out a role above their own: for an Admin, an Owner key or the legacy API
    // key (which acts as an Owner).
    #[rustfmt::skip]
    let above_admin: [(&str, Args); 2] = [
        ("create_service_account", &[("role", "Owner"), ("description", "by admin")]),
        ("regenerate_api_key", &[]),
    ];
    let refusals = [
        (
            "viewer",
            &viewer,
            [&owner_only[..], &admin_up, &developer_up].concat(),
        ),
        (
            "developer",
            &developer,
            [&owner_only[..], &admin_up].concat(),
        ),
        ("admin", &admin, [&owner_only[..], &above_admin].concat()),
    ];
    let before = state(&server).await;
    for (name, session, calls) in &refusals {
        for (function, args) in calls {
            assert_eq!(
                outcome(&server, Some(*session), function, args).await,
                refused(403, "Forbidden"),
                "{function} {args:?} by {name}"
            );
        }
    }
    assert_eq!(
        state(&server).await,
        before,
        "a refused call changed something"
    );
    let value = reveal(&server, None, app, secret).await;
    assert_eq!(value, json!("shared-value"));
    // Each refusal (for lack of a permission, or a role above one's own) left a `denied`
    // record naming who and what.
    let mut seen: Vec<(String, String)> = audit_records(&server, &[("action", "denied")])
        .await
        .iter()
        .map(|r| (r["actor"].to_string(), r["target"].to_string()))
        .collect();
    let mut wanted: Vec<(String, String)> = Vec::new();
    for (name, calls) in [
        ("viewer", &refusals[0].2),
        ("developer", &refusals[1].2),
        ("admin", &refusals[2].2),
    ] {
        let denied = |(function, _): &(&str, Args)| {
            (
                json!(name).to_string(),
                json!(format!("/api/{function}")).to_string(),
            )
        };
        wanted.extend(calls.iter().map(denied));
    }
    seen.sort();
    wanted.sort();
    assert_eq!(seen, wanted);

    // Everyone sees metadata, never a value in it.
    for session in [&viewer, &developer, &admin] {
        let args = [("application_id", a)];
        let page = ok(&server, Some(session), "list_secrets", &args).await;
        assert_eq!(page["items"][0]["name"], json!("SHARED"));
        assert!(!page.to_string().contains("shared-value"));
        let apps = ok(&server, Some(session), "list_applications", &[]).await;
        assert_eq!(apps[0]["name"], json!("roles"));
        ok(&server, Some(session), "get_application", &[("id", a)]).await;
    }

    // A Developer reads (within the step-up window of signing in) and writes secrets.
    let dev = Some(&developer);
    for purpose in ["Reveal", "Copy"] {
        let args = [
            ("application_id", a),
            ("secret_id", s),
            ("purpose", purpose),
        ];
        let value = ok(&server, dev, "read_secret_value", &args).await;
        assert_eq!(value, json!("shared-value"));
    }
    #[rustfmt::skip]
    let created = ok(&server, dev, "create_secret", &[("application_id", a), ("name", "BY_DEVELOPER"), ("value", "dev-value"), ("description", "")]).await;
    let made = created["id"].to_string();
    #[rustfmt::skip]
    ok(&server, dev, "update_secret", &[("application_id", a), ("secret_id", &made), ("name", "BY_DEVELOPER"), ("value", "dev-value-2"), ("description", "d")]).await;
    let read = [
        ("application_id", a),
        ("secret_id", &made),
        ("purpose", "Copy"),
    ];
    let value = ok(&server, dev, "read_secret_value", &read).await;
    assert_eq!(value, json!("dev-value-2"));
    ok(&server, dev, "delete_secret", &read[..2]).await;
    assert_eq!(server.secret_names(app).await, ["SHARED"]);

    // An Admin manages applications and keys up to Admin, and reads the audit log.
    let adm = Some(&admin);
    let made = ok(&server, adm, "create_application", &[("name", "by-admin")]).await;
    let made = made["id"].to_string();
    let args = [("id", made.as_str()), ("name", "by-admin-2")];
    ok(&server, adm, "rename_application", &args).await;
    ok(&server, adm, "delete_application", &args[..1]).await;
    for role in ["Admin", "Developer", "Viewer"] {
        let args = [("role", role), ("description", "by admin")];
        let credentials = ok(&server, adm, "create_service_account", &args).await;
        assert!(credentials["private_key"].is_string(), "{role}");
    }
    let page = ok(&server, adm, "audit_log", &[("limit", "1")]).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));

    // A new role applies to a live session at once.
    let id = user_id(&server, "developer").await;
    let args = [("id", id.as_str()), ("role", "Viewer")];
    server.call("set_user_role", &args).await.expect("demote");
    let args = [
        ("application_id", a),
        ("secret_id", s),
        ("purpose", "Reveal"),
    ];
    let read = outcome(&server, dev, "read_secret_value", &args).await;
    assert_eq!(read, refused(403, "Forbidden"));

    // The Management API: a Viewer key may list and nothing else; a Developer key may do all.
    let viewer_api = ServiceAccount::create(&server, "Viewer").await.api(&server);
    let (in_app, by_id) = (("application_id", a), ("secret_id", s));
    assert_ok(&viewer_api.call("GetSecrets", &[in_app]).await);
    assert_ok(&viewer_api.call("GetApplications", &[]).await);
    #[rustfmt::skip]
    let forbidden: [(&str, Args); 4] = [
        ("GetSecretValue", &[in_app, by_id]),
        ("AddSecret", &[in_app, ("secret_name", "BY_VIEWER_KEY"), ("secret_value", "x")]),
        ("SetSecretInfo", &[in_app, by_id, ("secret_value", "by-viewer-key")]),
        ("DelSecret", &[in_app, by_id]),
    ];
    for (method, params) in forbidden {
        let body = viewer_api.call(method, params).await;
        assert_error(&body, 104);
        assert!(!body.to_string().contains("shared-value"), "{body}");
    }
    assert_eq!(server.secret_names(app).await, ["SHARED"]);
    assert_eq!(
        reveal(&server, None, app, secret).await,
        json!("shared-value")
    );
    let developer_api = key.api(&server);
    let body = developer_api.call("GetSecretValue", &[in_app, by_id]).await;
    assert_eq!(
        body["result"][0]["secret_value"],
        json!("shared-value"),
        "{body}"
    );
    let params = [in_app, ("secret_name", "BY_DEV_KEY"), ("secret_value", "x")];
    assert_ok(&developer_api.call("AddSecret", &params).await);
    assert_eq!(server.secret_names(app).await, ["SHARED", "BY_DEV_KEY"]);
}

// ---------------------------------------------------------------------------------------------
// Cross-site requests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn cross_site_requests_and_foreign_csrf_tokens_are_refused() {
    let (_tmp, server) = crate::support::start_temp().await;
    let owner = server.session.clone().expect("signed in");
    let other = server.sign_in(OWNER, OWNER_PASSWORD).await.expect("second");
    let cookie = owner.cookie();
    let (cookie, token) = (
        ("cookie", cookie.as_str()),
        ("x-csrf-token", owner.csrf.as_str()),
    );
    #[rustfmt::skip]
    let cases: [(&str, Args); 6] = [
        ("a foreign origin", &[cookie, token, ("origin", "http://evil.example")]),
        ("an opaque origin", &[cookie, token, ("origin", "null")]),
        ("a cross-site fetch", &[cookie, token, ("sec-fetch-site", "cross-site")]),
        ("a same-site fetch", &[cookie, token, ("sec-fetch-site", "same-site")]),
        ("no CSRF header", &[cookie]),
        ("another session's CSRF token", &[cookie, ("x-csrf-token", &other.csrf)]),
    ];
    for (case, headers) in cases {
        let args = [("name", "cross-site")];
        let response = server.post_api("create_application", &args, headers).await;
        let (status, body) = status_and_body(response).await;
        assert_eq!(status, 403, "{case}: {body}");
    }
    assert!(
        server.applications().await.is_empty(),
        "a refused request changed something"
    );

    // Signing in from another site is refused too (no login CSRF), and starts no session.
    let args = [("username", OWNER), ("password", OWNER_PASSWORD)];
    let headers = [("x-csrf-token", "-"), ("origin", "http://evil.example")];
    let response = server.post_api("sign_in", &args, &headers).await;
    assert!(!response.headers().contains_key("set-cookie"));
    assert_eq!(response.status(), 403);
    let sign_ins = audit_records(&server, &[("action", "sign_in")]).await;
    assert_eq!(sign_ins.len(), 2, "the two sign-ins above, no more");

    // The session's own token, from the panel's own origin or from a client that sends no
    // Origin (a script, not a browser): accepted.
    let own = ("origin", server.base.as_str());
    let accepted: [(&str, Args); 2] = [
        ("same-origin", &[cookie, token, own]),
        ("no-origin", &[cookie, token]),
    ];
    for (name, headers) in accepted {
        let args = [("name", name)];
        let response = server.post_api("create_application", &args, headers).await;
        let (status, body) = status_and_body(response).await;
        assert_eq!(status, 200, "{name}: {body}");
    }
    let names: Vec<String> = server
        .applications()
        .await
        .into_iter()
        .map(|a| a.1)
        .collect();
    assert_eq!(names, ["no-origin", "same-origin"]);
}

// ---------------------------------------------------------------------------------------------
// Throttling
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn repeated_failures_throttle_sign_in_per_account_and_per_address() {
    let (_tmp, server) = crate::support::start_temp().await;
    for name in ["alice", "bob", "carol"] {
        server.create_user(name, PASSWORD, "Viewer").await;
    }
    let attempt = |name: &'static str, password: &'static str| {
        let server = &server;
        async move {
            let args = [("username", name), ("password", password)];
            outcome(server, None, "sign_in", &args).await
        }
    };
    let failed = refused(401, "SignInFailed");
    let throttled = refused(429, "Throttled");

    // Five failures for alice; then even her right password is refused, however spelt.
    for _ in 0..5 {
        assert_eq!(attempt("alice", "wrong-password-0").await, failed);
    }
    assert_eq!(attempt("alice", PASSWORD).await, throttled);
    assert_eq!(attempt("ALICE", PASSWORD).await, throttled);
    let args = [("username", "alice"), ("password", PASSWORD)];
    let (_, body) = server.call_as(None, "sign_in", &args).await;
    let message = body["Throttled"].as_str().expect("message");
    assert!(message.contains("15 minutes"), "{message}");
    // Each checked password is recorded, the one that started the lock saying so; the
    // refusals only count. Another user is not affected.
    let records = audit_records(&server, &[("actor", "alice")]).await;
    let details: Vec<&str> = records
        .iter()
        .filter_map(|r| r["detail"].as_str())
        .collect();
    let lock = "5 failures: this account is locked for this address for 15 minutes";
    assert_eq!(details, [lock, "", "", "", ""]);
    assert!(records.iter().all(|r| r["outcome"] == json!("failure")));
    assert!(
        server.sign_in("bob", PASSWORD).await.is_ok(),
        "bob is throttled"
    );

    // A successful sign-in starts the count again: four failures, a success, four more.
    for round in 0..2 {
        for _ in 0..4 {
            assert_eq!(
                attempt("carol", "wrong-password-1").await,
                failed,
                "{round}"
            );
        }
        assert_eq!(attempt("carol", PASSWORD).await.0, 200, "round {round}");
    }

    // 5 + 8 failures from this address so far; seven more make twenty, and then nobody signs
    // in from it, not even with the right password.
    for name in ["g-0", "g-1", "g-2", "g-3", "g-4", "g-5", "g-6"] {
        assert_eq!(attempt(name, "wrong-password-2").await, failed, "{name}");
    }
    assert_eq!(attempt("bob", PASSWORD).await, throttled);
    assert_eq!(attempt(OWNER, OWNER_PASSWORD).await, throttled);
    // A session that exists keeps working.
    assert!(server.call("list_users", &[]).await.is_ok());
}

// ---------------------------------------------------------------------------------------------
// Sessions end when they must
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn disabling_resetting_changing_and_signing_out_end_sessions_at_once() {
    let (_tmp, server) = crate::support::start_temp().await;
    for name in ["dave", "eve", "frank", "gina"] {
        server.create_user(name, PASSWORD, "Viewer").await;
    }
    let sign_in = |name: &'static str, password: &'static str| {
        let server = &server;
        async move {
            let result = server.sign_in(name, password).await;
            result.map_err(|(status, body)| (status, kind(status, &body)))
        }
    };
    let works = |session: &Session| {
        let (server, session) = (&server, session.clone());
        async move { outcome(server, Some(&session), "list_applications", &[]).await }
    };
    let (live, ended) = (refused(200, "ok"), refused(401, "Unauthorized"));
    let wrong_password = Err(refused(401, "SignInFailed"));

    // Disabling: the live session ends, and the right password no longer signs in.
    let dave = user_id(&server, "dave").await;
    let d1 = sign_in("dave", PASSWORD).await.expect("dave");
    assert_eq!(works(&d1).await, live);
    let args = [("id", dave.as_str()), ("disabled", "true")];
    let user = server.call("set_user_disabled", &args).await;
    assert_eq!(user.expect("disable")["disabled"], json!(true));
    assert_eq!(works(&d1).await, ended);
    assert_eq!(sign_in("dave", PASSWORD).await.map(|_| ()), wrong_password);
    let args = [("id", dave.as_str()), ("disabled", "false")];
    server
        .call("set_user_disabled", &args)
        .await
        .expect("enable");
    let d2 = sign_in("dave", PASSWORD).await.expect("enabled again");
    assert_eq!(works(&d2).await, live);
    assert_eq!(works(&d1).await, ended, "enabling revived an old session");

    // A password reset ends every session of that user; only the new password works.
    let eve = user_id(&server, "eve").await;
    let e1 = sign_in("eve", PASSWORD).await.expect("eve");
    let e2 = sign_in("eve", PASSWORD).await.expect("eve again");
    let args = [("id", eve.as_str()), ("password", "eve-new-password")];
    let reset = server.call("reset_user_password", &args).await;
    assert_eq!(reset, Ok(Value::Null));
    assert_eq!(
        (works(&e1).await, works(&e2).await),
        (ended.clone(), ended.clone())
    );
    assert_eq!(sign_in("eve", PASSWORD).await.map(|_| ()), wrong_password);
    assert!(sign_in("eve", "eve-new-password").await.is_ok());

    // Changing one's own password keeps this session and ends the others.
    let f1 = sign_in("frank", PASSWORD).await.expect("frank");
    let f2 = sign_in("frank", PASSWORD).await.expect("frank again");
    let args = [
        ("current", "not-the-password"),
        ("new", "frank-new-password"),
    ];
    let wrong = outcome(&server, Some(&f1), "change_password", &args).await;
    assert_eq!(wrong, refused(422, "Invalid"));
    assert_eq!(works(&f2).await, live, "a refused change ended a session");
    let args = [("current", PASSWORD), ("new", "frank-new-password")];
    ok(&server, Some(&f1), "change_password", &args).await;
    assert_eq!(
        (works(&f1).await, works(&f2).await),
        (live.clone(), ended.clone())
    );
    let me = ok(&server, Some(&f1), "current_user", &[]).await;
    assert_eq!(me["username"], json!("frank"));
    assert_eq!(sign_in("frank", PASSWORD).await.map(|_| ()), wrong_password);
    assert!(sign_in("frank", "frank-new-password").await.is_ok());

    // Signing out ends this session only, and clears its cookies.
    let g1 = sign_in("gina", PASSWORD).await.expect("gina");
    let g2 = sign_in("gina", PASSWORD).await.expect("gina again");
    let cookie = g1.cookie();
    let headers = [
        ("cookie", cookie.as_str()),
        ("x-csrf-token", g1.csrf.as_str()),
    ];
    let response = server.post_api("sign_out", &[], &headers).await;
    assert_eq!(response.status(), 200);
    let cleared: Vec<&str> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(cleared.len(), 2, "{cleared:?}");
    let empty = |c: &&str| c.contains("=;") && c.contains("Max-Age=0");
    assert!(cleared.iter().all(empty), "{cleared:?}");
    assert_eq!(works(&g1).await, ended);
    assert_eq!(outcome(&server, Some(&g1), "sign_out", &[]).await, ended);
    let me = ok(&server, Some(&g1), "current_user", &[]).await;
    assert_eq!(me, Value::Null);
    assert_eq!(works(&g2).await, live);

    // No one changes their own role or disables themselves (the last Owner could lock all out).
    let own = user_id(&server, OWNER).await;
    let session = server.session.as_ref();
    for (function, args) in [
        ("set_user_role", [("id", own.as_str()), ("role", "Viewer")]),
        (
            "set_user_disabled",
            [("id", own.as_str()), ("disabled", "true")],
        ),
    ] {
        let answer = outcome(&server, session, function, &args).await;
        assert_eq!(answer, refused(403, "Forbidden"), "{function}");
    }
    let users = server.call("list_users", &[]).await.expect("users");
    let owner = users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == json!(OWNER));
    let owner = owner.expect("owner");
    assert_eq!(
        (&owner["role"], &owner["disabled"]),
        (&json!("Owner"), &json!(false))
    );
}

// ---------------------------------------------------------------------------------------------
// Step-up: revealing needs a recent password
// ---------------------------------------------------------------------------------------------

/// The secret named by `secret` (its `application_id` and `secret_id`) read as `session` for
/// `purpose`: `(200, value)`, or the status and the refusal's `kind`.
async fn read_value(
    server: &Server,
    session: &Session,
    secret: Args<'_>,
    purpose: &str,
) -> (u16, Value) {
    let mut args = secret.to_vec();
    args.push(("purpose", purpose));
    let (status, body) = server
        .call_as(Some(session), "read_secret_value", &args)
        .await;
    let body = if status == 200 {
        body
    } else {
        json!(kind(status, &body))
    };
    (status, body)
}

#[tokio::test]
async fn revealing_needs_a_password_typed_within_the_step_up_window() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    // The calls meant to fall inside the window run under a long one, so that no machine is
    // too slow for them; the expiry is shown under a short one, waited out.
    let mut server = start_with_window(&data, LONG_WINDOW_SECS).await;
    let app = server.create_application("step-up").await;
    let secret = server
        .create_secret(app, "GUARDED", "step-up-value", "")
        .await;
    let other = server.sign_in(OWNER, OWNER_PASSWORD).await.expect("second");
    let owner = server.sign_in(OWNER, OWNER_PASSWORD).await.expect("fresh");
    let signed_in = Instant::now();
    let (a, s) = (app.to_string(), secret.to_string());
    let guarded = [("application_id", a.as_str()), ("secret_id", s.as_str())];
    let value = (200, json!("step-up-value"));
    let stale = (403, json!("PasswordRequired"));

    assert_eq!(
        read_value(&server, &owner, &guarded, "Reveal").await,
        value,
        "right after signing in (window {LONG_WINDOW_SECS} s)"
    );

    // Once the window has passed, neither revealing nor copying works. The same data
    // (sessions included) under a short window, waited out.
    assert!(server.stop().success());
    let other_before = password_at(&data, &other).await;
    let owner_before = password_at(&data, &owner).await;
    let mut server = start_with_window(&data, SHORT_WINDOW_SECS).await;
    tokio::time::sleep_until(surely_stale_after(signed_in, SHORT_WINDOW_SECS).into()).await;
    assert_eq!(read_value(&server, &owner, &guarded, "Reveal").await, stale);
    assert_eq!(read_value(&server, &owner, &guarded, "Copy").await, stale);
    // Metadata needs no password, even in a session whose password is stale.
    let args = [("application_id", a.as_str())];
    let (status, body) = server.call_as(Some(&owner), "list_secrets", &args).await;
    assert_eq!(status, 200, "{body}");

    // A wrong password does not renew the window; the right one does, for this session only.
    let wrong = [("password", "not-the-password")];
    let answer = outcome(&server, Some(&owner), "confirm_password", &wrong).await;
    assert_eq!(answer, refused(401, "Invalid"));
    assert_eq!(read_value(&server, &owner, &guarded, "Reveal").await, stale);
    // The read above is stale on a slow machine whatever the wrong password did: the stored
    // password time shows that it renewed nothing.
    assert!(server.stop().success());
    let after_wrong = password_at(&data, &owner).await;
    assert_eq!(
        after_wrong, owner_before,
        "a wrong password renewed the session"
    );
    let mut server = start_with_window(&data, SHORT_WINDOW_SECS).await;
    let confirming = now();
    let right = [("password", OWNER_PASSWORD)];
    let answer = outcome(&server, Some(&owner), "confirm_password", &right).await;
    assert_eq!(answer, refused(200, "ok"));
    assert_eq!(
        read_value(&server, &other, &guarded, "Reveal").await,
        stale,
        "another session was renewed"
    );

    // Which sessions the right password renewed, read from the stopped server's database:
    // under the long window below, both sign-ins would still be fresh, so no call shows it.
    assert!(server.stop().success());
    let owner_at = password_at(&data, &owner).await;
    assert!(
        owner_at >= confirming,
        "password time {owner_at}, confirmed at {confirming} or later"
    );
    let other_at = password_at(&data, &other).await;
    assert_eq!(other_at, other_before, "another session was renewed");

    // Within the window, this session reveals and copies again.
    let server = start_with_window(&data, LONG_WINDOW_SECS).await;
    let within = format!("after confirming (window {LONG_WINDOW_SECS} s)");
    let reveal = read_value(&server, &owner, &guarded, "Reveal").await;
    assert_eq!(reveal, value, "{within}");
    let copy = read_value(&server, &owner, &guarded, "Copy").await;
    assert_eq!(copy, value, "{within}");

    // Only the reads that happened were recorded as reads.
    let field = |r: &Value, name: &str| r[name].as_str().expect("text").to_owned();
    let reads = audit_records(&server, &[("action", "secret.read")]).await;
    let details: Vec<String> = reads.iter().map(|r| field(r, "detail")).collect();
    assert_eq!(details, ["copy", "reveal", "reveal"]);
    let confirms = audit_records(&server, &[("action", "password.confirm")]).await;
    let outcomes: Vec<String> = confirms.iter().map(|r| field(r, "outcome")).collect();
    assert_eq!(outcomes, ["success", "failure"]);
}

// ---------------------------------------------------------------------------------------------
// The audit log: exactly one record per audited action
// ---------------------------------------------------------------------------------------------

/// The audit log, read since the last check.
struct AuditLog<'a> {
    server: &'a Server,
    last_id: i64,
    started: i64,
}

impl<'a> AuditLog<'a> {
    /// `started`: a time before the server started.
    fn new(server: &'a Server, started: i64) -> Self {
        AuditLog {
            server,
            last_id: 0,
            started,
        }
    }

    /// Asserts that exactly `expected` (oldest first) was recorded since the last check.
    async fn expect(&mut self, what: &str, expected: &[Value]) {
        let all = audit_records(self.server, &[]).await;
        let id = |r: &Value| r["id"].as_i64().expect("id");
        let mut new: Vec<Value> = all.into_iter().filter(|r| id(r) > self.last_id).collect();
        new.reverse();
        self.last_id = new.last().map_or(self.last_id, id);
        let times = self.started - 1..=now() + 1;
        for record in new.iter_mut().map(|r| r.as_object_mut().expect("record")) {
            let at = record.remove("at").and_then(|at| at.as_i64());
            assert!(
                at.is_some_and(|at| times.contains(&at)),
                "{what}: at {at:?}"
            );
            record.remove("id");
        }
        assert_eq!(new, expected, "{what}");
    }
}

/// Who an expected record names: a user in the panel, or a credential of the API.
fn user(name: &str) -> Value {
    json!({ "actor_kind": "user", "actor": name, "source": "panel", "client_ip": "127.0.0.1" })
}

fn key(kind: &str, name: &str) -> Value {
    json!({ "actor_kind": kind, "actor": name, "source": "api", "client_ip": "127.0.0.1" })
}

/// A whole expected record but its id and time: the actor (`user` or `key`), action,
/// outcome, and any other fields, which are empty otherwise.
fn rec(actor: &Value, action: &str, outcome: &str, fields: Value) -> Value {
    let mut record = json!({
        "action": action, "outcome": outcome,
        "application_id": null, "application_name": null,
        "secret_id": null, "secret_name": null,
        "target": null, "detail": "",
    });
    for source in [actor, &fields] {
        for (k, v) in source.as_object().expect("fields") {
            record[k] = v.clone();
        }
    }
    record
}

#[tokio::test]
#[rustfmt::skip]
async fn every_audited_action_leaves_exactly_its_record() {
    let started = now();
    let (_tmp, server) = crate::support::start_temp().await;
    let mut audit = AuditLog::new(&server, started);
    let owner = user(OWNER);
    let system = json!({ "actor_kind": "system", "actor": "environment", "source": "cli", "client_ip": null });
    audit.expect("start-up", &[
        rec(&system, "setup", "success", json!({ "target": OWNER, "detail": "first Owner from STRONGROOM_ADMIN_USER" })),
        rec(&owner, "sign_in", "success", json!({ "target": OWNER })),
    ]).await;

    // Applications. A failed or empty change records nothing.
    let app = server.create_application("ledger").await;
    let a = app.to_string();
    let in_app = |name: &str, detail: &str| json!({ "application_id": app, "application_name": name, "detail": detail });
    audit.expect("create application", &[rec(&owner, "application.create", "success", in_app("ledger", ""))]).await;
    fails(&server, "create_application", &[("name", "ledger")]).await;
    audit.expect("a taken name", &[]).await;
    server.call("rename_application", &[("id", &a), ("name", "books")]).await.expect("rename");
    audit.expect("rename application", &[rec(&owner, "application.rename", "success", in_app("books", "renamed from ledger"))]).await;
    server.call("rename_application", &[("id", &a), ("name", "books")]).await.expect("same name");
    audit.expect("the same name", &[]).await;

    // Secrets: create, new value, new description, rename, reveal, copy.
    let secret = server.create_secret(app, "TOKEN", "audit-value-1", "").await;
    let s = secret.to_string();
    let in_secret = |name: &str, detail: &str| json!({ "application_id": app, "application_name": "books", "secret_id": secret, "secret_name": name, "detail": detail });
    audit.expect("create secret", &[rec(&owner, "secret.create", "success", in_secret("TOKEN", ""))]).await;
    for (name, value, description, action, detail) in [
        ("TOKEN", "audit-value-2", "", "secret.update", "changed value"),
        ("TOKEN", "", "what it is", "secret.update", "changed description"),
        ("KEY", "", "what it is", "secret.rename", "changed name (was TOKEN)"),
        ("KEY", "audit-value-3", "new words", "secret.update", "changed value, description"),
    ] {
        let args = [("application_id", a.as_str()), ("secret_id", &s), ("name", name), ("value", value), ("description", description)];
        server.call("update_secret", &args).await.expect("update_secret");
        audit.expect(detail, &[rec(&owner, action, "success", in_secret(name, detail))]).await;
    }
    fails(&server, "create_secret", &[("application_id", &a), ("name", "KEY"), ("value", "x"), ("description", "")]).await;
    audit.expect("a taken secret name", &[]).await;
    for purpose in ["Reveal", "Copy"] {
        let args = [("application_id", a.as_str()), ("secret_id", &s), ("purpose", purpose)];
        server.call("read_secret_value", &args).await.expect("read");
        audit.expect(purpose, &[rec(&owner, "secret.read", "success", in_secret("KEY", &purpose.to_lowercase()))]).await;
    }

    // The Management API: a service-account key and the legacy key read; a list is no read;
    // a Viewer key is denied.
    let developer_key = ServiceAccount::create(&server, "Developer").await;
    let dk = developer_key.key_id.clone();
    audit.expect("create key", &[rec(&owner, "service_account.create", "success", json!({ "target": dk, "detail": "role Developer" }))]).await;
    let api = developer_key.api(&server);
    assert_ok(&api.call("GetSecrets", &[("application_id", &a)]).await);
    audit.expect("list by API", &[]).await;
    assert_ok(&api.call("GetSecretValue", &[("application_id", &a), ("secret_id", &s)]).await);
    audit.expect("API read", &[rec(&key("service_account", &dk), "secret.read", "success", in_secret("KEY", "GetSecretValue"))]).await;
    let legacy = Api::legacy(&server).await;
    audit.expect("regenerate", &[rec(&owner, "api_key.regenerate", "success", json!({ "target": "api key" }))]).await;
    assert_ok(&legacy.call("GetSecretValue", &[("application_id", &a), ("secret_name", "KEY")]).await);
    audit.expect("legacy read", &[rec(&key("api_key", "api key"), "secret.read", "success", in_secret("KEY", "GetSecretValue"))]).await;
    let viewer_key = ServiceAccount::create(&server, "Viewer").await;
    let vk = viewer_key.key_id.clone();
    audit.expect("create viewer key", &[rec(&owner, "service_account.create", "success", json!({ "target": vk, "detail": "role Viewer" }))]).await;
    assert_error(&viewer_key.api(&server).call("AddSecret", &[("application_id", &a), ("secret_name", "NO"), ("secret_value", "x")]).await, 104);
    audit.expect("API denied", &[rec(&key("service_account", &vk), "denied", "denied", json!({ "target": "AddSecret", "detail": "role Viewer" }))]).await;

    // Users, and what a user does with their own session.
    let carol = server.create_user("carol", PASSWORD, "Viewer").await.to_string();
    let (by_carol, about_carol) = (user("carol"), |detail: &str| json!({ "target": "carol", "detail": detail }));
    audit.expect("create user", &[rec(&owner, "user.create", "success", about_carol("role Viewer"))]).await;
    assert!(server.sign_in("Carol", "not-her-password").await.is_err());
    audit.expect("failed sign-in", &[rec(&by_carol, "sign_in", "failure", about_carol(""))]).await;
    let session = server.sign_in("carol", PASSWORD).await.expect("carol");
    audit.expect("sign-in", &[rec(&by_carol, "sign_in", "success", about_carol(""))]).await;
    let args = [("application_id", a.as_str()), ("name", "BY_CAROL"), ("value", "x"), ("description", "")];
    assert_eq!(outcome(&server, Some(&session), "create_secret", &args).await, refused(403, "Forbidden"));
    audit.expect("denied", &[rec(&by_carol, "denied", "denied", json!({ "target": "/api/create_secret", "detail": "role Viewer, needs Developer" }))]).await;
    server.call("set_user_role", &[("id", &carol), ("role", "Developer")]).await.expect("role");
    audit.expect("role", &[rec(&owner, "user.role", "success", about_carol("Viewer -> Developer"))]).await;
    assert_eq!(outcome(&server, Some(&session), "confirm_password", &[("password", "not-her-password")]).await.0, 401);
    audit.expect("wrong step-up", &[rec(&by_carol, "password.confirm", "failure", about_carol(""))]).await;
    ok(&server, Some(&session), "confirm_password", &[("password", PASSWORD)]).await;
    audit.expect("step-up", &[rec(&by_carol, "password.confirm", "success", about_carol(""))]).await;
    ok(&server, Some(&session), "change_password", &[("current", PASSWORD), ("new", OTHER_PASSWORD)]).await;
    audit.expect("own password", &[rec(&by_carol, "password.change", "success", about_carol(""))]).await;
    ok(&server, Some(&session), "sign_out", &[]).await;
    audit.expect("sign-out", &[rec(&by_carol, "sign_out", "success", about_carol(""))]).await;
    for (disabled, action) in [("true", "user.disable"), ("false", "user.enable")] {
        server.call("set_user_disabled", &[("id", &carol), ("disabled", disabled)]).await.expect("disable");
        audit.expect(action, &[rec(&owner, action, "success", about_carol(""))]).await;
    }
    server.call("reset_user_password", &[("id", &carol), ("password", "carol-reset-password")]).await.expect("reset");
    audit.expect("reset", &[rec(&owner, "user.password_reset", "success", about_carol(""))]).await;
    fails(&server, "create_user", &[("username", "CAROL"), ("password", PASSWORD), ("role", "Viewer")]).await;
    audit.expect("a taken username", &[]).await;

    // Revoking and deleting.
    server.call("revoke_service_account", &[("key_id", &dk)]).await.expect("revoke");
    audit.expect("revoke", &[rec(&owner, "service_account.revoke", "success", json!({ "target": dk, "detail": "role Developer" }))]).await;
    server.call("delete_secret", &[("application_id", &a), ("secret_id", &s)]).await.expect("delete");
    audit.expect("delete secret", &[rec(&owner, "secret.delete", "success", in_secret("KEY", ""))]).await;
    fails(&server, "delete_secret", &[("application_id", &a), ("secret_id", &s)]).await;
    audit.expect("deleting it again", &[]).await;
    let last = server.create_secret(app, "LAST", "audit-value-4", "").await;
    audit.expect("another secret", &[rec(&owner, "secret.create", "success", json!({ "application_id": app, "application_name": "books", "secret_id": last, "secret_name": "LAST" }))]).await;
    server.call("delete_application", &[("id", &a)]).await.expect("delete app");
    audit.expect("delete application", &[rec(&owner, "application.delete", "success", in_app("books", "with 1 secrets"))]).await;
}

#[tokio::test]
async fn the_audit_page_pages_by_id_and_filters() {
    let (_tmp, server) = crate::support::start_temp().await;
    let first = server.create_application("first").await;
    server.create_secret(first, "ALPHA", "v", "").await;
    let beta = server.create_secret(first, "BETA", "v", "").await;
    server.create_user("dora", PASSWORD, "Developer").await;
    let dora = server.sign_in("dora", PASSWORD).await.expect("dora");
    for _ in 0..3 {
        reveal(&server, Some(&dora), first, beta).await;
    }
    // The rest in a later second, for the time filters.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = server.create_application("second").await;
    server.create_secret(second, "BETA", "v", "").await;
    server.create_secret(second, "GAMMA", "v", "").await;
    for _ in 0..2 {
        reveal(&server, None, first, beta).await;
    }

    // 15 records: setup, 2 sign-ins, 2 applications, 5 secrets, a user, 5 reads.
    let all = audit_records(&server, &[]).await;
    let ids: Vec<i64> = all.iter().filter_map(|r| r["id"].as_i64()).collect();
    assert_eq!(ids.len(), 15, "{all:?}");
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "not newest first: {ids:?}"
    );

    // Pages of 4: each continues below the last id of the one before, until none is left.
    let mut paged = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut args = vec![("limit", "4")];
        args.extend(before.as_deref().map(|b| ("before", b)));
        let page = server.call("audit_log", &args).await.expect("page");
        let items = page["items"].as_array().expect("items").clone();
        let next = page["next_before"].as_i64();
        assert_eq!(items.len(), if next.is_some() { 4 } else { 3 }, "{page}");
        paged.extend(items);
        match next {
            Some(next) => {
                assert_eq!(paged.last().and_then(|r| r["id"].as_i64()), Some(next));
                before = Some(next.to_string());
            }
            None => break,
        }
    }
    assert_eq!(paged, all, "pages overlap or miss records");

    // Each filter returns exactly the matching records: a real subset, of the expected size.
    let split = all
        .iter()
        .find(|r| {
            r["action"] == json!("application.create") && r["application_name"] == json!("second")
        })
        .and_then(|r| r["at"].as_i64())
        .expect("second application");
    let (since, until) = (split.to_string(), (split - 1).to_string());
    let (since, until) = ([("since", since.as_str())], [("until", until.as_str())]);
    let is = |r: &Value, field: &str, value: &str| r[field] == json!(value);
    type Matches<'f> = Box<dyn Fn(&Value) -> bool + 'f>;
    #[rustfmt::skip]
    let filters: Vec<(Args, Matches, usize)> = vec![
        (&[("actor", "dora")], Box::new(|r: &Value| is(r, "actor", "dora")), 4),
        (&[("action", "secret.read")], Box::new(|r: &Value| is(r, "action", "secret.read")), 5),
        (&[("application", "second")], Box::new(|r: &Value| is(r, "application_name", "second")), 3),
        (&[("application", "second.default.strongroom")], Box::new(|r: &Value| is(r, "application_name", "second")), 3),
        (&[("secret", "BETA")], Box::new(|r: &Value| is(r, "secret_name", "BETA")), 7),
        (&[("application", "first"), ("secret", "BETA")], Box::new(|r: &Value| is(r, "secret_name", "BETA") && is(r, "application_name", "first")), 6),
        (&[("actor", "dora"), ("action", "secret.read")], Box::new(|r: &Value| is(r, "actor", "dora") && is(r, "action", "secret.read")), 3),
        (&since, Box::new(|r: &Value| r["at"].as_i64() >= Some(split)), 5),
        (&until, Box::new(|r: &Value| r["at"].as_i64() < Some(split)), 10),
        (&[("actor", "nobody")], Box::new(|_: &Value| false), 0),
    ];
    for (args, matches, count) in filters {
        let got = audit_records(&server, args).await;
        let want: Vec<Value> = all.iter().filter(|r| matches(r)).cloned().collect();
        assert_eq!(got, want, "{args:?}");
        assert_eq!(got.len(), count, "{args:?}");
    }
    // The filters are typed: an action that does not exist, or a bound that is not a number,
    // is refused with a message naming it, not taken as "any".
    for (args, named) in [
        ([("action", "secret.peek")], "secret.peek"),
        ([("since", "yesterday")], "yesterday"),
    ] {
        let (status, body) = server.call_raw("audit_log", &args).await;
        assert_eq!(status, 400, "{args:?}: {body}");
        assert!(body.to_string().contains(named), "{args:?}: {body}");
    }
    // A filtered page continues with `before` too.
    let page = server
        .call("audit_log", &[("secret", "BETA"), ("limit", "2")])
        .await;
    let page = page.expect("page");
    let next = page["next_before"].as_i64().expect("more").to_string();
    let args = [("secret", "BETA"), ("limit", "500"), ("before", &next)];
    let rest = server.call("audit_log", &args).await.expect("rest");
    let mut joined = page["items"].as_array().expect("items").clone();
    joined.extend(rest["items"].as_array().expect("items").iter().cloned());
    assert_eq!(joined, audit_records(&server, &[("secret", "BETA")]).await);
}

// ---------------------------------------------------------------------------------------------
// Nothing secret in the log or the audit records
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn no_value_or_password_reaches_the_log_or_the_audit_records() {
    const CANARY: &str = "canary-5e1f-Жёлудь-value";
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    let mut server = Server::start_fresh(&data, &[]).await;
    let code = server.setup_code().expect("a setup code in the log");
    let owner_password = "owner-password-7a2c9e";
    let args = [
        ("code", code.as_str()),
        ("username", "root"),
        ("password", owner_password),
    ];
    let response = server
        .post_api("complete_setup", &args, &[("x-csrf-token", "-")])
        .await;
    let owner = crate::support::session_from(response).await.expect("setup");
    server.session = Some(owner.clone());
    // The ASCII part too: a log could escape or percent-encode the rest.
    let mut secrets: Vec<String> = vec![CANARY.into(), "canary-5e1f".into(), owner_password.into()];

    // The canary is stored first, then read every way there is, and replaced.
    let app = server.create_application("canary").await;
    let id = server.create_secret(app, "CANARY", CANARY, "").await;
    let (a, s) = (app.to_string(), id.to_string());
    let (in_app, by_id) = (("application_id", a.as_str()), ("secret_id", s.as_str()));
    for purpose in ["Reveal", "Copy"] {
        let args = [in_app, by_id, ("purpose", purpose)];
        assert_eq!(
            server.call("read_secret_value", &args).await,
            Ok(json!(CANARY))
        );
    }
    let key = ServiceAccount::create(&server, "Developer").await;
    secrets.push(
        key.private_key
            .lines()
            .nth(5)
            .expect("a key line")
            .to_owned(),
    );
    let api = key.api(&server);
    let body = api.call("GetSecretValue", &[in_app, by_id]).await;
    assert_eq!(body["result"][0]["secret_value"], json!(CANARY), "{body}");
    let legacy = Api::legacy(&server).await;
    secrets.push(legacy.key().to_owned());
    let body = legacy
        .call("GetSecretValue", &[in_app, ("secret_name", "CANARY")])
        .await;
    assert_eq!(body["result"][0]["secret_value"], json!(CANARY), "{body}");
    let (by_api, added, by_panel) = ("api-set-value-40b3", "api-added-9c11", "panel-set-d6e8");
    assert_ok(
        &api.call("SetSecretInfo", &[in_app, by_id, ("secret_value", by_api)])
            .await,
    );
    let params = [in_app, ("secret_name", "ADDED"), ("secret_value", added)];
    assert_ok(&api.call("AddSecret", &params).await);
    #[rustfmt::skip]
    let args = [in_app, by_id, ("name", "RENAMED"), ("value", by_panel), ("description", "d")];
    server.call("update_secret", &args).await.expect("update");
    assert_eq!(reveal(&server, None, app, id).await, json!(by_panel));
    secrets.extend([by_api, added, by_panel].map(str::to_owned));

    // Passwords: a user's, wrong ones, a reset one, a changed one, a late setup attempt's.
    let user_pw = "user-password-1b7d";
    let wrong_pw = "wrong-password-88aa";
    let reset_pw = "reset-password-3f0c";
    let changed_pw = "changed-password-c4e2";
    let late_pw = "late-setup-password-61d9";
    let uid = server
        .create_user("uma", user_pw, "Developer")
        .await
        .to_string();
    assert!(server.sign_in("uma", wrong_pw).await.is_err());
    let uma = server.sign_in("uma", user_pw).await.expect("uma");
    ok(
        &server,
        Some(&uma),
        "confirm_password",
        &[("password", user_pw)],
    )
    .await;
    let wrong = outcome(
        &server,
        Some(&uma),
        "confirm_password",
        &[("password", wrong_pw)],
    )
    .await;
    assert_eq!(wrong.0, 401);
    let args = [("id", uid.as_str()), ("password", reset_pw)];
    server
        .call("reset_user_password", &args)
        .await
        .expect("reset");
    let uma = server.sign_in("uma", reset_pw).await.expect("uma again");
    let args = [("current", reset_pw), ("new", changed_pw)];
    ok(&server, Some(&uma), "change_password", &args).await;
    let args = [
        ("code", code.as_str()),
        ("username", "late"),
        ("password", late_pw),
    ];
    assert_eq!(outcome(&server, None, "complete_setup", &args).await.0, 403);
    secrets.extend([user_pw, wrong_pw, reset_pw, changed_pw, late_pw].map(str::to_owned));
    // Session and CSRF tokens are credentials too.
    for session in [&owner, &uma] {
        secrets.extend([session.token.clone(), session.csrf.clone()]);
    }
    assert!(server.stop().success());

    let logs = server.logs();
    assert!(
        logs.contains("DEBUG"),
        "the log is not at debug level:\n{logs}"
    );
    assert!(
        logs.contains(&code),
        "the setup code is missing from the log"
    );
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "{secret:?} is in the log:\n{logs}"
        );
    }
    let store = crate::support::open_store_files(&data).await;
    let query = shared::model::AuditQuery {
        limit: Some(500),
        ..Default::default()
    };
    let page = store.audit_page(&query).await.expect("audit page");
    assert_eq!(page.next_before, None);
    assert!(page.items.len() >= 20, "{} records", page.items.len());
    let reads = page.items.iter().filter(|r| r.action == "secret.read");
    assert_eq!(reads.count(), 5, "{:?}", page.items);
    secrets.push(code);
    for record in &page.items {
        let text = serde_json::to_string(record).expect("record as JSON");
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{secret:?} is in a record: {text}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// First-run setup
// ---------------------------------------------------------------------------------------------

/// Where a page sends a visitor: `(3, Some(location))` for a redirect.
fn redirect(response: &reqwest::Response) -> (u16, Option<String>) {
    let location = response.headers().get("location");
    let location = location.map(|v| v.to_str().expect("ascii").to_owned());
    (response.status().as_u16() / 100, location)
}

#[tokio::test]
async fn first_run_setup_works_once_with_the_code_from_the_log() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    let mut server = Server::start_fresh(&data, &[]).await;
    let code = server.setup_code().expect("a setup code in the log");
    let groups: Vec<&str> = code.split('-').collect();
    assert!(
        groups.len() == 4 && groups.iter().all(|g| g.len() == 5),
        "{code}"
    );
    let setup_state = ok(&server, None, "sign_in_state", &[]).await;
    assert_eq!(setup_state, json!("NeedsSetup"));
    assert_eq!(ok(&server, None, "current_user", &[]).await, Value::Null);
    for (path, to) in [
        ("/", "/setup"),
        ("/sign-in", "/setup"),
        ("/applications", "/setup?next=%2Fapplications"),
    ] {
        let response = server.get_as(None, path).await;
        assert_eq!(redirect(&response), (3, Some(to.to_owned())), "{path}");
    }
    assert_eq!(server.get_as(None, "/setup").await.status(), 200);

    let setup = |code: String, username: &'static str| {
        let server = &server;
        async move {
            let args = [
                ("code", code.as_str()),
                ("username", username),
                ("password", OWNER_PASSWORD),
            ];
            let headers = [("x-csrf-token", "-")];
            server.post_api("complete_setup", &args, &headers).await
        }
    };
    let wrong_code = "AAAAA-BBBBB-CCCCC-DDDDD".to_owned();

    // A wrong code creates no one.
    let (status, body) = status_and_body(setup(wrong_code.clone(), "mallory").await).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Invalid"]["field"], json!("SetupCode"), "{body}");
    let setup_state = ok(&server, None, "sign_in_state", &[]).await;
    assert_eq!(setup_state, json!("NeedsSetup"));
    assert!(server.sign_in("mallory", OWNER_PASSWORD).await.is_err());

    // The right code creates the Owner and signs them in.
    let owner = crate::support::session_from(setup(code.clone(), "first").await).await;
    let owner = owner.expect("setup");
    let me = ok(&server, Some(&owner), "current_user", &[]).await;
    assert_eq!(
        (&me["username"], &me["role"]),
        (&json!("first"), &json!("Owner"))
    );
    let setup_state = ok(&server, None, "sign_in_state", &[]).await;
    assert_eq!(setup_state, json!("Ready"));
    let audit = ok(&server, Some(&owner), "audit_log", &[]).await;
    let fields = |r: &Value| {
        let text = |name: &str| r[name].as_str().unwrap_or("-").to_owned();
        [
            text("action"),
            text("outcome"),
            text("target"),
            text("detail"),
        ]
    };
    let seen: Vec<[String; 4]> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .rev()
        .map(fields)
        .collect();
    let expected = [
        ["setup", "failure", "mallory", "wrong setup code"],
        ["sign_in", "failure", "mallory", ""],
        ["setup", "success", "first", ""],
        ["sign_in", "success", "first", ""],
    ];
    assert_eq!(seen, expected);

    // Once only: the same code (or any) now answers "already set up" and creates no one.
    for (code, name) in [(code.clone(), "second"), (wrong_code, "third")] {
        let response = setup(code, name).await;
        assert!(!response.headers().contains_key("set-cookie"));
        let (status, body) = status_and_body(response).await;
        assert_eq!(status, 403, "{body}");
        let message = body["Forbidden"].as_str().unwrap_or_default();
        assert!(message.contains("Setup is done"), "{body}");
    }
    let users = ok(&server, Some(&owner), "list_users", &[]).await;
    assert_eq!(users.as_array().map(Vec::len), Some(1), "{users}");
    for (session, path, to) in [
        (None, "/", "/sign-in"),
        (None, "/setup", "/sign-in"),
        (Some(&owner), "/setup", "/"),
    ] {
        let response = server.get_as(session, path).await;
        assert_eq!(redirect(&response), (3, Some(to.to_owned())), "{path}");
    }

    // A restart prints no new code, and the Owner signs in.
    assert!(server.stop().success());
    let server = Server::start_fresh(&data, &[]).await;
    assert_eq!(server.setup_code(), None);
    assert!(server.sign_in("first", OWNER_PASSWORD).await.is_ok());
}

#[tokio::test]
async fn wrong_current_passwords_are_audited_and_throttled_per_session() {
    let (_tmp, server) = crate::support::start_temp().await;
    server.create_user("dora", PASSWORD, "Viewer").await;
    let session = server.sign_in("dora", PASSWORD).await.expect("dora");
    let change = |current: &'static str| {
        let (server, session) = (&server, &session);
        async move {
            let args = [("current", current), ("new", "dora-new-password")];
            outcome(server, Some(session), "change_password", &args).await
        }
    };
    // A stolen session is no way to guess the password: five wrong guesses, then even the
    // right one is refused, and each guess is on record.
    for _ in 0..5 {
        assert_eq!(change("guess-guess-guess").await, refused(422, "Invalid"));
    }
    assert_eq!(change(PASSWORD).await, refused(429, "Throttled"));
    let records = audit_records(&server, &[("actor", "dora"), ("action", "password.change")]).await;
    assert_eq!(records.len(), 5);
    assert!(records.iter().all(|r| {
        r["outcome"] == json!("failure")
            && r["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("wrong current password"))
    }));
    // The password did not change. The lock is this session's: dora still signs in (a guess
    // through a stolen session does not lock the owner out), and her new session may change it.
    let fresh = server
        .sign_in("dora", PASSWORD)
        .await
        .expect("dora signs in");
    let args = [("current", PASSWORD), ("new", "dora-new-password")];
    assert_eq!(
        outcome(&server, Some(&fresh), "change_password", &args).await,
        refused(200, "ok")
    );
    assert_eq!(change(PASSWORD).await, refused(401, "Unauthorized"));
}
