//! Sessions on the server. The server's session layer resolves a request's session once (see
//! `server/src/http/session_layer.rs`) and leaves a `RequestAuth` in the request's extensions;
//! server functions read it from there.

use super::client::{CSRF_COOKIE, CSRF_HEADER, HOST_PREFIX, SESSION_COOKIE};
use axum::http::{HeaderMap, HeaderValue, header};
pub use store::Throttle;
use store::{NewSession, SecretStore, Session, SessionLimits, StoreError};

/// The sign-in policy of this server (from the command line), shared by the session layer
/// and the server functions.
#[derive(Clone, Copy, Debug)]
pub struct AuthConfig {
    pub limits: SessionLimits,
    /// How long a typed password allows revealing and copying values.
    pub step_up_secs: i64,
    /// `Secure` cookies with the `__Host-` prefix: on with built-in HTTPS or behind an HTTPS
    /// proxy.
    pub secure_cookies: bool,
    pub throttle: Throttle,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            limits: SessionLimits {
                idle_secs: 30 * 60,
                lifetime_secs: 12 * 60 * 60,
            },
            step_up_secs: 5 * 60,
            secure_cookies: false,
            throttle: Throttle::default(),
        }
    }
}

/// What the session layer learned about a request.
#[derive(Clone, Debug, Default)]
pub struct RequestAuth {
    pub session: Option<Session>,
    pub client_ip: Option<String>,
}

impl AuthConfig {
    fn cookie_name(&self, base: &str) -> String {
        if self.secure_cookies {
            format!("{HOST_PREFIX}{base}")
        } else {
            base.to_owned()
        }
    }

    fn cookie(&self, base: &str, value: &str, max_age: i64, http_only: bool) -> HeaderValue {
        let mut cookie = format!(
            "{}={value}; Path=/; SameSite=Strict; Max-Age={max_age}",
            self.cookie_name(base)
        );
        if http_only {
            cookie.push_str("; HttpOnly");
        }
        if self.secure_cookies {
            cookie.push_str("; Secure");
        }
        // Tokens are base64url: always a valid header value.
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The two `Set-Cookie` values that start `session` in the browser: the session token
    /// (HttpOnly: no script can read it) and the CSRF token (scripts of this origin send it
    /// back in a header).
    pub fn session_cookies(&self, session: &NewSession) -> [HeaderValue; 2] {
        let age = self.limits.lifetime_secs;
        [
            self.cookie(SESSION_COOKIE, &session.token, age, true),
            self.cookie(CSRF_COOKIE, &session.csrf_token, age, false),
        ]
    }

    /// The `Set-Cookie` values that remove both cookies.
    pub fn cleared_cookies(&self) -> [HeaderValue; 2] {
        [
            self.cookie(SESSION_COOKIE, "", 0, true),
            self.cookie(CSRF_COOKIE, "", 0, false),
        ]
    }

    /// The session token a request carries, if any.
    pub fn session_token(&self, headers: &HeaderMap) -> Option<String> {
        let wanted = self.cookie_name(SESSION_COOKIE);
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name == wanted && !value.is_empty()).then(|| value.to_owned())
            })
    }

    /// The live session of a request, if its cookie names one.
    pub async fn resolve(
        &self,
        store: &SecretStore,
        headers: &HeaderMap,
    ) -> Result<Option<Session>, StoreError> {
        match self.session_token(headers) {
            Some(token) => store.session(&token, self.limits).await,
            None => Ok(None),
        }
    }

    /// Whether the password was typed recently enough to reveal or copy a value.
    pub fn step_up_fresh(&self, session: &Session, now: i64) -> bool {
        now - session.password_at.0 <= self.step_up_secs
    }
}

/// Whether the request carries `session`'s CSRF token (compared in constant time).
pub fn csrf_matches(session: &Session, headers: &HeaderMap) -> bool {
    use subtle::ConstantTimeEq as _;
    headers
        .get(CSRF_HEADER)
        .is_some_and(|sent| bool::from(sent.as_bytes().ct_eq(session.csrf_token.as_bytes())))
}

/// Whether the request carries a CSRF header at all (signed-out calls send `-`): a form on
/// another site cannot add one.
pub fn has_csrf_header(headers: &HeaderMap) -> bool {
    headers.contains_key(CSRF_HEADER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_strict_http_only_and_prefixed_over_https() {
        let new = NewSession {
            token: zeroize::Zeroizing::new("tok".into()),
            csrf_token: "csrf".into(),
        };
        let plain = AuthConfig::default().session_cookies(&new);
        assert_eq!(
            plain[0],
            "strongroom_session=tok; Path=/; SameSite=Strict; Max-Age=43200; HttpOnly"
        );
        assert_eq!(
            plain[1],
            "strongroom_csrf=csrf; Path=/; SameSite=Strict; Max-Age=43200"
        );
        let secure = AuthConfig {
            secure_cookies: true,
            ..AuthConfig::default()
        }
        .session_cookies(&new);
        assert_eq!(
            secure[0],
            "__Host-strongroom_session=tok; Path=/; SameSite=Strict; Max-Age=43200; HttpOnly; \
             Secure"
        );
    }

    #[test]
    fn session_token_is_read_from_the_right_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("other=1; strongroom_session=abc; strongroom_csrf=x"),
        );
        assert_eq!(
            AuthConfig::default().session_token(&headers).as_deref(),
            Some("abc")
        );
        let secure = AuthConfig {
            secure_cookies: true,
            ..AuthConfig::default()
        };
        // Over HTTPS only the prefixed cookie counts: a plain one could be planted by a
        // sibling subdomain.
        assert_eq!(secure.session_token(&headers), None);
    }
}
