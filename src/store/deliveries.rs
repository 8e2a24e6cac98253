//! The webhook delivery outbox: tables `webhook_deliveries` and `webhook_delivery_attempts`
//! (migrations/V2__webhooks.sql); registrations are in `store::webhooks`.
//!
//! Every function takes the connection or transaction it works in, so that callers compose
//! them: a job's state transition calls [`enqueue_job_event`] inside its own transaction, which
//! is what makes the outbox durable (the change and its deliveries commit together or not at
//! all). Writes take a `&Transaction` to say so in the signature.
//!
//! Signing: the payload bytes are fixed at enqueue time; the signature is computed by the
//! dispatcher at send time with the secret that applies then (the webhook's `secret`, or
//! `webhooks.default_secret` for a job's own `webhook_url`). No secret is copied into the
//! outbox, and with an unchanged secret every attempt carries the same signature.

use super::webhooks::{disable_webhook, ensure_active, get_webhook};
use crate::config::Secret;
use crate::domain::IdKind;
use crate::domain::webhooks::{DeliveryStatus, EVENT_PING, Trigger, WebhookEvent, payload};
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

struct NewDelivery<'a> {
    webhook_id: Option<&'a str>,
    job_id: Option<&'a str>,
    url: &'a str,
    event: &'a str,
    payload: &'a str,
}

fn insert_delivery(tx: &Transaction<'_>, new: &NewDelivery<'_>, now: &str) -> Result<String> {
    let id = IdKind::Delivery.new_id();
    tx.execute(
        "INSERT INTO webhook_deliveries
             (id, webhook_id, job_id, url, event, payload, status, next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7, ?7)",
        params![id, new.webhook_id, new.job_id, new.url, new.event, new.payload, now],
    )?;
    Ok(id)
}

/// Writes the outbox rows for a job's state change, in the caller's transaction: one per active
/// webhook subscribed to the event, plus one for the job's own `webhook_url` when the event is
/// `completed` or `failed`. All rows share one body. Returns the new delivery ids.
pub fn enqueue_job_event(
    tx: &Transaction<'_>,
    event: &WebhookEvent,
    job_webhook_url: Option<&str>,
    now: &str,
) -> Result<Vec<String>> {
    let name = event.name();
    let body = payload(name, now, event.data());
    let subscribers: Vec<(String, String)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, url FROM webhooks
             WHERE active = 1 AND EXISTS (SELECT 1 FROM json_each(webhooks.events) WHERE value = ?1)
             ORDER BY created_at, rowid",
        )?;
        let rows = stmt.query_map([name], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut ids = Vec::with_capacity(subscribers.len() + 1);
    for (webhook_id, url) in &subscribers {
        let new = NewDelivery {
            webhook_id: Some(webhook_id),
            job_id: Some(event.job_id()),
            url,
            event: name,
            payload: &body,
        };
        ids.push(insert_delivery(tx, &new, now)?);
    }
    if let Some(url) = job_webhook_url.filter(|_| event.notifies_job_webhook_url()) {
        let new = NewDelivery {
            webhook_id: None,
            job_id: Some(event.job_id()),
            url,
            event: name,
            payload: &body,
        };
        ids.push(insert_delivery(tx, &new, now)?);
    }
    Ok(ids)
}

/// Queues a `ping` to a webhook (its test endpoint), due now. A disabled webhook is a conflict:
/// nothing is sent to it any more.
pub fn enqueue_ping(tx: &Transaction<'_>, webhook_id: &str, now: &str) -> Result<Delivery> {
    let webhook = get_webhook(tx, webhook_id)?;
    ensure_active(&webhook)?;
    let body = payload(
        EVENT_PING,
        now,
        serde_json::json!({"webhook_id": webhook.id, "message": "Test delivery from persona"}),
    );
    let new = NewDelivery {
        webhook_id: Some(&webhook.id),
        job_id: None,
        url: &webhook.url,
        event: EVENT_PING,
        payload: &body,
    };
    let id = insert_delivery(tx, &new, now)?;
    get_delivery(tx, webhook_id, &id)
}

/// A row of the outbox as operators see it (the payload and attempts are in [`DeliveryDetail`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: Option<String>,
    pub job_id: Option<String>,
    pub url: String,
    pub event: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    pub updated_at: String,
}

