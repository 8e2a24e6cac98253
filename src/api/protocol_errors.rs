//! The envelope on the HTTP/1 errors that actix-http answers itself, before the application
//! runs: 400 (a malformed request head), 431 (a head over 128 KiB or with more than 96 headers),
//! 408 (no complete head within 5 s) and 500 (a broken connection state).
//!
//! actix-http writes those responses with an empty body and offers no hook to change them (its
//! h1 dispatcher builds them inline: `Response::bad_request().drop_body()`, `Response::with_body(
//! StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, ())`). So the connection's socket is wrapped in
//! [`EnvelopedErrors`], which passes every byte through unchanged except such a response: always
//! the last one written on its connection (the dispatcher stops reading and closes after it), it
//! is recognised at the end of a write by its exact form (status line, `content-length: 0`,
//! optional `connection: close`, `date`) and replaced by the same status with the JSON envelope
//! and `connection: close`. The cost on other writes is one comparison of their last 8 bytes.
//!
//! A body that itself ends with the exact bytes of such a response (JSON cannot: it has no raw
//! line breaks) would be rewritten; only persona Markdown exports carry raw text, and theirs is
//! generated, not echoed. HTTP/2 is not served (the listener speaks HTTP/1 only, as before).

use crate::api::error::{ErrorBody, ErrorCode};
use actix_http::{HttpService, KeepAlive, Protocol};
use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::App;
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Server, ServiceFactory, ServiceRequest, ServiceResponse};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// What actix-web's `HttpServer` uses: keep-alive 5 s, a request head within 5 s, 1 s for a
/// client to close after the response.
const KEEP_ALIVE: Duration = Duration::from_secs(5);
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// How the server's HTTP workers run (`server.workers`, `server.shutdown_grace_seconds`).
pub struct ServerOptions {
    pub workers: usize,
    pub shutdown_grace_seconds: u64,
}

/// Serves the apps made by `make_app` on `listener`, HTTP/1 only, as actix-web's
/// `HttpServer::listen` does (same timeouts, graceful shutdown of idle keep-alive connections on
/// stop, no signal handling), with each connection's socket wrapped in [`EnvelopedErrors`].
pub fn serve<F, T, B>(listener: std::net::TcpListener, options: ServerOptions, make_app: F) -> io::Result<Server>
where
    F: Fn() -> App<T> + Send + Clone + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    let local = listener.local_addr()?;
    let builder = Server::build();
    let shutdown = builder.graceful_shutdown_signal();
    Ok(builder
        .workers(options.workers.max(1))
        .disable_signals()
        .shutdown_timeout(options.shutdown_grace_seconds)
        .listen("persona-http", listener, move || {
            let shutdown = shutdown.clone();
            let app = make_app()
                .into_factory()
                .map_err(|e: actix_web::Error| e.as_response_error().error_response());
            let http = HttpService::build()
                .keep_alive(KeepAlive::Timeout(KEEP_ALIVE))
                .client_request_timeout(HEAD_TIMEOUT)
                .client_disconnect_timeout(DISCONNECT_TIMEOUT)
                .h1_allow_half_closed(true)
                .local_addr(local)
                .graceful_shutdown_signal(move || {
                    let shutdown = shutdown.clone();
                    async move { shutdown.notified().await }
                })
                // The app's host and address are only used to build URLs, which it never does.
                .finish(map_config(app, |_| AppConfig::default()));
            fn_service(|io: TcpStream| async move {
                let peer = io.peer_addr().ok();
                Ok((EnvelopedErrors::new(io), Protocol::Http1, peer))
            })
            .and_then(http)
        })?
        .run())
}

/// A socket that gives actix-http's own error responses the envelope (see the module).
pub struct EnvelopedErrors<S> {
    inner: S,
    /// The replacement response still to be written, and how much of it was.
    pending: Vec<u8>,
    written: usize,
}

