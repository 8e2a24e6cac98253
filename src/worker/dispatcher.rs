//! The webhook dispatcher: delivers due rows of the `webhook_deliveries` outbox.
//!
//! One step: claim due rows in a short IMMEDIATE transaction (marking them `delivering` with a
//! lease) and commit; send each one outside any transaction, at most `webhooks.concurrency` at
//! once; record the attempt and the next state in a new short transaction. The run loop never
//! waits for a batch to finish before claiming more, so a slow receiver only holds its own
//! permit; it wakes when poked (an API enqueue) and otherwise polls every [`POLL_INTERVAL`].
//! A process killed mid-send leaves its rows `delivering`; they are claimed again once their
//! lease (the timeout plus [`LEASE_MARGIN`]) has expired.

use crate::config::{Secret, WebhookSettings};
use crate::domain::time::format_rfc3339;
use crate::error::Result;
use crate::store::Db;
use crate::store::deliveries::{self as outbox, AttemptRecord, ClaimedDelivery, NextState, Recorded};
use crate::worker::retry::{AfterFailure, RetryPolicy, parse_retry_after};
use crate::worker::signing;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How often an idle dispatcher looks for due rows (retries come due without any poke).
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Added to `webhooks.timeout_seconds` for a claim's lease: time to record the result, so that a
/// live dispatcher's claim never expires under it.
pub const LEASE_MARGIN: Duration = Duration::from_secs(30);
/// Connection set-up gets at most this long (and never more than the whole timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Wakes an idle dispatcher as soon as a delivery is queued (a test ping, a redelivery) instead
/// of at its next poll.
#[derive(Debug, Clone, Default)]
pub struct DeliveryNotifier(Arc<Notify>);

impl DeliveryNotifier {
    pub fn delivery_queued(&self) {
        self.0.notify_one();
    }
}

/// What one [`Dispatcher::dispatch_due`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchOutcome {
    /// Rows claimed and attempted.
    pub attempted: usize,
    pub delivered: usize,
    pub retrying: usize,
    pub dead_lettered: usize,
    /// Attempts answered with 410 Gone (their webhook is now disabled).
    pub webhooks_disabled: usize,
    /// Attempts whose row was deleted or taken over meanwhile (nothing recorded).
    pub superseded: usize,
}

impl DispatchOutcome {
    pub fn is_idle(&self) -> bool {
        self.attempted == 0
    }

    fn add(&mut self, recorded: Recorded) {
        self.attempted += 1;
        match recorded {
            Recorded::Delivered => self.delivered += 1,
            Recorded::Retrying => self.retrying += 1,
            Recorded::DeadLettered => self.dead_lettered += 1,
            Recorded::WebhookDisabled => self.webhooks_disabled += 1,
            Recorded::Superseded => self.superseded += 1,
        }
    }
}

/// Everything a delivery needs besides the database, shared by the loop and its tasks.
struct Shared {
    db: Db,
    client: reqwest::Client,
    allow_private: bool,
    default_secret: Option<Secret>,
    policy: RetryPolicy,
    lease: Duration,
    permits: Arc<Semaphore>,
    concurrency: usize,
    notifier: DeliveryNotifier,
}

/// The outbox dispatcher. Cheap to clone; clones share the client, the concurrency limit and
/// the wake-up signal.
#[derive(Clone)]
pub struct Dispatcher {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("concurrency", &self.shared.concurrency)
            .field("lease", &self.shared.lease)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// A dispatcher for `db` with the `webhooks.*` settings; `notifier` wakes its loop.
    pub fn new(db: Db, settings: &WebhookSettings, notifier: DeliveryNotifier) -> Dispatcher {
        let timeout = Duration::from_secs(settings.timeout_seconds.max(1));
        let concurrency = settings.concurrency.max(1);
        Dispatcher {
            shared: Arc::new(Shared {
                db,
                client: crate::net::guarded_client(
                    settings.allow_private_targets,
                    timeout,
                    CONNECT_TIMEOUT.min(timeout),
                ),
                allow_private: settings.allow_private_targets,
                default_secret: settings.default_secret.clone(),
                policy: RetryPolicy::from_seconds(&settings.retry_delays_seconds),
                lease: timeout + LEASE_MARGIN,
                permits: Arc::new(Semaphore::new(concurrency)),
                concurrency,
                notifier,
            }),
        }
    }

    /// Asks the run loop to look for due rows now (after an enqueue) instead of at its next poll.
    pub fn wake(&self) {
        self.shared.notifier.delivery_queued();
    }

    /// Claims every row due at `now` (in one claim), sends them (at most `webhooks.concurrency`
    /// at once), records the results and returns what happened. Rows that come due again during
    /// the call (a quick retry) are left for the next call. For tests and tools; `serve` uses
    /// [`Dispatcher::run`].
    pub async fn dispatch_due(&self, now: DateTime<Utc>) -> Result<DispatchOutcome> {
        let mut outcome = DispatchOutcome::default();
        let mut tasks = JoinSet::new();
        for delivery in self.claim(now, usize::MAX).await? {
            let permit = self
                .shared
                .permits
                .clone()
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            let shared = self.shared.clone();
            tasks.spawn(async move { deliver(&shared, delivery, now, permit).await });
        }
        while let Some(done) = tasks.join_next().await {
            outcome.add(done.map_err(crate::error::Error::internal)??);
        }
        Ok(outcome)
    }

