//! The listener's limits against a real `strongroom` process, over raw connections where the
//! test must control every byte: slow and idle connections are closed by the header timeout,
//! connections over the cap are closed at once, a body over the limit reaches no handler, a
//! request that takes too long gets 408, and X-Forwarded-For counts only from trusted proxies.

use crate::support::Server;
use crate::support::api::Api;
use serde_json::Value;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

/// The most any one check waits for the server to act; far above what it needs, so that a slow
/// machine cannot fail a test, while a server that never acts fails it.
const PATIENCE: Duration = Duration::from_secs(30);

/// A server started without the harness's HTTP client, which would keep a pooled connection
/// open (and so hold one of the connections under test).
struct RawServer {
    child: Child,
    port: u16,
    _tmp: tempfile::TempDir,
    log_file: std::path::PathBuf,
}

impl RawServer {
    fn start(env: &[(&str, &str)]) -> RawServer {
        let tmp = tempfile::tempdir().expect("temp dir");
        let port = crate::support::free_port();
        let log_file = tmp.path().join("server.log");
        let child = crate::support::spawn(&tmp.path().join("data"), port, env, &log_file);
        let mut server = RawServer {
            child,
            port,
            _tmp: tmp,
            log_file,
        };
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("strongroom exited with {status}:\n{}", server.logs());
            }
            if server.get_closing("/healthz") == Some(200) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("strongroom did not answer /healthz:\n{}", server.logs());
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_write_timeout(Some(PATIENCE)).expect("timeout");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        stream
    }

    /// The status of a GET on a connection of its own that the server closes after it.
    fn get_closing(&self, path: &str) -> Option<u16> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(PATIENCE)).ok()?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).ok()?;
        read_response(&mut stream).map(|(status, _, _)| status)
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_file).unwrap_or_default()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A keep-alive GET of /healthz on `stream`: its status, or `None` when the connection ends
/// without an answer.
fn get_healthz(stream: &mut TcpStream) -> Option<u16> {
    let request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    stream.write_all(request).ok()?;
    read_response(stream).map(|(status, _, _)| status)
}

/// Reads one response with a Content-Length body: (status, lowercased head, body); `None` if
/// the connection ends first.
fn read_response(stream: &mut TcpStream) -> Option<(u16, String, String)> {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
            let status = head.split_whitespace().nth(1)?.parse().ok()?;
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while data.len() < end + 4 + length {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => return None,
                    Ok(n) => data.extend_from_slice(&chunk[..n]),
                }
            }
            let body = String::from_utf8_lossy(&data[end + 4..end + 4 + length]).into_owned();
            return Some((status, head, body));
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Whether the server closes `stream` before `deadline`: the end of the stream or a reset,
/// after whatever it sent first. `false` when it is still open then.
fn closed_by(stream: &mut TcpStream, deadline: Instant) -> bool {
    let mut chunk = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("timeout");
        match stream.read(&mut chunk) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn slow_and_idle_connections_are_closed_by_the_header_timeout() {
    let server = RawServer::start(&[("STRONGROOM_HEADER_TIMEOUT_SECS", "1")]);
    // Half a request header each, never finished: the classic slow-loris.
    let mut half: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut stream = server.connect();
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                .expect("write");
            stream
        })
        .collect();
    // Connected, and nothing sent at all.
    let mut silent = server.connect();
    // Served once, then idle on keep-alive.
    let mut idle = server.connect();
    assert_eq!(get_healthz(&mut idle), Some(200));
    // A header trickled a byte at a time, each well within the timeout: the deadline is for
    // the whole header, so trickling does not keep the connection.
    let mut trickled = server.connect();
    trickled
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .expect("write");
    let mut writer = trickled.try_clone().expect("clone");
    let trickle = std::thread::spawn(move || {
        let until = Instant::now() + PATIENCE;
        let mut sent = 0;
        while Instant::now() < until && writer.write_all(b"a").is_ok() {
            sent += 1;
            std::thread::sleep(Duration::from_millis(200));
        }
        sent
    });

    let deadline = Instant::now() + PATIENCE;
    let still_open = half
        .iter_mut()
        .filter_map(|stream| (!closed_by(stream, deadline)).then_some(()))
        .count();
    assert_eq!(still_open, 0, "half-header connections still open");
    assert!(
        closed_by(&mut silent, deadline),
        "a silent connection is still open"
    );
    assert!(
        closed_by(&mut idle, deadline),
        "an idle keep-alive connection is still open"
    );
    assert!(
        closed_by(&mut trickled, deadline),
        "a trickling connection is still open"
    );
    let sent = trickle.join().expect("trickle thread");
    assert!(
        sent > 1,
        "the trickle was cut before it began: {sent} byte(s)"
    );
    // The server itself is fine.
    assert_eq!(server.get_closing("/healthz"), Some(200));
}

