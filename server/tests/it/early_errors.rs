//! Management API requests that fail before their body is judged (too large, not UTF-8, no
//! credentials, no or an unknown method), each on a raw connection of its own: every answer
//! either says `Connection: close` and closes, or leaves the connection usable.

use crate::support::api::OVERSIZED_BODY;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long a socket read or write may block before the test gives up on it.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads one HTTP/1.1 response with a `content-length` body; `None` if the connection ends
/// first.
fn read_response(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
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
            return Some((head, data[end + 4..end + 4 + length].to_vec()));
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Whether a response head (lowercased by `read_response`) carries `Connection: close`.
fn says_close(head: &str) -> bool {
    head.lines().any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim() == "connection" && value.split(',').any(|token| token.trim() == "close")
        })
    })
}

/// Waits for the server to close `stream` (within its read timeout): the end of the stream,
/// or a reset when request bytes it never read were left (a close then sends RST, not FIN).
fn closed_by_server(stream: &mut TcpStream) -> Result<(), String> {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk) {
        Ok(0) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(()),
        Ok(n) => Err(format!("{n} more bytes arrived after the response")),
        Err(e) => Err(format!("the socket is still open ({e})")),
    }
}

/// A request that fails early, on a connection of its own.
struct EarlyError {
    what: &'static str,
    request: Vec<u8>,
    code: i64,
    /// Whether the answer closes the connection: only when the body was not read to its end
    /// (over the limit), so the next request on it could not be told from the body's rest.
    closes: bool,
}

fn early_errors(address: &str) -> Vec<EarlyError> {
    let head = |line: &str, extra: &str| {
        format!("{line} HTTP/1.1\r\nHost: {address}\r\n{extra}\r\n").into_bytes()
    };
    let with_body = |line: &str, content_type: &str, body: &[u8]| {
        let extra = format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        );
        [head(line, &extra), body.to_vec()].concat()
    };
    let form = "application/x-www-form-urlencoded";
    let big = vec![b'a'; OVERSIZED_BODY];
    // The same oversized body in 16 KiB chunks, with no length given up front.
    let mut chunked = head(
        "POST /platform_api/GetSecrets",
        &format!("Content-Type: {form}\r\nTransfer-Encoding: chunked\r\n"),
    );
    for piece in big.chunks(16 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    vec![
        EarlyError {
            what: "a body over the limit, with its length",
            request: with_body("POST /platform_api/GetSecrets", form, &big),
            code: 101,
            closes: true,
        },
        EarlyError {
            what: "a chunked body over the limit",
            request: chunked,
            code: 101,
            closes: true,
        },
        EarlyError {
            what: "a query that is not UTF-8, before a 60 KB body",
            request: with_body("POST /platform_api/GetSecrets?x=%FF", form, &[b'a'; 60_000]),
            code: 101,
            closes: false,
        },
        EarlyError {
            what: "a JSON body",
            request: with_body("POST /platform_api/GetSecrets", "application/json", b"[1]"),
            code: 101,
            closes: false,
        },
        EarlyError {
            what: "no credentials",
            request: head("GET /platform_api/GetSecrets", ""),
            code: 100,
            closes: false,
        },
        EarlyError {
            what: "no method",
            request: with_body("POST /platform_api", form, b"x=1"),
            code: 102,
            closes: false,
        },
        EarlyError {
            what: "an unknown method",
            request: with_body("POST /platform_api/Nope", form, &[b'a'; 10_000]),
            code: 103,
            closes: false,
        },
    ]
}

/// When a method fails before reading a large body, the server answers and then closes the
/// connection. It once did so without `Connection: close`: clients kept such connections for
/// the next call (reqwest did, in the fuzz test), and that call failed with a broken
/// connection. Now every early error either says `Connection: close` and closes, or keeps the
/// connection usable: the oversized bodies close, every other case is reused.
#[tokio::test]
async fn an_early_error_keeps_the_connection_usable_or_says_it_closes() {
    let (_tmp, server) = crate::support::start_temp().await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let cases = early_errors(&address);
    let (mut closed, mut reused) = (Vec::new(), Vec::new());
    for case in &cases {
        let what = case.what;
        let mut stream = TcpStream::connect(&address).expect("connect");
        stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        stream.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
        // The server may stop reading (and close) before the last bytes are written.
        let _ = stream.write_all(&case.request);
        let (head, reply) =
            read_response(&mut stream).unwrap_or_else(|| panic!("{what}: no response"));
        let reply: Value = serde_json::from_slice(&reply)
            .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {head}"));
        assert_eq!(reply["error"]["code"], json!(case.code), "{what}: {reply}");
        if says_close(&head) {
            // Told not to reuse the connection: the server must close it, not leave it open.
            if let Err(problem) = closed_by_server(&mut stream) {
                panic!("{what}: the response said `Connection: close` but {problem}");
            }
            closed.push(what);
            continue;
        }
        // Kept alive: the next request on the same connection gets its answer. The server
        // read the whole first request before answering it, so this one can follow at once.
        let second = format!("GET /platform_api/GetSecrets HTTP/1.1\r\nHost: {address}\r\n\r\n");
        let sent = stream.write_all(second.as_bytes()).is_ok();
        let answer = sent.then(|| read_response(&mut stream)).flatten();
        let answer: Option<Value> = answer.and_then(|(_, body)| serde_json::from_slice(&body).ok());
        assert!(
            answer.is_some_and(|a| a["error"]["code"] == json!(100)),
            "{what}: the connection was kept alive (no `Connection: close` in {head:?}) but did \
             not answer the next request"
        );
        reused.push(what);
    }
    println!("closed after the answer: {closed:?}\nkept for the next request: {reused:?}");
    // Exactly the oversized bodies close; every other case keeps its connection.
    let named = |closes: bool| -> Vec<&str> {
        let cases = cases.iter().filter(|case| case.closes == closes);
        cases.map(|case| case.what).collect()
    };
    assert_eq!(closed, named(true), "closed after the answer");
    assert_eq!(reused, named(false), "kept for the next request");
}
