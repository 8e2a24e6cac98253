//! Request-level bounds that no single handler can enforce: a deadline for reading the request
//! body (`server.request_timeout_seconds`; slow bodies otherwise hold a socket and a worker slot
//! for as long as the client likes), and `HEAD` served wherever `GET` is.

use actix_web::HttpMessage;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::http::Method;
use actix_web::web::Bytes;
use futures_util::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub use super::error::{BODY_TIMEOUT_MARKER, is_body_timeout};

/// A payload that ends with an error once its deadline passes.
struct DeadlinePayload {
    inner: Payload,
    deadline: Pin<Box<tokio::time::Sleep>>,
    seconds: u64,
    expired: bool,
}

impl Stream for DeadlinePayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut this.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.expired = true;
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "the request body was not received within {} s ({BODY_TIMEOUT_MARKER})",
                    this.seconds
                ),
            )))));
        }
        Poll::Pending
    }
}

/// The request body must arrive within `seconds` (`server.request_timeout_seconds`) of the
/// request reaching the application (the head has actix's own client request timeout).
pub fn add_body_deadline(req: &mut ServiceRequest, seconds: u64) {
    let inner = req.take_payload();
    let payload = DeadlinePayload {
        inner,
        deadline: Box::pin(tokio::time::sleep(Duration::from_secs(seconds))),
        seconds,
        expired: false,
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(payload),
    });
}

/// `HEAD` is routed as `GET` (RFC 9110: a server that serves GET serves HEAD). The connection
/// layer remembers the request was HEAD and sends the headers without the body.
pub fn route_head_as_get(req: &mut ServiceRequest) {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
}
