//! The webhook dispatcher: delivers due rows of the `webhook_deliveries` outbox.

use crate::worker::retry::parse_retry_after;
use crate::worker::signing;
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

/// Bytes of a receiver's response body kept with each attempt.
pub const RESPONSE_BODY_LIMIT: usize = 1024;

/// One delivery request, as stored in the outbox.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub delivery_id: &'a str,
    pub url: &'a str,
    pub event: &'a str,
    /// The exact body bytes fixed at enqueue time.
    pub payload: &'a [u8],
    /// The secret that applies (the webhook's, or `webhooks.default_secret` for a job's own
    /// `webhook_url`); `None` sends the request unsigned.
    pub secret: Option<&'a [u8]>,
}

/// How an attempt ended, as far as the delivery's state is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// 2xx.
    Delivered,
    /// 410 Gone: the receiver asks us to stop; the webhook is disabled.
    Gone,
    /// Anything else: another status (3xx included, redirects are not followed), a refused
    /// target, a connection error or a timeout.
    Failed,
}

/// What one HTTP attempt produced: the columns of `webhook_delivery_attempts`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptReport {
    pub started_at: DateTime<Utc>,
    pub duration: Duration,
    pub status_code: Option<u16>,
    /// The receiver's `Retry-After`, parsed (delta-seconds or HTTP-date).
    pub retry_after: Option<Duration>,
    /// The first [`RESPONSE_BODY_LIMIT`] bytes of the response body (lossy UTF-8).
    pub response_body: Option<String>,
    pub error: Option<String>,
}

impl AttemptReport {
    pub fn outcome(&self) -> AttemptOutcome {
        match self.status_code {
            Some(code) if (200..300).contains(&code) => AttemptOutcome::Delivered,
            Some(410) => AttemptOutcome::Gone,
            _ => AttemptOutcome::Failed,
        }
    }
}

/// Sends one delivery with `client` (a [`crate::net::guarded_client`], so private addresses are
/// refused after DNS resolution unless allowed, and redirects are not followed). Never fails:
/// every problem becomes the attempt's `error`.
pub async fn send(client: &reqwest::Client, allow_private: bool, outgoing: Outgoing<'_>) -> AttemptReport {
    let started_at = Utc::now();
    let clock = Instant::now();
    let report = |status_code: Option<u16>, retry_after, response_body, error| AttemptReport {
        started_at,
        duration: clock.elapsed(),
        status_code,
        retry_after,
        response_body,
        error,
    };
    // The URL was checked at registration; checked again here because the policy
    // (`webhooks.allow_private_targets`) may have changed since.
    let url = match crate::net::check_url(outgoing.url, allow_private) {
        Ok(url) => url,
        Err(reason) => return report(None, None, None, Some(format!("target refused: {reason}"))),
    };
    let signature = outgoing.secret.map(|secret| signing::sign(secret, outgoing.payload));
    let mut request = client.post(url).body(outgoing.payload.to_vec());
    for (name, value) in signing::delivery_headers(outgoing.event, outgoing.delivery_id, signature) {
        request = request.header(name, value);
    }
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(e) => return report(None, None, None, Some(describe_error(&e))),
    };
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, Utc::now()));
    let (body, body_error) = read_prefix(&mut response, RESPONSE_BODY_LIMIT).await;
    let error = if status.is_success() {
        None
    } else if status.is_redirection() {
        Some(format!("receiver answered {status} (redirects are not followed)"))
    } else {
        Some(format!("receiver answered {status}"))
    }
    .or(body_error.filter(|_| !status.is_success()));
    report(Some(status.as_u16()), retry_after, Some(body), error)
}

/// Reads at most `limit` bytes of the body, so that a huge or endless response costs nothing.
/// A body that breaks off (timeout, reset) keeps what arrived and reports why.
async fn read_prefix(response: &mut reqwest::Response, limit: usize) -> (String, Option<String>) {
    let mut kept: Vec<u8> = Vec::new();
    let mut error = None;
    while kept.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk[..chunk.len().min(limit - kept.len())]),
            Ok(None) => break,
            Err(e) => {
                error = Some(format!("reading the response body: {}", describe_error(&e)));
                break;
            }
        }
    }
    (String::from_utf8_lossy(&kept).into_owned(), error)
}

/// A one-line reason from a reqwest error and its causes, without the URL (operators see it
/// next to the delivery) so that credentials in a query string are not copied into errors.
fn describe_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out waiting for the receiver".to_string();
    }
    let mut parts = vec![if e.is_connect() {
        "could not connect".to_string()
    } else {
        "request failed".to_string()
    }];
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}
