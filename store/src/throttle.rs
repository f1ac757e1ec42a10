//! Counters of password attempts (table `sign_in_throttle`, migration 0008). An attempt is
//! reserved before its password is checked, by a statement that refuses at the limit, so any
//! number of parallel guesses get at most the limit through; a success gives its reservation
//! back. A refused attempt only moves a counter: no row is added, whatever the caller sends.

use super::{SecretStore, StoreError, now};
use crate::backend::Conn;

/// The policy: at most `per_account` failed attempts for one account from one address (and
/// per session for the step-up and password changes), and `per_ip` from one address for any
/// accounts, within a window of `window_secs` that starts at the first failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttle {
    pub window_secs: i64,
    pub per_account: i64,
    pub per_ip: i64,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            window_secs: 15 * 60,
            per_account: 5,
            per_ip: 20,
        }
    }
}

impl Throttle {
    fn minutes(&self) -> i64 {
        (self.window_secs + 59) / 60
    }
}

const ACCOUNT_ADDRESS: &str = "account_address";
const ADDRESS: &str = "address";
const SESSION: &str = "session";

/// The part of a client address that a counter keys on. One holder of an IPv6 /64 has 2^64
/// addresses, so a counter per address would give them a fresh one per request: an IPv6
/// address counts as its /64. IPv4 (and IPv4-mapped IPv6) is the whole address; a string that
/// is not an address is kept as it is.
fn address_key(client_ip: &str) -> String {
    use std::net::IpAddr;
    match client_ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => client_ip.to_owned(),
    }
}

/// One row of `sign_in_throttle` and its limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Counter {
    scope: &'static str,
    key: String,
    limit: i64,
}

impl Counter {
    /// Failures for `username` (normalized, and valid: no spaces) from `client_ip`.
    pub(super) fn account(username: &str, client_ip: Option<&str>, policy: &Throttle) -> Self {
        Counter {
            scope: ACCOUNT_ADDRESS,
            key: format!(
                "{username} {}",
                client_ip.map(address_key).unwrap_or_default()
            ),
            limit: policy.per_account,
        }
    }

    /// Failures from `client_ip`, for any account (and wrong setup codes).
    pub(super) fn address(client_ip: &str, policy: &Throttle) -> Self {
        Counter {
            scope: ADDRESS,
            key: address_key(client_ip),
            limit: policy.per_ip,
        }
    }

    /// Wrong passwords typed in one signed-in session (its token hash).
    pub(super) fn session(token_hash: &[u8], policy: &Throttle) -> Self {
        Counter {
            scope: SESSION,
            key: token_hash.iter().map(|b| format!("{b:02x}")).collect(),
            limit: policy.per_account,
        }
    }

    /// What the audit record of the failure that reached this limit says.
    fn lock_note(&self, policy: &Throttle) -> String {
        let what = match self.scope {
            ACCOUNT_ADDRESS => "this account is locked for this address",
            ADDRESS => "this address is locked",
            _ => "password checks are locked for this session",
        };
        format!(
            "{} failures: {what} for {} minutes",
            self.limit,
            policy.minutes()
        )
    }
}

/// An attempt reserved on some counters: it counts as a failure unless it is settled as a
/// success or refunded.
#[must_use = "settle the attempt: a success or a refund gives the reservation back"]
#[derive(Debug)]
pub(super) struct Attempt {
    counters: Vec<Counter>,
    /// The window each reservation was taken in (by index of `counters`): a refund gives
    /// back only to that window, never to a later one that reuses the row.
    windows: Vec<i64>,
    /// The counters this attempt brought to their limit.
    reached: Vec<usize>,
}

/// Takes one from a counter (never below zero), if it is still in the window the attempt was
/// reserved in.
const REFUND: &str = "UPDATE sign_in_throttle \
     SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END \
     WHERE scope = $1 AND key = $2 AND window_start = $3";