    /// Delivers until `shutdown` is cancelled, then waits for the sends in flight (each bounded
    /// by `webhooks.timeout_seconds`) and records them.
    pub async fn run(self, shutdown: CancellationToken) {
        let shared = &self.shared;
        let mut tasks: JoinSet<Result<Recorded>> = JoinSet::new();
        loop {
            while let Some(done) = tasks.try_join_next() {
                log_task_result(done);
            }
            // Wait for capacity, then claim as many rows as there are free permits.
            let first = tokio::select! {
                permit = shared.permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
                () = shutdown.cancelled() => break,
            };
            let mut permits = vec![first];
            while let Ok(permit) = shared.permits.clone().try_acquire_owned() {
                permits.push(permit);
            }
            let now = Utc::now();
            let wanted = permits.len();
            let claimed = match self.claim(now, wanted).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    log::error!("webhook dispatcher: claiming due deliveries failed: {e}");
                    Vec::new()
                }
            };
            let saturated = claimed.len() == wanted;
            for delivery in claimed {
                let permit = permits.pop().expect("one permit per claimed row");
                let shared = self.shared.clone();
                tasks.spawn(async move { deliver(&shared, delivery, now, permit).await });
            }
            drop(permits);
            if saturated {
                // There may be more due rows: claim again as soon as a permit is free.
                continue;
            }
            tokio::select! {
                () = shared.notifier.0.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
                () = shutdown.cancelled() => break,
            }
        }
        while let Some(done) = tasks.join_next().await {
            log_task_result(done);
        }
    }

    async fn claim(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<ClaimedDelivery>> {
        let now_text = format_rfc3339(now);
        let lease_until = format_rfc3339(now + self.shared.lease);
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        self.shared
            .db
            .write_async(move |tx| outbox::claim_due(tx, &now_text, &lease_until, limit))
            .await
    }
}

fn log_task_result(done: std::result::Result<Result<Recorded>, tokio::task::JoinError>) {
    match done {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => log::error!("webhook dispatcher: recording an attempt failed: {e}"),
        Err(e) => log::error!("webhook dispatcher: a delivery task failed: {e}"),
    }
}

/// Sends one claimed delivery and records the attempt. `claimed_at` anchors the retry time, so
/// that a test driving [`Dispatcher::dispatch_due`] with a future `now` sees retries relative to it.
async fn deliver(
    shared: &Shared,
    delivery: ClaimedDelivery,
    claimed_at: DateTime<Utc>,
    permit: OwnedSemaphorePermit,
) -> Result<Recorded> {
    let secret = match &delivery.webhook_id {
        Some(_) => delivery.secret.as_ref(),
        None => shared.default_secret.as_ref(),
    };
    let outgoing = Outgoing {
        delivery_id: &delivery.id,
        url: &delivery.url,
        event: &delivery.event,
        payload: delivery.payload.as_bytes(),
        secret: secret.map(|s| s.expose().as_bytes()),
    };
    let report = send(&shared.client, shared.allow_private, outgoing).await;
    drop(permit);
    let finished_at = claimed_at + report.duration;
    let next = match report.outcome() {
        AttemptOutcome::Delivered => NextState::Delivered,
        AttemptOutcome::Gone => NextState::Gone,
        AttemptOutcome::Failed => {
            match shared
                .policy
                .after_failure(delivery.attempt_number, &delivery.id, report.retry_after)
            {
                AfterFailure::RetryIn(wait) => NextState::RetryAt(format_rfc3339(finished_at + wait)),
                AfterFailure::DeadLetter => NextState::DeadLetter,
            }
        }
    };
    log::debug!(
        "webhook delivery {} ({}) attempt {}: {}",
        delivery.id,
        delivery.event,
        delivery.attempt_number,
        report
            .status_code
            .map_or_else(|| report.error.clone().unwrap_or_default(), |c| c.to_string())
    );
    let attempt = AttemptRecord {
        started_at: format_rfc3339(report.started_at),
        duration_ms: u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX),
        status_code: report.status_code,
        error: report.error,
        response_body: report.response_body,
    };
    let now = format_rfc3339(finished_at);
    let webhook_id = delivery.webhook_id.clone().unwrap_or_default();
    let recorded = shared
        .db
        .write_async(move |tx| outbox::record_attempt(tx, &delivery, &attempt, next, &now))
        .await?;
    if recorded == Recorded::WebhookDisabled {
        log::warn!("webhook {webhook_id} disabled: its receiver answered 410 Gone");
    }
    Ok(recorded)
}

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
