//! Verified JWTs, remembered until they expire. Parsing the stored public key and checking an
//! RSA signature cost far more than the rest of a read, and clients reuse one token for many
//! calls. The cache keeps only what verification concluded (which key signed the token, and
//! until when it is valid), under the token's SHA-256. Whether that key still exists and works
//! (its creator enabled and holding its role), and its role, are looked up on every request, so
//! revoking a key or disabling its creator stops its cached tokens at once, on every replica
//! (the lookup goes to the shared database; the read cache's is checked by `read_generation`).

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

use super::auth::CLOCK_SKEW_SECS;

/// Tokens remembered at most; past it, expired entries go, and if that is not enough, all.
const MAX_TOKENS: usize = 10_000;
/// "Last used" of a key is written at most this often per key and process.
const LAST_USED_EVERY_SECS: i64 = 60;

pub type TokenDigest = [u8; 32];

#[derive(Default)]
pub struct TokenCache {
    verified: Mutex<HashMap<TokenDigest, Verified>>,
    last_marked: Mutex<HashMap<String, i64>>,
}

#[derive(Clone)]
struct Verified {
    key_id: String,
    expires: i64,
}

impl TokenCache {
    pub fn digest(token: &str) -> TokenDigest {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The key id that signed this token, if it was verified before and has not expired.
    pub fn key_id(&self, digest: &TokenDigest, now: i64) -> Option<String> {
        let verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        verified
            .get(digest)
            .filter(|v| still_valid(v.expires, now))
            .map(|v| v.key_id.clone())
    }

    /// Remembers a token whose signature and claims were just checked; `expires` is its `exp`.
    pub fn remember(&self, digest: TokenDigest, key_id: &str, expires: i64, now: i64) {
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if verified.len() >= MAX_TOKENS {
            verified.retain(|_, v| still_valid(v.expires, now));
            if verified.len() >= MAX_TOKENS {
                verified.clear();
            }
        }
        verified.insert(
            digest,
            Verified {
                key_id: key_id.to_owned(),
                expires,
            },
        );
    }

    /// True when this process has not written the key's "last used" for a minute (and from
    /// now on counts it as written).
    pub fn should_mark_used(&self, key_id: &str, now: i64) -> bool {
        let mut marked = self.last_marked.lock().unwrap_or_else(|p| p.into_inner());
        match marked.get(key_id) {
            Some(&at) if now - at < LAST_USED_EVERY_SECS => false,
            _ => {
                if marked.len() >= MAX_TOKENS {
                    marked.clear();
                }
                marked.insert(key_id.to_owned(), now);
                true
            }
        }
    }
}

/// The same expiry rule as verification: `exp` plus the accepted clock skew.
fn still_valid(expires: i64, now: i64) -> bool {
    expires.saturating_add(CLOCK_SKEW_SECS) >= now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_remembered_until_it_expires() {
        let cache = TokenCache::default();
        let digest = TokenCache::digest("a.b.c");
        assert_eq!(cache.key_id(&digest, 100), None);
        cache.remember(digest, "key1", 200, 100);
        assert_eq!(cache.key_id(&digest, 150).as_deref(), Some("key1"));
        assert_eq!(
            cache.key_id(&digest, 200 + CLOCK_SKEW_SECS).as_deref(),
            Some("key1")
        );
        assert_eq!(cache.key_id(&digest, 201 + CLOCK_SKEW_SECS), None);
        assert_eq!(cache.key_id(&TokenCache::digest("a.b.d"), 150), None);
    }

    #[test]
    fn a_full_cache_drops_expired_tokens_first() {
        let cache = TokenCache::default();
        for i in 0..MAX_TOKENS {
            cache.remember(TokenCache::digest(&i.to_string()), "old", 10, 0);
        }
        let fresh = TokenCache::digest("fresh");
        cache.remember(fresh, "new", 1000, 500);
        assert_eq!(cache.key_id(&fresh, 500).as_deref(), Some("new"));
        assert_eq!(cache.verified.lock().unwrap().len(), 1);
    }

    #[test]
    fn last_used_is_marked_once_a_minute() {
        let cache = TokenCache::default();
        assert!(cache.should_mark_used("k", 1000));
        assert!(!cache.should_mark_used("k", 1059));
        assert!(cache.should_mark_used("other", 1059));
        assert!(cache.should_mark_used("k", 1060));
    }
}
