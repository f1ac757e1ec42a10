//! Who is calling: a service-account JWT (`Authorization: Bearer`) or the legacy
//! `account_id` + `api_key` parameters (spec: "Authentication").

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use shared::model::{Account, Role, Source};
use store::{Actor, ActorKind, SecretStore};

use super::error::ApiError;
use super::params::Params;
use super::token_cache::TokenCache;

/// Longest lifetime a token may claim (`exp - iat`).
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 3600;
/// Clock skew accepted on `iat` and `exp`.
pub const CLOCK_SKEW_SECS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub role: Role,
    /// The service-account key id, or `None` for the legacy API key.
    pub key_id: Option<String>,
}

impl Caller {
    /// The caller as the audit log names it: the key id, or the legacy API key.
    pub fn actor(&self, client_ip: Option<String>) -> Actor {
        match &self.key_id {
            Some(key_id) => key_actor(key_id, client_ip),
            None => Actor {
                kind: ActorKind::ApiKey,
                source: Source::Api,
                client_ip,
            },
        }
    }
}

/// A service-account key as the audit log names it.
pub fn key_actor(key_id: &str, client_ip: Option<String>) -> Actor {
    Actor {
        kind: ActorKind::ServiceAccount(key_id.to_owned()),
        source: Source::Api,
        client_ip,
    }
}

#[derive(Deserialize)]
struct Claims {
    iss: serde_json::Value,
    iat: i64,
    exp: i64,
}

pub async fn authenticate(
    store: &SecretStore,
    tokens: &TokenCache,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Caller, ApiError> {
    if let Some(header) = headers.get(AUTHORIZATION) {
        let token = bearer_token(header)
            .ok_or_else(|| ApiError::auth("the Authorization header must be 'Bearer <JWT>'."))?;
        return verify_jwt(store, tokens, token.trim(), now()).await;
    }
    if let Some(api_key) = params.text("api_key") {
        check_account_id(store.account(), params.text("account_id"))?;
        return if store.api_key_matches(api_key).await? {
            Ok(Caller {
                role: Role::Owner,
                key_id: None,
            })
        } else {
            Err(ApiError::auth(
                "'api_key' is not this account's API key, or the Owner who made it was disabled \
                 or is no longer an Owner.",
            ))
        };
    }
    Err(ApiError::auth(
        "no credentials: send 'Authorization: Bearer <JWT>' signed with a service-account key, \
         or the 'account_id' and 'api_key' parameters.",
    ))
}

fn check_account_id(account: &Account, given: Option<&str>) -> Result<(), ApiError> {
    match given {
        None => Err(ApiError::auth("'account_id' must accompany 'api_key'.")),
        Some(id) if id.trim().parse::<i64>().ok() == Some(account.id) => Ok(()),
        Some(_) => Err(ApiError::auth(
            "'account_id' is not this server's account id.",
        )),
    }
}

/// A service-account JWT: its key must exist (a revoked key is gone) and still work (its
/// creator enabled and holding the key's role: looked up on every request, never cached), and
/// the signature and claims must check out, which is done once per token and then remembered
/// until it expires.
async fn verify_jwt(
    store: &SecretStore,
    tokens: &TokenCache,
    token: &str,
    now: i64,
) -> Result<Caller, ApiError> {
    let digest = TokenCache::digest(token);
    let cached = tokens.key_id(&digest, now);
    let key_id = match &cached {
        Some(key_id) => key_id.clone(),
        None => key_id_of(token)?,
    };
    let key = store.service_account_key(&key_id).await?.ok_or_else(|| {
        ApiError::auth(
            "the JWT's key id is unknown or was revoked, or the user who made the key was \
                 disabled or no longer holds its role.",
        )
    })?;
    if cached.is_none() {
        let expires = check_signature_and_claims(token, &key_id, &key, store.account(), now)?;
        tokens.remember(digest, &key_id, expires, now);
    }
    note_use(store, tokens, &key_id, now);
    Ok(Caller {
        role: key.role,
        key_id: Some(key_id),
    })
}

/// The key id of a bearer token verified before and not yet expired, if the request carries
/// one: the start of the cached GetSecretValue path, which checks the key itself (see
/// `SecretStore::read_secret_cached`). Anything else goes through `authenticate`.
pub fn verified_key_id(tokens: &TokenCache, headers: &HeaderMap) -> Option<String> {
    let token = bearer_token(headers.get(AUTHORIZATION)?)?;
    tokens.key_id(&TokenCache::digest(token.trim()), now())
}

/// Records (at most once a minute per key and process) that `key_id` was used.
pub fn note_use(store: &SecretStore, tokens: &TokenCache, key_id: &str, now: i64) {
    if tokens.should_mark_used(key_id, now) {
        let store = store.clone();
        let used = key_id.to_owned();
        // "Last used" is bookkeeping: it must not slow down or fail the call.
        tokio::spawn(async move {
            if let Err(e) = store.mark_service_account_used(&used).await {
                tracing::warn!(error = %e, "cannot record service-account use");
            }
        });
    }
}

fn bearer_token(header: &axum::http::HeaderValue) -> Option<&str> {
    header.to_str().ok().and_then(|h| {
        h.strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
    })
}

/// The key id from the JWT header, which must name RS256.
fn key_id_of(token: &str) -> Result<String, ApiError> {
    let header = jsonwebtoken::decode_header(token)
        .map_err(|_| ApiError::auth("the bearer token is not a well-formed JWT."))?;
    if header.alg != Algorithm::RS256 {
        return Err(ApiError::auth(format!(
            "the JWT must be signed with RS256, not {:?}.",
            header.alg
        )));
    }
    header
        .kid
        .ok_or_else(|| ApiError::auth("the JWT header has no 'kid' (the key id)."))
}

/// Checks the signature against `key` and the claims against the spec; the token's `exp`.
fn check_signature_and_claims(
    token: &str,
    key_id: &str,
    key: &store::VerifyingKey,
    account: &Account,
    now: i64,
) -> Result<i64, ApiError> {
    let decoding_key = DecodingKey::from_rsa_pem(key.public_pem.as_bytes()).map_err(|e| {
        ApiError::internal(&format!("stored public key of {key_id} is unusable: {e}"))
    })?;
    let mut validation = Validation::new(Algorithm::RS256);
    // Time rules are checked below against our own clock, with the spec's skew.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Claims>(token, &decoding_key, &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                ApiError::auth("the JWT signature does not match the key.")
            }
            _ => ApiError::auth(
                "the JWT claims must include 'iss' (the account id) and numeric 'iat' and 'exp'.",
            ),
        })?
        .claims;
    check_claims(&claims, account, now)?;
    Ok(claims.exp)
}

