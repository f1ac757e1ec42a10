//! The listening socket, plain HTTP or HTTPS alike, made so that strangers cannot hold it:
//! - a connection must send a complete request header within `--header-timeout-secs` of
//!   connecting or of its previous response (hyper's header-read timeout; the TLS handshake
//!   gets the same bound), so slow and idle connections are closed;
//! - at most `--max-connections` connections at once: one over the cap is closed at once;
//! - a connection whose client reads nothing of a response for `--request-timeout-secs` is
//!   closed (a client that never reads would otherwise hold its connection forever).
//!
//! Only HTTP/1.1 is spoken: hyper's HTTP/2 server has no header-read timeout, so an HTTP/2
//! connection could be held open by a client that never finishes a request.

use anyhow::Context;
use axum::Router;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum_server::accept::Accept;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use hyper_util::rt::TokioTimer;
use std::future::{Future, Ready};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

/// How long a graceful shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug)]
pub struct ListenerConfig {
    pub header_timeout: Duration,
    /// How long a response may wait for the client to read any of it.
    pub write_stall: Duration,
    pub max_connections: usize,
}

impl ListenerConfig {
    /// `max_connections: None` takes the default, fitted to the open-file limit.
    pub fn new(
        header_timeout: Duration,
        write_stall: Duration,
        max_connections: Option<u32>,
    ) -> anyhow::Result<Self> {
        Ok(ListenerConfig {
            header_timeout,
            write_stall,
            max_connections: connection_cap(max_connections, open_file_limit())?,
        })
    }
}

/// Serves `app` on `listener` (over TLS with `tls`) until `shutdown` resolves, then lets the
/// requests in flight finish (up to ten seconds).
pub async fn serve(
    listener: std::net::TcpListener,
    tls: Option<RustlsConfig>,
    config: ListenerConfig,
    app: IntoMakeServiceWithConnectInfo<Router, SocketAddr>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let handle = axum_server::Handle::new();
    tokio::spawn({
        let handle = handle.clone();
        async move {
            shutdown.await;
            handle.graceful_shutdown(Some(SHUTDOWN_GRACE));
        }
    });
    let mut server = axum_server::from_tcp(listener)?.http1_only();
    server
        .http_builder()
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    let server = server
        .handle(handle)
        .accept_error_handler(|peer, e| match peer {
            Some(peer) => tracing::debug!(%peer, error = %e, "connection dropped before a request"),
            None => tracing::warn!(error = %e, "cannot accept a connection"),
        });
    let cap = CapAcceptor {
        permits: Arc::new(Semaphore::new(config.max_connections)),
        max_connections: config.max_connections,
        write_stall: config.write_stall,
        refusals: Arc::new(Mutex::new(Refusals::default())),
    };
    let served = match tls {
        Some(tls) => {
            only_http1(&tls);
            let acceptor = RustlsAcceptor::new(tls)
                .handshake_timeout(config.header_timeout)
                .acceptor(cap);
            server.acceptor(acceptor).serve(app).await
        }
        None => server.acceptor(cap).serve(app).await,
    };
    served.context("the server stopped with an error")
}

/// The certificate loader offers h2 in ALPN; this server speaks only HTTP/1.1.
fn only_http1(tls: &RustlsConfig) {
    let mut config = (*tls.get_inner()).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    tls.reload_from_config(Arc::new(config));
}

/// Files the process needs besides its connections: the database pool (three files per
/// SQLite connection), logs, scenario workers' pipes, the runtime's own.
const RESERVED_FILES: u64 = 128;
const DEFAULT_MAX_CONNECTIONS: u64 = 1024;

/// The cap on connections: `requested`, or the default; refused (or, for the default,
/// lowered) when the open-file limit leaves no room for it.
fn connection_cap(requested: Option<u32>, open_files: Option<u64>) -> anyhow::Result<usize> {
    let room = open_files.map(|limit| limit.saturating_sub(RESERVED_FILES));
    let cap = match (requested, room) {
        (Some(n), Some(room)) if u64::from(n) > room => anyhow::bail!(
            "STRONGROOM_MAX_CONNECTIONS / --max-connections {n} needs about {} open files, but \
             this process may open {} (ulimit -n, or LimitNOFILE= under systemd). Raise that \
             limit or lower --max-connections to at most {room}",
            u64::from(n) + RESERVED_FILES,
            open_files.unwrap_or_default()
        ),
        (Some(n), _) => u64::from(n),
        (None, Some(0)) => anyhow::bail!(
            "this process may open only {} files (ulimit -n), too few to serve: raise that limit",
            open_files.unwrap_or_default()
        ),
        (None, Some(room)) if room < DEFAULT_MAX_CONNECTIONS => {
            tracing::info!(
                "serving at most {room} connections at once (--max-connections): the open-file \
                 limit (ulimit -n) is {}",
                open_files.unwrap_or_default()
            );
            room
        }
        (None, _) => DEFAULT_MAX_CONNECTIONS,
    };
    usize::try_from(cap).context("--max-connections is too large for this machine")
}

