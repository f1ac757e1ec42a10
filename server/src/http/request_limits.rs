//! Limits every request meets before any handler runs, whatever the route:
//! - a whole-request timeout (`--request-timeout-secs`): the handler, reading the body
//!   included, must answer in time, or the client gets 408 and the connection closes;
//! - a body limit (`--max-body-bytes`): a larger body gets 413 and reaches no handler. Routes
//!   with a smaller limit of their own (the Management API's 256 KiB) keep it.

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::pin::Pin;
use std::time::Duration;

#[derive(Clone, Copy, Debug)]
pub struct RequestLimits {
    pub timeout: Duration,
    pub max_body_bytes: usize,
}

pub async fn timeout(
    State(limits): State<RequestLimits>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(limits.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            // The path only: a legacy API key may travel in the query string.
            tracing::warn!(%path, "a request was not answered within --request-timeout-secs: 408");
            let message = format!(
                "The request took longer than this server allows ({} s); try again.",
                limits.timeout.as_secs()
            );
            let mut response = (StatusCode::REQUEST_TIMEOUT, message).into_response();
            // The body may be half read: the connection cannot carry another request.
            close(&mut response);
            response
        }
    }
}

pub async fn body_limit(
    State(limits): State<RequestLimits>,
    request: Request,
    next: Next,
) -> Response {
    let max = limits.max_body_bytes;
    let (parts, mut body) = request.into_parts();
    match declared_length(&parts.headers) {
        // hyper delivers no more than Content-Length says, so such a body needs no watching.
        Some(length) if length <= max as u64 => {
            return next.run(Request::from_parts(parts, body)).await;
        }
        Some(length) => {
            // Read what is small enough to read, so that the client, still sending, sees the
            // answer rather than a reset connection; beyond that, answer and close.
            let drained = length <= 2 * max as u64
                && matches!(read_at_most(&mut body, 2 * max, false).await, Ok(Some(_)));
            return too_large(parts.uri.path(), max, !drained);
        }
        None if body.size_hint().exact() == Some(0) => {
            return next.run(Request::from_parts(parts, body)).await;
        }
        None => {}
    }
    // Chunked: its length shows only while reading, so read it here, up to the limit.
    match read_at_most(&mut body, max, true).await {
        Ok(Some(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(None) => {
            let drained = matches!(read_at_most(&mut body, max, false).await, Ok(Some(_)));
            too_large(parts.uri.path(), max, !drained)
        }
        Err(e) => {
            tracing::debug!(error = %e, "cannot read a request body");
            let mut response = (
                StatusCode::BAD_REQUEST,
                "The request body could not be read.",
            )
                .into_response();
            close(&mut response);
            response
        }
    }
}

/// `Some(n)` for a valid Content-Length; `None` without one (hyper refuses invalid ones).
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Reads the rest of `body` if it holds at most `limit` bytes: `Some` of them (empty unless
/// `keep`), or `None` as soon as it is longer.
async fn read_at_most(
    body: &mut Body,
    limit: usize,
    keep: bool,
) -> Result<Option<Vec<u8>>, axum::Error> {
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await {
        // Trailers carry no body bytes; the handlers read none.
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        total += data.len();
        if total > limit {
            return Ok(None);
        }
        if keep {
            kept.extend_from_slice(&data);
        }
    }
    Ok(Some(kept))
}

fn too_large(path: &str, max: usize, closing: bool) -> Response {
    let message = format!(
        "The request body is larger than this server accepts ({max} bytes, \
         --max-body-bytes)."
    );
    // The Management API's clients read only the body, in the API's error shape.
    let mut response = if path == "/platform_api" || path.starts_with("/platform_api/") {
        let body = serde_json::json!({"error": {"code": 101, "msg": message}});
        (StatusCode::PAYLOAD_TOO_LARGE, axum::Json(body)).into_response()
    } else {
        (StatusCode::PAYLOAD_TOO_LARGE, message).into_response()
    };
    if closing {
        close(&mut response);
    }
    response
}

fn close(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}