impl<S> EnvelopedErrors<S> {
    pub fn new(inner: S) -> Self {
        EnvelopedErrors {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

impl<S: AsyncWrite + Unpin> EnvelopedErrors<S> {
    /// Writes what is left of a replacement; `Ready` once it is all written.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for EnvelopedErrors<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for EnvelopedErrors<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        if let Some((start, replacement)) = replace_error_response(buf) {
            // The whole buffer is taken: what precedes the error response, then its replacement.
            this.pending = [&buf[..start], replacement.as_slice()].concat();
            this.written = 0;
            // Errors surface on the next write, flush or shutdown; what was taken is written.
            let _ = this.poll_pending(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The responses actix-http writes itself, each with the envelope it gets.
const REPLACED: &[(&[u8], ErrorCode, &str)] = &[
    (
        b"HTTP/1.1 400 Bad Request\r\n",
        ErrorCode::InvalidInput,
        "malformed HTTP request: the request line or a header could not be parsed",
    ),
    (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
        ErrorCode::HeadersTooLarge,
        "the request head is too large: over 128 KiB, or more than 96 headers",
    ),
    (
        b"HTTP/1.1 408 Request Timeout\r\n",
        ErrorCode::RequestTimeout,
        "the request head did not arrive within 5 seconds",
    ),
    (
        b"HTTP/1.1 500 Internal Server Error\r\n",
        ErrorCode::InternalError,
        "the connection could not be processed",
    ),
];

/// `... GMT\r\n\r\n`: how every response head without a body ends.
const HEAD_END: &[u8] = b" GMT\r\n\r\n";

/// Where, at the end of `buf`, an empty error response of actix-http starts, and what replaces
/// it; `None` for everything else.
fn replace_error_response(buf: &[u8]) -> Option<(usize, Vec<u8>)> {
    if !buf.ends_with(HEAD_END) {
        return None;
    }
    // status line + `content-length: 0` + `connection: close` + a 29-byte date: under 160 bytes.
    let window = buf.len().saturating_sub(160);
    let start = window + find_last(&buf[window..], b"HTTP/1.1 ")?;
    let head = &buf[start..];
    let &(status_line, code, message) = REPLACED.iter().find(|(line, _, _)| head.starts_with(line))?;
    let rest = head[status_line.len()..].strip_prefix(b"content-length: 0\r\n".as_slice())?;
    let rest = rest.strip_prefix(b"connection: close\r\n".as_slice()).unwrap_or(rest);
    let date = rest
        .strip_prefix(b"date: ".as_slice())?
        .strip_suffix(b"\r\n\r\n".as_slice())?;
    if date.len() != 29 || date.contains(&b'\r') {
        return None;
    }
    let body = serde_json::to_vec(&ErrorBody {
        success: false,
        error: code,
        message: message.to_string(),
        details: serde_json::json!({}),
    })
    .ok()?;
    let mut replacement = Vec::with_capacity(status_line.len() + 120 + body.len());
    replacement.extend_from_slice(status_line);
    replacement.extend_from_slice(b"content-type: application/json\r\n");
    replacement.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    replacement.extend_from_slice(b"connection: close\r\ndate: ");
    replacement.extend_from_slice(date);
    replacement.extend_from_slice(b"\r\n\r\n");
    replacement.extend_from_slice(&body);
    Some((start, replacement))
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "Thu, 03 Dec 2026 07:41:54 GMT";

    #[test]
    fn the_dispatchers_empty_errors_get_the_envelope_and_nothing_else_changes() {
        let ok = format!("HTTP/1.1 200 OK\r\ncontent-length: 2\r\ndate: {DATE}\r\n\r\n{{}}");
        let bad = format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: {DATE}\r\n\r\n");
        // Pipelined: the response before the error is kept as it was.
        let (start, replacement) = replace_error_response(format!("{ok}{bad}").as_bytes()).unwrap();
        assert_eq!(start, ok.len());
        let text = String::from_utf8(replacement).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"));
        assert!(head.contains(&format!("content-length: {}\r\n", body.len())), "{head}");
        assert!(head.ends_with(&format!("connection: close\r\ndate: {DATE}")), "{head}");
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["success"], false);
        assert_eq!(body["error"], "invalid_input");

        let large = format!(
            "HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\ndate: {DATE}\r\n\r\n"
        );
        let (start, replacement) = replace_error_response(large.as_bytes()).unwrap();
        assert_eq!(start, 0);
        assert!(
            String::from_utf8(replacement)
                .unwrap()
                .contains("\"error\":\"headers_too_large\"")
        );

        // Everything else passes: bodies, empty successes, errors with a body, other statuses.
        for other in [
            ok.clone(),
            format!("HTTP/1.1 204 No Content\r\ndate: {DATE}\r\n\r\n"),
            format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\ndate: {DATE}\r\n\r\n"),
            format!("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\ndate: {DATE}\r\n\r\n"),
            format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nx-extra: 1\r\ndate: {DATE}\r\n\r\n"),
        ] {
            assert!(replace_error_response(other.as_bytes()).is_none(), "{other}");
        }
    }

    /// Through the adapter over a pipe that takes a few bytes at a time: the replacement is written
    /// whole, and the caller is told its buffer was.
    #[tokio::test]
    async fn the_replacement_is_written_whole_through_short_writes() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (client, server) = tokio::io::duplex(7);
        let mut socket = EnvelopedErrors::new(server);
        let bad = format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: {DATE}\r\n\r\n");
        let reader = tokio::spawn(async move {
            let mut client = client;
            let mut out = String::new();
            client.read_to_string(&mut out).await.unwrap();
            out
        });
        socket.write_all(bad.as_bytes()).await.unwrap();
        socket.shutdown().await.unwrap();
        drop(socket);
        let out = reader.await.unwrap();
        assert!(
            out.starts_with("HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"),
            "{out}"
        );
        assert!(out.ends_with("\"details\":{}}"), "{out}");
    }
}