/// One HTTP attempt (`webhook_delivery_attempts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub attempt_number: u32,
    pub trigger: Trigger,
    pub started_at: String,
    pub duration_ms: u64,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub response_body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryDetail {
    pub delivery: Delivery,
    /// The exact body sent.
    pub payload: String,
    /// Oldest first.
    pub attempts: Vec<DeliveryAttempt>,
}

const DELIVERY_COLUMNS: &str = "id, webhook_id, job_id, url, event, status, attempts, next_attempt_at, \
     last_status_code, last_error, created_at, delivered_at, updated_at";

fn delivery_from_row(row: &Row<'_>) -> rusqlite::Result<Delivery> {
    let status: String = row.get(5)?;
    Ok(Delivery {
        id: row.get(0)?,
        webhook_id: row.get(1)?,
        job_id: row.get(2)?,
        url: row.get(3)?,
        event: row.get(4)?,
        // The column's CHECK constraint admits only the four known values.
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Failed),
        attempts: row.get(6)?,
        next_attempt_at: row.get(7)?,
        last_status_code: row.get(8)?,
        last_error: row.get(9)?,
        created_at: row.get(10)?,
        delivered_at: row.get(11)?,
        updated_at: row.get(12)?,
    })
}

fn delivery_not_found(id: &str) -> Error {
    Error::NotFound {
        resource: "delivery",
        id: id.to_string(),
    }
}

/// A page of a webhook's deliveries, newest first, and the total matching the filter.
pub fn list_deliveries(
    conn: &Connection,
    webhook_id: &str,
    status: Option<DeliveryStatus>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Delivery>, u64)> {
    get_webhook(conn, webhook_id)?;
    let status = status.map(DeliveryStatus::as_str);
    let total: i64 = conn.query_row(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ?1 AND (?2 IS NULL OR status = ?2)",
        params![webhook_id, status],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
         WHERE webhook_id = ?1 AND (?2 IS NULL OR status = ?2)
         ORDER BY created_at DESC, rowid DESC LIMIT ?3 OFFSET ?4"
    ))?;
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![webhook_id, status, limit, offset], delivery_from_row)?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total.max(0) as u64))
}

/// One delivery of a webhook (not found when it belongs to another webhook).
pub fn get_delivery(conn: &Connection, webhook_id: &str, delivery_id: &str) -> Result<Delivery> {
    get_webhook(conn, webhook_id)?;
    conn.query_row(
        &format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?1 AND webhook_id = ?2"),
        [delivery_id, webhook_id],
        delivery_from_row,
    )
    .optional()?
    .ok_or_else(|| delivery_not_found(delivery_id))
}

/// A delivery with its body and every attempt.
pub fn get_delivery_detail(conn: &Connection, webhook_id: &str, delivery_id: &str) -> Result<DeliveryDetail> {
    let delivery = get_delivery(conn, webhook_id, delivery_id)?;
    let payload: String = conn.query_row(
        "SELECT payload FROM webhook_deliveries WHERE id = ?1",
        [delivery_id],
        |r| r.get(0),
    )?;
    let attempts = attempts_of(conn, delivery_id)?;
    Ok(DeliveryDetail {
        delivery,
        payload,
        attempts,
    })
}