#[test]
fn connections_over_the_cap_are_closed_at_once() {
    let server = RawServer::start(&[
        ("STRONGROOM_MAX_CONNECTIONS", "5"),
        ("STRONGROOM_HEADER_TIMEOUT_SECS", "120"),
    ]);
    // Five connections, each proven served (so each holds its place). A place the readiness
    // check's closed connection still held a moment ago may be refused once: try again.
    let mut held: Vec<TcpStream> = (0..5)
        .map(|i| {
            for _ in 0..20 {
                let mut stream = server.connect();
                if get_healthz(&mut stream) == Some(200) {
                    return stream;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            panic!("connection {i} of 5 was never served:\n{}", server.logs());
        })
        .collect();

    // The sixth is closed without an answer, while the five stay open.
    let mut sixth = server.connect();
    assert_eq!(
        get_healthz(&mut sixth),
        None,
        "a sixth connection was served"
    );
    assert!(closed_by(&mut sixth, Instant::now() + PATIENCE));
    for stream in &mut held {
        assert_eq!(
            get_healthz(stream),
            Some(200),
            "a held connection stopped working"
        );
    }
    assert!(
        server
            .logs()
            .contains("as many as --max-connections allows"),
        "the cap is not in the log:\n{}",
        server.logs()
    );

    // Once one closes, its place is free again (the server notices the close on its own time).
    drop(held.pop());
    let deadline = Instant::now() + PATIENCE;
    let mut served = false;
    while !served && Instant::now() < deadline {
        served = server.get_closing("/healthz") == Some(200);
        if !served {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    assert!(served, "no new connection was served after one closed");
}

#[test]
fn a_request_not_answered_in_time_gets_408() {
    let server = RawServer::start(&[
        ("STRONGROOM_SCENARIO_TIMEOUT_SECS", "1"),
        // The shortest the server accepts: longer than a sign-in's 10 s argon2 queue.
        ("STRONGROOM_REQUEST_TIMEOUT_SECS", "11"),
    ]);
    // The header is complete (the header timeout is satisfied), the body never is.
    let mut stream = server.connect();
    stream
        .write_all(
            b"POST /platform_api/GetApplications HTTP/1.1\r\nHost: 127.0.0.1\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n\
              account_id=1",
        )
        .expect("write");
    let (status, head, body) = read_response(&mut stream).expect("no answer");
    assert_eq!(status, 408, "{head}\n{body}");
    assert!(head.contains("connection: close"), "{head}");
    assert!(body.contains("11 s"), "{body}");
    assert!(closed_by(&mut stream, Instant::now() + PATIENCE));
    assert_eq!(server.get_closing("/healthz"), Some(200));
}

#[test]
fn bad_limits_and_the_old_proxy_flag_are_refused_at_start() {
    for (env, expected) in [
        (
            vec![
                ("STRONGROOM_SCENARIO_TIMEOUT_SECS", "30"),
                ("STRONGROOM_REQUEST_TIMEOUT_SECS", "20"),
            ],
            "--request-timeout-secs (20) must be longer than",
        ),
        (vec![("STRONGROOM_TRUST_PROXY", "true")], "--trusted-proxy"),
        (
            vec![("STRONGROOM_MAX_BODY_BYTES", "1000")],
            "--max-body-bytes",
        ),
    ] {
        let (ok, stderr) = start_and_exit(&env);
        assert!(!ok, "{env:?}: started");
        assert!(stderr.contains(expected), "{env:?}: {stderr}");
    }
}

/// Starts a server expected to refuse its configuration: (exited successfully, its output).
fn start_and_exit(env: &[(&str, &str)]) -> (bool, String) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let log = tmp.path().join("server.log");
    let mut child = crate::support::spawn(
        &tmp.path().join("data"),
        crate::support::free_port(),
        env,
        &log,
    );
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("strongroom kept running with {env:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (
        status.success(),
        std::fs::read_to_string(&log).unwrap_or_default(),
    )
}

/// The limit the body tests set: the smallest allowed.
const MAX_BODY: usize = 2 * 1024 * 1024;

#[tokio::test]
async fn bodies_over_the_limit_get_413_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let limit = MAX_BODY.to_string();
    let server = Server::start_with(
        &tmp.path().join("data"),
        &[("STRONGROOM_MAX_BODY_BYTES", &limit)],
    )
    .await;
    let app = server.create_application("sized").await;
    let app_id = app.to_string();
    // Over the limit: refused before the server function runs (which would have cut the
    // description to 200 characters and stored the secret).
    let (status, body) = create_secret(&server, app, &"d".repeat(MAX_BODY)).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.to_string().contains("--max-body-bytes"), "{body}");
    assert!(server.secret_names(app).await.is_empty());

    // The Management API, in its own error shape.
    let api = Api::legacy(&server).await;
    let value = "v".repeat(MAX_BODY);
    let response = api
        .request(
            "AddSecret",
            &[
                ("application_id", &app_id),
                ("secret_name", "BIG"),
                ("secret_value", &value),
            ],
        )
        .send()
        .await
        .expect("request");
    let (status, body) = crate::support::status_and_body(response).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], 101, "{body}");
    assert!(server.secret_names(app).await.is_empty());

    // Under the limit, a large request still works.
    let (status, body) = create_secret(&server, app, &"d".repeat(MAX_BODY / 2)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.secret_names(app).await, ["BIG"]);
}

