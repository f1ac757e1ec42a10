//! The browser side of CSRF protection: every server function call carries the session's CSRF
//! token in a header. A page on another site can neither read the token (it sits in a cookie
//! of this origin) nor send a custom header here (that needs a CORS preflight we never allow).

use server_fn::client::Client;
use server_fn::client::browser::BrowserClient;
use server_fn::error::FromServerFnError;
use server_fn::request::browser::BrowserRequest;
use server_fn::response::browser::BrowserResponse;
use std::future::Future;

/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The CSRF cookie's name: over HTTPS with the `__Host-` prefix (only this origin, path `/`,
/// `Secure`), which browsers refuse to set any other way.
pub const CSRF_COOKIE: &str = "strongroom_csrf";
pub const SESSION_COOKIE: &str = "strongroom_session";
pub const HOST_PREFIX: &str = "__Host-";

/// `BrowserClient` plus the CSRF header. Used by every server function (`client = ...`).
pub struct PanelClient;

impl<E, IS, OS> Client<E, IS, OS> for PanelClient
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(req: Self::Request) -> impl Future<Output = Result<Self::Response, E>> + Send {
        // "-" when signed out: the header is still there, so the server can tell a script on
        // this page from a plain cross-site form.
        let token = csrf_token().unwrap_or_else(|| "-".to_owned());
        req.headers().set(CSRF_HEADER, &token);
        <BrowserClient as Client<E, IS, OS>>::send(req)
    }

    #[allow(clippy::type_complexity)]
    fn open_websocket(
        path: &str,
    ) -> impl Future<
        Output = Result<
            (
                impl futures::Stream<Item = Result<server_fn::Bytes, server_fn::Bytes>> + Send + 'static,
                impl futures::Sink<server_fn::Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}

/// The CSRF token from this origin's cookie, if signed in.
fn csrf_token() -> Option<String> {
    use wasm_bindgen::JsCast as _;
    let cookies = web_sys::window()?
        .document()?
        .dyn_into::<web_sys::HtmlDocument>()
        .ok()?
        .cookie()
        .ok()?;
    cookies.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        let name = name.strip_prefix(HOST_PREFIX).unwrap_or(name);
        (name == CSRF_COOKIE).then(|| value.to_owned())
    })
}