/// Attempts of any delivery (a job's own `webhook_url` ones included), oldest first.
pub fn attempts_of(conn: &Connection, delivery_id: &str) -> Result<Vec<DeliveryAttempt>> {
    let mut stmt = conn.prepare_cached(
        "SELECT attempt_number, trigger, started_at, duration_ms, status_code, error, response_body
         FROM webhook_delivery_attempts WHERE delivery_id = ?1 ORDER BY attempt_number, id",
    )?;
    let rows = stmt.query_map([delivery_id], |r| {
        let trigger: String = r.get(1)?;
        Ok(DeliveryAttempt {
            attempt_number: r.get(0)?,
            trigger: Trigger::from_column(&trigger),
            started_at: r.get(2)?,
            duration_ms: r.get::<_, i64>(3)?.max(0) as u64,
            status_code: r.get(4)?,
            error: r.get(5)?,
            response_body: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Deliveries written for a job (any webhook, and its own `webhook_url`), oldest first.
pub fn deliveries_for_job(conn: &Connection, job_id: &str) -> Result<Vec<Delivery>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE job_id = ?1 ORDER BY created_at, rowid"
    ))?;
    let rows = stmt.query_map([job_id], delivery_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Puts a delivery back in the queue, due now, keeping its id; the next attempt is recorded as
/// `manual`. Works for dead-lettered and delivered rows too. A delivery being sent right now, or
/// one whose webhook is disabled, is a conflict.
pub fn redeliver(tx: &Transaction<'_>, webhook_id: &str, delivery_id: &str, now: &str) -> Result<Delivery> {
    let webhook = get_webhook(tx, webhook_id)?;
    let delivery = get_delivery(tx, webhook_id, delivery_id)?;
    ensure_active(&webhook)?;
    if delivery.status == DeliveryStatus::Delivering {
        return Err(Error::Conflict(format!(
            "delivery {delivery_id} is being sent right now; try again when this attempt has finished"
        )));
    }
    tx.execute(
        "UPDATE webhook_deliveries
         SET status = 'pending', next_attempt_at = ?2, next_trigger = 'manual', lease_expires_at = NULL,
             delivered_at = NULL, updated_at = ?2
         WHERE id = ?1",
        params![delivery_id, now],
    )?;
    get_delivery(tx, webhook_id, delivery_id)
}

/// A delivery claimed by a dispatcher: everything needed to send it and record the result.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: String,
    pub webhook_id: Option<String>,
    pub url: String,
    pub event: String,
    pub payload: String,
    /// 1-based number of the attempt about to be made.
    pub attempt_number: u32,
    pub trigger: Trigger,
    /// The webhook's secret; `None` for unsigned webhooks and for a job's own `webhook_url`
    /// (the dispatcher applies `webhooks.default_secret` to those).
    pub secret: Option<Secret>,
    /// The lease written by this claim; recording checks it so that a claim that outlived its
    /// lease (and was taken over) cannot overwrite the newer state.
    lease_expires_at: String,
}

/// Claims up to `limit` due deliveries (pending and due, or delivering with an expired lease,
/// i.e. abandoned by a crashed process), oldest due first, marking them `delivering` until
/// `lease_until`. Call in a short transaction and commit before sending.
pub fn claim_due(tx: &Transaction<'_>, now: &str, lease_until: &str, limit: u32) -> Result<Vec<ClaimedDelivery>> {
    let mut claimed: Vec<ClaimedDelivery> = {
        let mut stmt = tx.prepare_cached(
            "UPDATE webhook_deliveries
             SET status = 'delivering', lease_expires_at = ?2, updated_at = ?1
             WHERE id IN (
                 SELECT id FROM webhook_deliveries
                 WHERE (status = 'pending' AND next_attempt_at <= ?1)
                    OR (status = 'delivering' AND lease_expires_at <= ?1)
                 ORDER BY next_attempt_at LIMIT ?3)
             RETURNING id, webhook_id, url, event, payload, attempts, next_trigger, next_attempt_at",
        )?;
        let rows = stmt.query_map(params![now, lease_until, limit], |r| {
            let attempts: u32 = r.get(5)?;
            let trigger: String = r.get(6)?;
            let due: Option<String> = r.get(7)?;
            Ok((
                due,
                ClaimedDelivery {
                    id: r.get(0)?,
                    webhook_id: r.get(1)?,
                    url: r.get(2)?,
                    event: r.get(3)?,
                    payload: r.get(4)?,
                    attempt_number: attempts + 1,
                    trigger: Trigger::from_column(&trigger),
                    secret: None,
                    lease_expires_at: lease_until.to_string(),
                },
            ))
        })?;
        let mut rows: Vec<(Option<String>, ClaimedDelivery)> = rows.collect::<rusqlite::Result<_>>()?;
        // RETURNING gives no order guarantee: restore due order (oldest first).
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows.into_iter().map(|(_, delivery)| delivery).collect()
    };
    let mut secret_of = tx.prepare_cached("SELECT secret FROM webhooks WHERE id = ?1")?;
    for delivery in &mut claimed {
        if let Some(webhook_id) = &delivery.webhook_id {
            let secret: Option<String> = secret_of.query_row([webhook_id], |r| r.get(0)).optional()?.flatten();
            delivery.secret = secret.map(Secret::new);
        }
    }
    Ok(claimed)
}

/// The attempt to record (`webhook_delivery_attempts` columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub started_at: String,
    pub duration_ms: u64,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub response_body: Option<String>,
}

/// What the dispatcher decided after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextState {
    Delivered,
    RetryAt(String),
    /// The schedule is exhausted.
    DeadLetter,
    /// 410 Gone: dead-letter this delivery and disable its webhook.
    Gone,
}

/// What [`record_attempt`] ended up doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Delivered,
    Retrying,
    DeadLettered,
    /// 410: the webhook was disabled and its pending deliveries failed.
    WebhookDisabled,
    /// The delivery was deleted (with its webhook) or re-claimed after this claim's lease
    /// expired; nothing was written.
    Superseded,
}

