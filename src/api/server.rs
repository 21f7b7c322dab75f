//! How the API is served: HTTP/1.1 over hyper, with hyper's request-head limits set far above
//! the product's, so that a head over the product's limits reaches [`limit_head`] and is
//! refused in the envelope (hyper's own refusals have an empty body).
//!
//! What hyper still answers itself, with an empty body, and closes the connection after:
//! * 431 for a head over [`HYPER_MAX_HEADERS`] header lines or [`HYPER_MAX_HEAD_BYTES`];
//! * 414 for a request target over 65,534 bytes (hyper's fixed limit);
//! * 400 for a request it cannot parse or frame: a request line that is not
//!   `METHOD target HTTP/1.x`, a header line that is not `name: value` with a token name and no
//!   control characters, a Content-Length that is not one number, or a Transfer-Encoding whose
//!   last coding is not `chunked` (or on HTTP/1.0). These stay hyper's: letting such a request
//!   through (`ignore_invalid_headers`) would mean guessing where it ends.
//!
//! An HTTP/2 preface gets no answer, only a close. README "HTTP API" says the same.

use std::future::Future;
use std::io::ErrorKind;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use super::error::ApiError;

/// Header lines a request may have (hyper's default, which the API had before it set its own).
pub const MAX_HEADERS: usize = 100;
/// Bytes a request head may have: the request line, the header lines and the blank line.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// hyper's limits, 10x and 16x the product's: a request past these is hyper's bare 431, one
/// under them but past the product's is [`limit_head`]'s enveloped one. hyper allocates two
/// 32-byte slots per allowed header for every request it parses, hence not more.
pub const HYPER_MAX_HEADERS: usize = 1000;
pub const HYPER_MAX_HEAD_BYTES: usize = 256 * 1024;

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting, lets each
/// connection finish the request it is on, and returns once all are closed (as axum::serve's
/// graceful shutdown did).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let mut builder = http1::Builder::new();
    builder
        .max_headers(HYPER_MAX_HEADERS)
        .max_header_size(HYPER_MAX_HEAD_BYTES);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // The peer gave up before the accept; nothing is wrong with the listener.
                Err(e) if matches!(
                    e.kind(),
                    ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
                ) => continue,
                // Out of file descriptors and the like: retrying at once would spin.
                Err(e) => {
                    tracing::error!(error = %e, "api accept failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let conn =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "api connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Answers 431 TASK_010 for a request head over [`MAX_HEADERS`] or [`MAX_HEAD_BYTES`]; a layer
/// of every route and both fallbacks, so it comes before authentication and the body.
pub async fn limit_head(req: Request, next: Next) -> Response {
    let count = req.headers().len();
    if count > MAX_HEADERS {
        return ApiError::head_too_large(format!(
            "request headers too large: {count} headers, at most {MAX_HEADERS}"
        ))
        .into_response();
    }
    let bytes = head_bytes(&req);
    if bytes > MAX_HEAD_BYTES {
        return ApiError::head_too_large(format!(
            "request headers too large: {bytes} bytes, at most {} KiB",
            MAX_HEAD_BYTES / 1024
        ))
        .into_response();
    }
    next.run(req).await
}

/// The head's size as written on the wire, less any optional whitespace hyper dropped:
/// `METHOD target HTTP/1.1\r\n`, `name: value\r\n` per header, and the closing `\r\n`.
fn head_bytes(req: &Request) -> usize {
    let uri = req.uri();
    let target = uri.scheme_str().map_or(0, |s| s.len() + "://".len())
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(0, |p| p.as_str().len());
    let request_line = req.method().as_str().len() + target + " HTTP/1.1\r\n ".len();
    let header_lines: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + ": \r\n".len() + value.len())
        .sum();
    request_line + header_lines + "\r\n".len()
}
