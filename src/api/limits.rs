//! Request-level bounds that no single handler can enforce: a deadline for reading the request
//! body (`server.request_timeout_seconds`; slow bodies otherwise hold a socket and a worker slot
//! for as long as the client likes), and `HEAD` served wherever `GET` is.

use super::error::ApiError;
pub use super::error::{BODY_TIMEOUT_MARKER, is_body_timeout};
use super::rate_limit::{Decision, unix_now};
use crate::api::state::AppState;
use actix_web::HttpMessage;
use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use actix_web::web::Bytes;
use futures_util::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

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

/// Middleware: the request body must arrive within `server.request_timeout_seconds` of the
/// request reaching the application (the head has actix's own client request timeout).
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let seconds = req
        .app_data::<web::Data<AppState>>()
        .map_or(30, |state| state.settings.server.request_timeout_seconds);
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
    next.call(req).await.map(ServiceResponse::map_into_boxed_body)
}

/// Middleware: `HEAD` is routed as `GET` (RFC 9110: a server that serves GET serves HEAD). The
/// connection layer remembers the request was HEAD and sends the headers without the body.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await.map(ServiceResponse::map_into_boxed_body)
}
/// Middleware applying the limit of the current (live) settings.
pub async fn limit_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let live = state.live.current();
    let client = req.peer_addr().map(|a| a.ip());
    let counted = live.rate_limit.enabled && !super::probes::is_probe_path(req.path());
    let (true, Some(client)) = (counted, client) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let now = unix_now();
    let decision = state.limiter.check(client, live.rate_limit.requests_per_minute, now);
    if !decision.allowed {
        let retry_after = decision.retry_after(now);
        let error = ApiError::rate_limited(
            format!("Rate limit exceeded. Retry after {retry_after} seconds."),
            retry_after,
        );
        let mut response = error.error_response();
        set_headers(response.headers_mut(), &decision);
        return Ok(req.into_response(response));
    }
    let mut response = next.call(req).await?.map_into_boxed_body();
    set_headers(response.headers_mut(), &decision);
    Ok(response)
}

fn set_headers(headers: &mut actix_web::http::header::HeaderMap, decision: &Decision) {
    for (name, value) in [
        ("x-ratelimit-limit", decision.limit as u64),
        ("x-ratelimit-remaining", decision.remaining as u64),
        ("x-ratelimit-reset", decision.reset),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}