/// The soft RLIMIT_NOFILE, from /proc (no unsafe code for getrlimit); `None` when unknown or
/// unlimited.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Admits a connection only with a permit, which it holds until it closes.
#[derive(Clone)]
struct CapAcceptor {
    permits: Arc<Semaphore>,
    max_connections: usize,
    write_stall: Duration,
    refusals: Arc<Mutex<Refusals>>,
}

impl<S> Accept<TcpStream, S> for CapAcceptor {
    type Stream = Connection<TcpStream>;
    type Service = S;
    type Future = Ready<io::Result<(Self::Stream, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let accepted = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => Ok((Connection::new(stream, permit, self.write_stall), service)),
            Err(_) => {
                // Dropping the stream closes it; the client can try again later.
                if let Ok(mut refusals) = self.refusals.lock() {
                    refusals.note(self.max_connections);
                }
                Err(io::Error::other("over --max-connections"))
            }
        };
        std::future::ready(accepted)
    }
}

/// Says in the log that the cap is reached, at most once a minute (an attack would flood it).
#[derive(Default)]
struct Refusals {
    last_logged: Option<Instant>,
    since: u64,
}

impl Refusals {
    fn note(&mut self, max_connections: usize) {
        self.since += 1;
        if self
            .last_logged
            .is_some_and(|at| at.elapsed() < Duration::from_secs(60))
        {
            return;
        }
        tracing::warn!(
            "{max_connections} connections are open, as many as --max-connections allows: closed \
             {} new connection(s) at once (said at most once a minute)",
            self.since
        );
        self.last_logged = Some(Instant::now());
        self.since = 0;
    }
}

/// An accepted connection: holds its permit, and fails a write the client has not let through
/// for `write_stall` (the peer reads nothing), which makes hyper close it.
pub struct Connection<S> {
    inner: S,
    _permit: OwnedSemaphorePermit,
    write_stall: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> Connection<S> {
    fn new(inner: S, permit: OwnedSemaphorePermit, write_stall: Duration) -> Self {
        Connection {
            inner,
            _permit: permit,
            write_stall,
            stalled: None,
        }
    }

    /// Arms the stall timer while writes wait, and disarms it at the first progress.
    fn watch<T>(
        &mut self,
        cx: &mut TaskContext<'_>,
        poll: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let limit = self.write_stall;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read nothing of the response in time",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Connection<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Connection<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn the_cap_fits_the_open_file_limit() {
        assert_eq!(connection_cap(None, None).unwrap(), 1024);
        assert_eq!(connection_cap(None, Some(20_000)).unwrap(), 1024);
        // A common default soft limit: the default cap shrinks to fit.
        assert_eq!(connection_cap(None, Some(1024)).unwrap(), 1024 - 128);
        assert_eq!(connection_cap(Some(5), Some(1024)).unwrap(), 5);
        // Asked for explicitly, a cap that does not fit is refused by name.
        let err = connection_cap(Some(1000), Some(1024))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--max-connections 1000") && err.contains("ulimit -n"),
            "{err}"
        );
        assert!(connection_cap(None, Some(100)).is_err());
    }

    #[test]
    fn the_open_file_limit_is_read() {
        // This test process has one; it is a number of files, not zero.
        assert!(open_file_limit().is_some_and(|n| n > 0));
    }

    #[tokio::test]
    async fn a_write_the_peer_never_reads_fails_after_the_stall_limit() {
        let (near, _far) = tokio::io::duplex(64);
        let permit = Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap();
        let mut connection = Connection::new(near, permit, Duration::from_millis(100));
        let written = tokio::time::timeout(Duration::from_secs(30), async {
            connection.write_all(&[0u8; 4096]).await
        })
        .await
        .expect("the stalled write was not cut off");
        assert_eq!(written.unwrap_err().kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn a_permit_is_held_until_the_connection_is_dropped() {
        let permits = Arc::new(Semaphore::new(1));
        let (near, _far) = tokio::io::duplex(64);
        let connection = Connection::new(
            near,
            permits.clone().try_acquire_owned().unwrap(),
            Duration::from_secs(60),
        );
        assert!(permits.clone().try_acquire_owned().is_err());
        drop(connection);
        assert!(permits.try_acquire_owned().is_ok());
    }
}
