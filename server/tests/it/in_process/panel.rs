//! The panel through the router: pages rendered on the server for a stranger, and a server
//! function with a session the store made, its CSRF token, and sign-out.

use super::{InProcess, in_process, text};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use shared::model::{Me, Role, Source};
use store::Actor;

const OWNER: &str = "owner";

/// A signed-in session's cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

impl InProcess {
    /// Makes the first Owner, as `STRONGROOM_ADMIN_USER` does.
    async fn first_owner(&self) {
        let password = "correct horse battery staple";
        assert!(
            self.store
                .create_first_owner(OWNER, password)
                .await
                .expect("owner")
        );
    }

    /// Makes the first Owner and a session for them, as setup does.
    async fn owner_session(&self) -> Session {
        self.first_owner().await;
        let id = self.store.find_user(OWNER).await.expect("lookup");
        let me = Me {
            id: id.expect("the Owner exists"),
            username: OWNER.to_owned(),
            role: Role::Owner,
        };
        let by = Actor::user(OWNER, Source::Panel, None);
        let session = self.store.create_session(&me, &by).await.expect("session");
        Session {
            cookie: format!(
                "strongroom_session={}; strongroom_csrf={}",
                session.token.as_str(),
                session.csrf_token
            ),
            csrf: session.csrf_token,
        }
    }

    /// Calls the server function `name` with no arguments, as `session` sends it.
    async fn call(&self, name: &str, cookie: &str, csrf: &str) -> (StatusCode, String) {
        let headers = [("cookie", cookie), ("x-csrf-token", csrf)];
        let response = self.post_form(&format!("/api/{name}"), &[], &headers).await;
        (response.status(), text(response).await)
    }
}

/// Before anyone exists a page sends a stranger to setup, after that to sign-in, both with
/// the page to come back to.
#[tokio::test]
async fn pages_send_strangers_to_setup_then_to_sign_in_which_renders_with_a_nonce() {
    let server = in_process().await;
    let redirect = async || {
        let page = Request::get("/applications/7/secrets?x=1");
        let response = server.send(page, Body::empty()).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        response.headers()[header::LOCATION]
            .to_str()
            .expect("ascii")
            .to_owned()
    };
    let next = "next=%2Fapplications%2F7%2Fsecrets%3Fx%3D1";
    assert_eq!(redirect().await, format!("/setup?{next}"));
    server.first_owner().await;
    assert_eq!(redirect().await, format!("/sign-in?{next}"));

    let sign_in = server.send(Request::get("/sign-in"), Body::empty()).await;
    assert_eq!(sign_in.status(), StatusCode::OK);
    assert_eq!(sign_in.headers()[header::CACHE_CONTROL], "no-store");
    let csp = sign_in.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("ascii")
        .to_owned();
    let (_, nonce) = csp.split_once("'nonce-").expect("a nonce source");
    let (nonce, _) = nonce.split_once('\'').expect("a closing quote");
    let html = text(sign_in).await;
    assert!(html.contains("Sign in to Strongroom"), "{html}");
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "{html}");
    let with_nonce = format!("nonce=\"{nonce}\"");
    assert_eq!(html.matches(&with_nonce).count(), scripts);
}

/// A server function answers a live session that sends its CSRF token; without the token the
/// session layer refuses it, and after sign-out the same cookie is a stranger's.
#[tokio::test]
async fn a_server_function_needs_the_session_and_its_token_and_sign_out_ends_both() {
    let server = in_process().await;
    let session = server.owner_session().await;
    let by = Actor::system("test");
    server
        .store
        .create_application(&by, "listed")
        .await
        .expect("application");

    let (status, body) = server
        .call("list_applications", &session.cookie, &session.csrf)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(listed[0]["name"], "listed", "{listed}");

    let (status, body) = server.call("list_applications", &session.cookie, "-").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("CSRF"), "{body}");

    let (status, body) = server
        .call("sign_out", &session.cookie, &session.csrf)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .call("list_applications", &session.cookie, &session.csrf)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}