/// `create_secret` BIG in `app`, with `description`: the status and the body.
async fn create_secret(server: &Server, app: i64, description: &str) -> (u16, Value) {
    let app = app.to_string();
    let args = [
        ("application_id", app.as_str()),
        ("name", "BIG"),
        ("value", "v"),
        ("description", description),
    ];
    server.call_raw("create_secret", &args).await
}

#[tokio::test]
async fn chunked_bodies_are_measured_as_they_arrive() {
    let tmp = tempfile::tempdir().unwrap();
    let limit = MAX_BODY.to_string();
    let server = Server::start_with(
        &tmp.path().join("data"),
        &[("STRONGROOM_MAX_BODY_BYTES", &limit)],
    )
    .await;
    let api = Api::legacy(&server).await;
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let send_chunked = |chunks: Vec<Vec<u8>>| {
        let port = port.clone();
        move || {
            let mut stream = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
            stream.set_read_timeout(Some(PATIENCE)).unwrap();
            stream
                .write_all(
                    b"POST /platform_api/AddApplication HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                      Content-Type: application/x-www-form-urlencoded\r\n\
                      Transfer-Encoding: chunked\r\n\r\n",
                )
                .unwrap();
            for chunk in chunks {
                let _ = write!(stream, "{:x}\r\n", chunk.len());
                let _ = stream.write_all(&chunk);
                let _ = stream.write_all(b"\r\n");
            }
            let _ = stream.write_all(b"0\r\n\r\n");
            read_response(&mut stream).expect("no answer")
        }
    };
    let params = format!("account_id=1&api_key={}&application_name=", api.key());

    // A small body in several chunks is put together and served.
    let chunks = vec![
        params.clone().into_bytes(),
        b"chunk".to_vec(),
        b"ed".to_vec(),
    ];
    let (status, _, body) = tokio::task::spawn_blocking(send_chunked(chunks))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(body["result"], 1, "{body}");

    // One over the limit in total is refused, and nothing is created.
    let mut chunks = vec![format!("{params}toolong").into_bytes()];
    chunks.extend((0..32).map(|_| vec![b'x'; MAX_BODY / 32]));
    let (status, _, body) = tokio::task::spawn_blocking(send_chunked(chunks))
        .await
        .unwrap();
    assert_eq!(status, 413, "{body}");
    let names: Vec<String> = server
        .applications()
        .await
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    assert_eq!(names, ["chunked"]);
}