/// Records an attempt and the delivery's next state, in a short transaction of its own.
/// A retry for a webhook that was disabled meanwhile becomes a dead letter.
pub fn record_attempt(
    tx: &Transaction<'_>,
    claimed: &ClaimedDelivery,
    attempt: &AttemptRecord,
    next: NextState,
    now: &str,
) -> Result<Recorded> {
    let still_ours: bool = tx
        .query_row(
            "SELECT 1 FROM webhook_deliveries WHERE id = ?1 AND status = 'delivering' AND lease_expires_at = ?2",
            params![claimed.id, claimed.lease_expires_at],
            |_| Ok(true),
        )
        .optional()?
        .unwrap_or(false);
    if !still_ours {
        return Ok(Recorded::Superseded);
    }
    tx.execute(
        "INSERT INTO webhook_delivery_attempts
             (delivery_id, attempt_number, trigger, started_at, duration_ms, status_code, error, response_body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            claimed.id,
            claimed.attempt_number,
            claimed.trigger.as_str(),
            attempt.started_at,
            i64::try_from(attempt.duration_ms).unwrap_or(i64::MAX),
            attempt.status_code,
            attempt.error,
            attempt.response_body
        ],
    )?;
    let webhook_active = match &claimed.webhook_id {
        None => true,
        Some(id) => tx
            .query_row("SELECT active FROM webhooks WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .unwrap_or(false),
    };
    let next = match next {
        NextState::RetryAt(_) if !webhook_active => NextState::DeadLetter,
        other => other,
    };
    let (status, next_attempt_at, delivered_at) = match &next {
        NextState::Delivered => ("delivered", None, Some(now)),
        NextState::RetryAt(at) => ("pending", Some(at.as_str()), None),
        NextState::DeadLetter | NextState::Gone => ("failed", None, None),
    };
    let last_error = if !webhook_active && matches!(next, NextState::DeadLetter) && attempt.error.is_some() {
        attempt
            .error
            .as_ref()
            .map(|e| format!("{e}; webhook disabled, no further attempts"))
    } else {
        attempt.error.clone()
    };
    tx.execute(
        "UPDATE webhook_deliveries
         SET status = ?2, attempts = ?3, next_trigger = 'scheduled', next_attempt_at = ?4, lease_expires_at = NULL,
             last_status_code = ?5, last_error = ?6, delivered_at = ?7, updated_at = ?8
         WHERE id = ?1",
        params![
            claimed.id,
            status,
            claimed.attempt_number,
            next_attempt_at,
            attempt.status_code,
            last_error,
            delivered_at,
            now
        ],
    )?;
    Ok(match next {
        NextState::Delivered => Recorded::Delivered,
        NextState::RetryAt(_) => Recorded::Retrying,
        NextState::DeadLetter => Recorded::DeadLettered,
        NextState::Gone => match &claimed.webhook_id {
            Some(webhook_id) => {
                disable_webhook(tx, webhook_id, &gone_reason(&claimed.url, now), now)?;
                Recorded::WebhookDisabled
            }
            None => Recorded::DeadLettered,
        },
    })
}

fn gone_reason(url: &str, now: &str) -> String {
    format!("{url} answered 410 Gone at {now}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::format_rfc3339;
    use crate::domain::webhooks::{EVENT_COMPLETED, EVENT_FAILED, NewWebhook, SUBSCRIBABLE_EVENTS};
    use crate::store::webhooks::{Webhook, create_webhook, delete_webhook, list_webhooks};
    use chrono::{DateTime, Utc};

    fn db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
        conn.execute_batch(include_str!("../../migrations/V2__webhooks.sql"))
            .unwrap();
        conn
    }

    /// 2026-01-01T00:00:00Z plus `seconds`, as stored.
    fn at(seconds: i64) -> String {
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        format_rfc3339(t0 + chrono::Duration::seconds(seconds))
    }

    fn register(conn: &mut Connection, url: &str, events: Option<&[&str]>, secret: Option<&str>) -> Webhook {
        let new = NewWebhook::parse(
            Some(url),
            events.map(|e| e.iter().map(|s| s.to_string()).collect()),
            secret.map(str::to_string),
            true,
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        let webhook = create_webhook(&tx, &new, &at(0)).unwrap();
        tx.commit().unwrap();
        webhook
    }

    fn completed(job_id: &str) -> WebhookEvent {
        WebhookEvent::Completed {
            job_id: job_id.into(),
            personas_count: 3,
            experiment_id: "exp-0123456789ab".into(),
            run_id: "run-0123456789ab".into(),
            output_path: Some("/out/run".into()),
        }
    }

    fn enqueue(conn: &mut Connection, event: &WebhookEvent, job_url: Option<&str>) -> Vec<String> {
        let tx = conn.transaction().unwrap();
        let ids = enqueue_job_event(&tx, event, job_url, &at(0)).unwrap();
        tx.commit().unwrap();
        ids
    }

    /// Claims what is due `seconds` after t0, with a 30 s lease.
    fn claim(conn: &mut Connection, seconds: i64) -> Vec<ClaimedDelivery> {
        let tx = conn.transaction().unwrap();
        let claimed = claim_due(&tx, &at(seconds), &at(seconds + 30), 100).unwrap();
        tx.commit().unwrap();
        claimed
    }

    fn record(conn: &mut Connection, claimed: &ClaimedDelivery, status: Option<u16>, next: NextState) -> Recorded {
        let tx = conn.transaction().unwrap();
        let attempt = AttemptRecord {
            started_at: at(0),
            duration_ms: 12,
            status_code: status,
            error: status
                .filter(|s| !(200..300).contains(s))
                .map(|s| format!("receiver answered {s}")),
            response_body: Some("ok".into()),
        };
        let recorded = record_attempt(&tx, claimed, &attempt, next, &at(0)).unwrap();
        tx.commit().unwrap();
        recorded
    }

    #[test]
    fn webhooks_are_stored_without_exposing_the_secret_and_deleted_with_their_deliveries() {
        let mut conn = db();
        let hook = register(
            &mut conn,
            "https://example.com/a",
            Some(&[EVENT_COMPLETED, EVENT_COMPLETED]),
            Some("s"),
        );
        assert!(IdKind::Webhook.matches(&hook.id));
        assert_eq!(hook.events, [EVENT_COMPLETED]);
        assert!(hook.has_secret && hook.active);
        let other = register(&mut conn, "https://example.com/b", None, None);
        assert!(!other.has_secret);
        assert_eq!(list_webhooks(&conn).unwrap(), [hook.clone(), other.clone()]);

        enqueue(&mut conn, &completed("job-1"), None);
        let tx = conn.transaction().unwrap();
        delete_webhook(&tx, &hook.id).unwrap();
        assert!(matches!(delete_webhook(&tx, &hook.id), Err(Error::NotFound { .. })));
        tx.commit().unwrap();
        assert!(matches!(get_webhook(&conn, &hook.id), Err(Error::NotFound { .. })));
        let left: Vec<Option<String>> = deliveries_for_job(&conn, "job-1")
            .unwrap()
            .into_iter()
            .map(|d| d.webhook_id)
            .collect();
        assert_eq!(left, [Some(other.id)]);
    }

    #[test]
    fn a_job_event_reaches_subscribed_active_webhooks_and_the_job_url_with_one_body() {
        let mut conn = db();
        let all = register(&mut conn, "https://example.com/all", Some(&SUBSCRIBABLE_EVENTS), None);
        let failed_only = register(&mut conn, "https://example.com/failed", Some(&[EVENT_FAILED]), None);
        let ids = enqueue(&mut conn, &completed("job-1"), Some("https://example.com/job"));
        assert_eq!(ids.len(), 2);
        let rows = deliveries_for_job(&conn, "job-1").unwrap();
        assert_eq!(rows[0].webhook_id.as_deref(), Some(all.id.as_str()));
        assert_eq!(
            (rows[1].webhook_id.as_deref(), rows[1].url.as_str()),
            (None, "https://example.com/job")
        );
        let bodies: Vec<String> = rows.iter().map(|d| get_payload(&conn, &d.id)).collect();
        assert_eq!(bodies[0], bodies[1]);
        assert_eq!(
            bodies[0],
            r#"{"event":"generation.completed","timestamp":"2026-01-01T00:00:00.000Z","data":{"job_id":"job-1","personas_count":3,"experiment_id":"exp-0123456789ab","run_id":"run-0123456789ab","output_path":"/out/run"}}"#
        );

        // started and cancelled never go to the job's own URL.
        let started = WebhookEvent::Started {
            job_id: "job-2".into(),
            experiment_id: "exp-0123456789ab".into(),
        };
        assert_eq!(enqueue(&mut conn, &started, Some("https://example.com/job")).len(), 1);
        let failed = WebhookEvent::Failed {
            job_id: "job-3".into(),
            error: "no usable data".into(),
        };
        let failed_rows = enqueue(&mut conn, &failed, None);
        assert_eq!(failed_rows.len(), 2);
        assert!(
            deliveries_for_job(&conn, "job-3")
                .unwrap()
                .iter()
                .any(|d| d.webhook_id.as_deref() == Some(&failed_only.id))
        );
    }

    fn get_payload(conn: &Connection, delivery_id: &str) -> String {
        conn.query_row(
            "SELECT payload FROM webhook_deliveries WHERE id = ?1",
            [delivery_id],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn claiming_leases_due_rows_once_and_reclaims_expired_leases() {
        let mut conn = db();
        let hook = register(&mut conn, "https://example.com/a", None, Some("key"));
        enqueue(&mut conn, &completed("job-1"), Some("https://example.com/job"));
        let first = claim(&mut conn, 0);
        assert_eq!(first.len(), 2);
        let signed = first.iter().find(|c| c.webhook_id.is_some()).unwrap();
        assert_eq!(signed.secret.as_ref().map(Secret::expose), Some("key"));
        assert_eq!(signed.webhook_id.as_deref(), Some(hook.id.as_str()));
        assert!(first.iter().any(|c| c.webhook_id.is_none() && c.secret.is_none()));
        assert!(
            first
                .iter()
                .all(|c| c.attempt_number == 1 && c.trigger == Trigger::Scheduled)
        );
        // Leased: not claimed again until the lease expires.
        assert!(claim(&mut conn, 29).is_empty());
        let again = claim(&mut conn, 31);
        assert_eq!(again.len(), 2);
        // The first claim lost its lease: its result is not recorded over the new claim.
        assert_eq!(
            record(&mut conn, &first[0], Some(200), NextState::Delivered),
            Recorded::Superseded
        );
        assert_eq!(
            record(&mut conn, &again[0], Some(200), NextState::Delivered),
            Recorded::Delivered
        );
        let delivered = deliveries_for_job(&conn, "job-1").unwrap();
        let row = delivered.iter().find(|d| d.id == again[0].id).unwrap();
        assert_eq!(
            (row.status, row.attempts, row.last_status_code),
            (DeliveryStatus::Delivered, 1, Some(200))
        );
        assert!(row.delivered_at.is_some() && row.next_attempt_at.is_none());
    }

    #[test]
    fn retries_are_rescheduled_dead_lettered_and_redelivered_manually() {
        let mut conn = db();
        let hook = register(&mut conn, "https://example.com/a", None, None);
        let ids = enqueue(&mut conn, &completed("job-1"), None);
        let claimed = claim(&mut conn, 0).remove(0);
        assert_eq!(
            record(&mut conn, &claimed, Some(500), NextState::RetryAt(at(5))),
            Recorded::Retrying
        );
        let pending = get_delivery(&conn, &hook.id, &ids[0]).unwrap();
        assert_eq!(pending.status, DeliveryStatus::Pending);
        assert_eq!(pending.next_attempt_at.as_deref(), Some("2026-01-01T00:00:05.000Z"));
        assert_eq!(pending.last_error.as_deref(), Some("receiver answered 500"));
        assert!(claim(&mut conn, 4).is_empty());

        let second = claim(&mut conn, 5).remove(0);
        assert_eq!(second.attempt_number, 2);
        let tx = conn.transaction().unwrap();
        let err = redeliver(&tx, &hook.id, &ids[0], &at(0)).unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err:?}");
        drop(tx);
        assert_eq!(
            record(&mut conn, &second, None, NextState::DeadLetter),
            Recorded::DeadLettered
        );
        assert_eq!(
            get_delivery(&conn, &hook.id, &ids[0]).unwrap().status,
            DeliveryStatus::Failed
        );

        let tx = conn.transaction().unwrap();
        let again = redeliver(&tx, &hook.id, &ids[0], &at(5)).unwrap();
        tx.commit().unwrap();
        assert_eq!(
            (again.id.as_str(), again.status),
            (ids[0].as_str(), DeliveryStatus::Pending)
        );
        let manual = claim(&mut conn, 5).remove(0);
        assert_eq!((manual.attempt_number, manual.trigger), (3, Trigger::Manual));
        assert_eq!(
            record(&mut conn, &manual, Some(204), NextState::Delivered),
            Recorded::Delivered
        );
        let detail = get_delivery_detail(&conn, &hook.id, &ids[0]).unwrap();
        let triggers: Vec<(u32, Trigger, Option<u16>)> = detail
            .attempts
            .iter()
            .map(|a| (a.attempt_number, a.trigger, a.status_code))
            .collect();
        assert_eq!(
            triggers,
            [
                (1, Trigger::Scheduled, Some(500)),
                (2, Trigger::Scheduled, None),
                (3, Trigger::Manual, Some(204))
            ]
        );
        assert!(detail.payload.starts_with(r#"{"event":"generation.completed""#));
        assert_eq!(detail.attempts[0].response_body.as_deref(), Some("ok"));
    }

    #[test]
    fn gone_disables_the_webhook_and_fails_its_pending_deliveries() {
        let mut conn = db();
        let hook = register(&mut conn, "https://example.com/a", None, None);
        enqueue(&mut conn, &completed("job-1"), None);
        let claimed = claim(&mut conn, 0).remove(0);
        enqueue(&mut conn, &completed("job-2"), None);
        assert_eq!(
            record(&mut conn, &claimed, Some(410), NextState::Gone),
            Recorded::WebhookDisabled
        );
        let hook = get_webhook(&conn, &hook.id).unwrap();
        assert!(!hook.active);
        assert!(hook.disabled_reason.unwrap().contains("410 Gone"));
        let (rows, total) = list_deliveries(&conn, &hook.id, Some(DeliveryStatus::Failed), 10, 0).unwrap();
        assert_eq!((rows.len(), total), (2, 2));
        assert!(
            rows[0]
                .last_error
                .as_deref()
                .unwrap()
                .starts_with("not sent: webhook disabled")
        );
        assert_eq!(rows[1].last_status_code, Some(410));
        // Nothing more is queued or sent for it.
        assert!(enqueue(&mut conn, &completed("job-3"), None).is_empty());
        let tx = conn.transaction().unwrap();
        assert!(matches!(enqueue_ping(&tx, &hook.id, &at(0)), Err(Error::Conflict(_))));
        assert!(matches!(
            redeliver(&tx, &hook.id, &rows[0].id, &at(0)),
            Err(Error::Conflict(_))
        ));
    }

    #[test]
    fn deliveries_list_newest_first_with_filter_and_paging() {
        let mut conn = db();
        let hook = register(&mut conn, "https://example.com/a", None, None);
        let mut ids = Vec::new();
        for n in 0..3 {
            let tx = conn.transaction().unwrap();
            ids.push(enqueue_ping(&tx, &hook.id, &at(n)).unwrap().id);
            tx.commit().unwrap();
        }
        let (page, total) = list_deliveries(&conn, &hook.id, None, 2, 0).unwrap();
        assert_eq!(total, 3);
        assert_eq!(
            page.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
            [&ids[2], &ids[1]]
        );
        let (rest, _) = list_deliveries(&conn, &hook.id, None, 2, 2).unwrap();
        assert_eq!(rest[0].id, ids[0]);
        let (none, zero) = list_deliveries(&conn, &hook.id, Some(DeliveryStatus::Delivered), 10, 0).unwrap();
        assert!(none.is_empty() && zero == 0);
        assert!(matches!(
            list_deliveries(&conn, "webhook-000000000000", None, 1, 0),
            Err(Error::NotFound { .. })
        ));
        let other = register(&mut conn, "https://example.com/b", None, None);
        assert!(matches!(
            get_delivery(&conn, &other.id, &ids[0]),
            Err(Error::NotFound {
                resource: "delivery",
                ..
            })
        ));
        let ping = get_payload(&conn, &ids[0]);
        assert!(ping.contains(r#""event":"ping""#) && ping.contains(&hook.id));
    }
}
