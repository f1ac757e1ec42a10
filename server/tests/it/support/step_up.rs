//! Step-up windows for tests that need calls inside one and calls outside it, on any machine:
//! the calls meant to fall inside run on a server with a long window; for the expiry, the
//! server restarts on the same data (sessions survive) with a short window and waits it out.
//! What no call can show under the long window is read from the stopped server's database.

use super::{Server, Session};
use std::path::Path;
use std::time::{Duration, Instant};

/// A step-up window no machine is too slow to call within.
pub const LONG_WINDOW_SECS: u64 = 600;

/// A step-up window short enough to wait out.
pub const SHORT_WINDOW_SECS: u64 = 1;

/// Starts (or restarts) the server on `data_dir` with a step-up window of `window` seconds.
pub async fn start_with_window(data_dir: &Path, window: u64) -> Server {
    let window = window.to_string();
    Server::start_with(data_dir, &[("STRONGROOM_STEP_UP_SECS", &window)]).await
}

/// When a password typed at `typed` (the instant its response arrived, at or after the server
/// noted it) is surely stale under a window of `window` seconds: the server keeps whole
/// seconds and allows `now - at <= window`, so a password stays fresh for up to one second
/// more than the window; one more second to spare (waiting longer is always safe).
pub fn surely_stale_after(typed: Instant, window: u64) -> Instant {
    typed + Duration::from_secs(window + 2)
}

/// When `session`'s user last typed their password in it (seconds since the Unix epoch), as
/// the stopped server on `data_dir` stored it.
pub async fn password_at(data_dir: &Path, session: &Session) -> i64 {
    let store = super::open_store_files(data_dir).await;
    let limits = store::SessionLimits {
        idle_secs: 3600,
        lifetime_secs: 3600,
    };
    let live = store
        .session(&session.token, limits)
        .await
        .expect("session");
    let password_at = live.expect("the session lives").password_at.0;
    store.close().await;
    password_at
}