/// An audited change from this machine with `X-Forwarded-For: 6.6.6.6, 203.0.113.7` (the
/// first entry forged by the "client", the second appended by the "proxy"): the client
/// address its audit record holds.
async fn audited_address(server: &Server, name: &str) -> String {
    let session = server.session.as_ref().expect("signed in");
    let response = server
        .post_api(
            "create_application",
            &[("name", name)],
            &[
                ("cookie", &session.cookie()),
                ("x-csrf-token", &session.csrf),
                ("x-forwarded-for", "6.6.6.6, 203.0.113.7"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let records = crate::support::audit_records(server, &[("action", "application.create")]).await;
    let record = records
        .iter()
        .find(|r| r["application_name"] == name)
        .unwrap_or_else(|| panic!("no record for {name}: {records:?}"));
    record["client_ip"].as_str().expect("client_ip").to_owned()
}

/// A GET of /healthz from this machine naming a foreign Host, as a proxy passes it on.
async fn status_with_foreign_host(server: &Server) -> u16 {
    let port = server.base.rsplit(':').next().expect("port").to_owned();
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        stream
            .write_all(
                b"GET /healthz HTTP/1.1\r\nHost: vault.example.com\r\nConnection: close\r\n\r\n",
            )
            .expect("write");
        read_response(&mut stream).expect("no answer").0
    })
    .await
    .expect("request thread")
}

async fn start_with_proxies(dir: &Path, proxies: Option<&str>) -> Server {
    match proxies {
        Some(list) => Server::start_with(dir, &[("STRONGROOM_TRUSTED_PROXY", list)]).await,
        None => Server::start(dir).await,
    }
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, (proxies, expected, host_status)) in [
        // The test is the proxy: the address it appended is the client's.
        (Some("10.0.0.0/8,127.0.0.1/32"), "203.0.113.7", 200),
        // Not trusted, or trust configured for other peers: the header is ignored.
        (None, "127.0.0.1", 421),
        (Some("10.0.0.0/8"), "127.0.0.1", 421),
    ]
    .into_iter()
    .enumerate()
    {
        let server = start_with_proxies(&tmp.path().join(format!("data-{i}")), proxies).await;
        let address = audited_address(&server, &format!("app-{i}")).await;
        assert_eq!(address, expected, "trusted proxies {proxies:?}");
        // On a loopback listener only a trusted proxy may pass a foreign Host.
        assert_eq!(
            status_with_foreign_host(&server).await,
            host_status,
            "trusted proxies {proxies:?}"
        );
    }
}

#[tokio::test]
async fn a_raised_limit_reaches_the_server_functions_too() {
    // The default (4 MiB) is above axum's own 2 MiB, which the server functions would apply.
    let (_tmp, server) = crate::support::start_temp().await;
    let app = server.create_application("roomy").await;
    let (status, body) = create_secret(&server, app, &"d".repeat(3 * 1024 * 1024)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.secret_names(app).await, ["BIG"]);
}

/// Runs `openssl s_client` against `port` with `stdin` piped: the child.
fn s_client(port: u16, args: &[&str]) -> Child {
    std::process::Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("openssl s_client (the TLS test needs the openssl command)")
}

/// Waits up to `PATIENCE` for `child` to exit; whether it did.
fn exits(child: &mut Child) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if child.try_wait().expect("wait").is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

#[test]
fn https_has_the_same_limits_speaks_http1_and_stops_gracefully() {
    let tmp = tempfile::tempdir().unwrap();
    let (cert, key) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl req (the TLS test needs the openssl command)");
    assert!(made.status.success(), "{made:?}");
    let port = crate::support::free_port();
    let log = tmp.path().join("server.log");
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    let mut child = crate::support::spawn(
        &tmp.path().join("data"),
        port,
        &[
            ("STRONGROOM_TLS_CERT", cert.as_str()),
            ("STRONGROOM_TLS_KEY", key.as_str()),
            ("STRONGROOM_HEADER_TIMEOUT_SECS", "1"),
        ],
        &log,
    );
    let logs = || std::fs::read_to_string(&log).unwrap_or_default();
    let deadline = Instant::now() + PATIENCE;
    while !logs().contains("Strongroom is serving") {
        assert!(Instant::now() < deadline, "not serving:\n{}", logs());
        assert!(child.try_wait().unwrap().is_none(), "exited:\n{}", logs());
        std::thread::sleep(Duration::from_millis(50));
    }

    // A client offering HTTP/2 gets HTTP/1.1, and its request is served.
    let mut client = s_client(port, &["-alpn", "h2,http/1.1", "-ign_eof"]);
    client
        .stdin
        .take()
        .unwrap()
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert!(exits(&mut client), "the request was not answered");
    let output = client.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("ALPN protocol: http/1.1"), "{stdout}");
    assert!(stdout.contains("HTTP/1.1 200 OK"), "{stdout}");

    // Half a header inside TLS is cut off like on plain HTTP (s_client exits when it is).
    let mut slow = s_client(port, &["-quiet"]);
    let mut stdin = slow.stdin.take().unwrap();
    stdin
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    assert!(
        exits(&mut slow),
        "a half-header TLS connection is still open"
    );
    drop(stdin);
    // And a connection that never starts the handshake.
    let mut silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert!(closed_by(&mut silent, Instant::now() + PATIENCE));

    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(exits(&mut child), "SIGTERM did not stop the server");
    assert!(child.wait().unwrap().success(), "{}", logs());
    assert!(logs().contains("Strongroom stopped"), "{}", logs());
}