fn check_claims(claims: &Claims, account: &Account, now: i64) -> Result<(), ApiError> {
    let iss = match &claims.iss {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    if iss != Some(account.id) {
        return Err(ApiError::auth(
            "the JWT's 'iss' is not this server's account id.",
        ));
    }
    if claims.exp < claims.iat {
        return Err(ApiError::auth("the JWT's 'exp' is before its 'iat'."));
    }
    if claims.exp.saturating_sub(claims.iat) > MAX_TOKEN_LIFETIME_SECS {
        return Err(ApiError::auth(format!(
            "the JWT's lifetime ('exp' - 'iat') is over {MAX_TOKEN_LIFETIME_SECS} seconds."
        )));
    }
    if claims.iat > now.saturating_add(CLOCK_SKEW_SECS) {
        return Err(ApiError::auth("the JWT's 'iat' is in the future."));
    }
    if claims.exp.saturating_add(CLOCK_SKEW_SECS) < now {
        return Err(ApiError::auth("the JWT has expired."));
    }
    Ok(())
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(iss: serde_json::Value, iat: i64, exp: i64) -> Claims {
        Claims { iss, iat, exp }
    }

    #[test]
    fn claims_follow_the_spec_time_rules() {
        let account = Account::default();
        let now = 1_000_000;
        let ok = |c: Claims| check_claims(&c, &account, now);
        // What the Python client sends: iss as a string, iat five seconds back.
        assert!(ok(claims("1".into(), now - 5, now + 24)).is_ok());
        assert!(ok(claims(1.into(), now, now + 3600)).is_ok());
        assert!(ok(claims(1.into(), now, now + 3601)).is_err());
        assert!(ok(claims(1.into(), now + 30, now + 60)).is_ok());
        assert!(ok(claims(1.into(), now + 31, now + 60)).is_err());
        assert!(ok(claims(1.into(), now - 100, now - 30)).is_ok());
        assert!(ok(claims(1.into(), now - 100, now - 31)).is_err());
        assert!(ok(claims(2.into(), now, now + 10)).is_err());
        assert!(ok(claims("x".into(), now, now + 10)).is_err());
        assert!(ok(claims(serde_json::Value::Null, now, now + 10)).is_err());
        assert!(ok(claims(1.into(), now, now - 1)).is_err());
        assert_eq!(ok(claims(1.into(), now, now + 3601)).unwrap_err().code, 100);
    }

    #[test]
    fn legacy_key_needs_the_right_account_id() {
        let account = Account::default();
        assert!(check_account_id(&account, Some("1")).is_ok());
        assert_eq!(check_account_id(&account, Some("2")).unwrap_err().code, 100);
        assert_eq!(check_account_id(&account, None).unwrap_err().code, 100);
    }
}