impl Attempt {
    /// The detail for the audit record of this attempt if it failed: `base`, and whether a
    /// lock starts with it.
    pub(super) fn failure_detail(&self, base: &str, policy: &Throttle) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !base.is_empty() {
            parts.push(base.to_owned());
        }
        parts.extend(
            self.reached
                .iter()
                .map(|&i| self.counters[i].lock_note(policy)),
        );
        parts.join("; ")
    }

    /// The password was right: the account (or session) counter starts again, and the
    /// address gets this attempt back. Runs in the transaction that records the success.
    pub(super) async fn settle_success(self, conn: &mut Conn) -> Result<(), StoreError> {
        for (counter, window) in self.counters.iter().zip(&self.windows) {
            let query = if counter.scope == ADDRESS {
                sqlx::query(REFUND)
                    .bind(counter.scope)
                    .bind(&counter.key)
                    .bind(*window)
            } else {
                sqlx::query("DELETE FROM sign_in_throttle WHERE scope = $1 AND key = $2")
                    .bind(counter.scope)
                    .bind(&counter.key)
            };
            query.execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// The password was never checked (the server was too busy): the attempt does not count.
    pub(super) async fn refund(self, store: &SecretStore) {
        for (counter, window) in self.counters.iter().zip(&self.windows) {
            let refunded = sqlx::query(REFUND)
                .bind(counter.scope)
                .bind(&counter.key)
                .bind(*window)
                .execute(&store.pool)
                .await;
            // Counted as a failure then: the safe side, and the window ends it.
            if let Err(e) = refunded {
                tracing::warn!(error = %e, "could not refund a password attempt");
            }
        }
    }
}

/// Adds one to a counter unless it is at its limit within the window, in one statement (so
/// parallel attempts cannot all pass a check made before it). A counter whose window has
/// passed starts again at one. No row back means refused.
const RESERVE: &str = "INSERT INTO sign_in_throttle (scope, key, window_start, failures, refused) \
     VALUES ($1, $2, $3, 1, 0) \
     ON CONFLICT (scope, key) DO UPDATE SET \
     failures = CASE WHEN sign_in_throttle.window_start <= $4 THEN 1 \
         ELSE sign_in_throttle.failures + 1 END, \
     refused = CASE WHEN sign_in_throttle.window_start <= $4 THEN 0 \
         ELSE sign_in_throttle.refused END, \
     window_start = CASE WHEN sign_in_throttle.window_start <= $4 THEN excluded.window_start \
         ELSE sign_in_throttle.window_start END \
     WHERE sign_in_throttle.window_start <= $4 OR sign_in_throttle.failures < $5 \
     RETURNING failures, window_start";

impl SecretStore {
    /// Reserves an attempt on every counter or on none: `Throttled` (with the seconds until
    /// the lock ends) when any is at its limit, and then only that counter's `refused` moves.
    pub(super) async fn reserve_attempt(
        &self,
        counters: Vec<Counter>,
        policy: &Throttle,
    ) -> Result<Attempt, StoreError> {
        let now = now().0;
        let expired = now - policy.window_secs;
        let mut tx = self.write_transaction().await?;
        // Rows whose window has passed count as absent; deleting them here keeps the table to
        // the keys of the last window.
        sqlx::query("DELETE FROM sign_in_throttle WHERE window_start <= $1")
            .bind(expired)
            .execute(&mut *tx)
            .await?;
        let mut reached = Vec::new();
        let mut windows = Vec::with_capacity(counters.len());
        for (i, counter) in counters.iter().enumerate() {
            let reserved: Option<(i64, i64)> = sqlx::query_as(RESERVE)
                .bind(counter.scope)
                .bind(&counter.key)
                .bind(now)
                .bind(expired)
                .bind(counter.limit)
                .fetch_optional(&mut *tx)
                .await?;
            match reserved {
                Some((failures, window)) => {
                    windows.push(window);
                    if failures >= counter.limit {
                        reached.push(i);
                    }
                }
                None => {
                    // Undo the counters already reserved, and note the refusal.
                    tx.rollback().await?;
                    let started: Option<i64> = sqlx::query_scalar(
                        "UPDATE sign_in_throttle SET refused = refused + 1 \
                         WHERE scope = $1 AND key = $2 RETURNING window_start",
                    )
                    .bind(counter.scope)
                    .bind(&counter.key)
                    .fetch_optional(&self.pool)
                    .await?;
                    let ends = started.unwrap_or(now) + policy.window_secs;
                    return Err(StoreError::Throttled {
                        retry_after_secs: (ends - now).max(1),
                    });
                }
            }
        }
        tx.commit().await?;
        Ok(Attempt {
            counters,
            windows,
            reached,
        })
    }
}

/// Ends every lock on `username` (all addresses): an Owner's reset or the CLI's is the way
/// back in for someone locked out.
pub(super) async fn clear_account(conn: &mut Conn, username: &str) -> Result<(), StoreError> {
    // Keys of the account are `<username> <address>`: the range from "<username> " to
    // "<username>!" (the next character) is exactly them, and uses the primary key.
    sqlx::query("DELETE FROM sign_in_throttle WHERE scope = $1 AND key >= $2 AND key < $3")
        .bind(ACCOUNT_ADDRESS)
        .bind(format!("{username} "))
        .bind(format!("{username}!"))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A counter as stored: `(failures, refused)`, if its row exists (tests).
#[cfg(test)]
pub(super) async fn counts(store: &SecretStore, counter: &Counter) -> Option<(i64, i64)> {
    sqlx::query_as("SELECT failures, refused FROM sign_in_throttle WHERE scope = $1 AND key = $2")
        .bind(counter.scope)
        .bind(&counter.key)
        .fetch_optional(&store.pool)
        .await
        .expect("throttle row")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_of_one_64_share_a_counter() {
        let policy = Throttle::default();
        let a = Counter::address("2001:db8:1:2::1", &policy);
        let b = Counter::address("2001:db8:1:2:ffff:ffff:ffff:fffe", &policy);
        assert_eq!(a, b);
        assert_eq!(a.key, "2001:db8:1:2::/64");
        assert_ne!(a, Counter::address("2001:db8:1:3::1", &policy));
        assert_eq!(
            Counter::account("alice", Some("2001:db8:1:2::1"), &policy),
            Counter::account("alice", Some("2001:db8:1:2:abcd::9"), &policy),
        );
    }

    #[test]
    fn ipv4_and_unparsable_addresses_key_on_themselves() {
        let policy = Throttle::default();
        assert_eq!(Counter::address("192.0.2.7", &policy).key, "192.0.2.7");
        assert_ne!(
            Counter::address("192.0.2.7", &policy),
            Counter::address("192.0.2.8", &policy)
        );
        // The same client seen through a dual-stack socket.
        assert_eq!(
            Counter::address("::ffff:192.0.2.7", &policy).key,
            "192.0.2.7"
        );
        assert_eq!(Counter::address("not an ip", &policy).key, "not an ip");
        assert_eq!(Counter::account("alice", None, &policy).key, "alice ");
        assert_eq!(
            Counter::account("alice", Some("192.0.2.7"), &policy).key,
            "alice 192.0.2.7"
        );
    }
}
