//! Webhook registrations: table `webhooks` (migrations/V2__webhooks.sql). Their deliveries are
//! in `store::deliveries`. Writes take a `&Transaction` to say so in the signature.

use crate::config::Secret;
use crate::domain::IdKind;
use crate::domain::webhooks::NewWebhook;
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

/// A registration as stored. The secret is never loaded: only whether there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub has_secret: bool,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const WEBHOOK_COLUMNS: &str = "id, url, events, secret IS NOT NULL, active, disabled_reason, created_at, updated_at";

fn webhook_from_row(row: &Row<'_>) -> rusqlite::Result<Webhook> {
    let events: String = row.get(2)?;
    Ok(Webhook {
        id: row.get(0)?,
        url: row.get(1)?,
        events: serde_json::from_str(&events).unwrap_or_default(),
        has_secret: row.get(3)?,
        active: row.get(4)?,
        disabled_reason: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

fn webhook_not_found(id: &str) -> Error {
    Error::NotFound {
        resource: "webhook",
        id: id.to_string(),
    }
}

/// Registers a webhook unless `max_webhooks` are registered already (409: each registration
/// multiplies the deliveries every job event queues).
pub fn create_webhook_capped(tx: &Transaction<'_>, new: &NewWebhook, now: &str, max_webhooks: u32) -> Result<Webhook> {
    let registered: i64 = tx.query_row("SELECT COUNT(*) FROM webhooks", [], |r| r.get(0))?;
    if registered >= i64::from(max_webhooks) {
        return Err(Error::Conflict(format!(
            "{registered} webhooks are registered, the limit is {max_webhooks} (webhooks.max_webhooks); \
             delete one first"
        )));
    }
    create_webhook(tx, new, now)
}

pub fn create_webhook(tx: &Transaction<'_>, new: &NewWebhook, now: &str) -> Result<Webhook> {
    let id = IdKind::Webhook.new_id();
    tx.execute(
        "INSERT INTO webhooks (id, url, events, secret, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)",
        params![
            id,
            new.url,
            serde_json::to_string(&new.events)?,
            new.secret.as_ref().map(Secret::expose),
            now
        ],
    )?;
    get_webhook(tx, &id)
}

/// All registrations, oldest first.
pub fn list_webhooks(conn: &Connection) -> Result<Vec<Webhook>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY created_at, rowid"
    ))?;
    let rows = stmt.query_map([], webhook_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get_webhook(conn: &Connection, id: &str) -> Result<Webhook> {
    conn.query_row(
        &format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?1"),
        [id],
        webhook_from_row,
    )
    .optional()?
    .ok_or_else(|| webhook_not_found(id))
}

/// Deletes a registration and (by cascade) its deliveries and their attempts.
pub fn delete_webhook(tx: &Transaction<'_>, id: &str) -> Result<()> {
    match tx.execute("DELETE FROM webhooks WHERE id = ?1", [id])? {
        0 => Err(webhook_not_found(id)),
        _ => Ok(()),
    }
}

/// A disabled webhook is a conflict: nothing is sent to it any more.
pub fn ensure_active(webhook: &Webhook) -> Result<()> {
    if webhook.active {
        return Ok(());
    }
    Err(Error::Conflict(format!(
        "webhook {} is disabled ({}); register the URL again to resume deliveries",
        webhook.id,
        webhook.disabled_reason.as_deref().unwrap_or("no reason recorded")
    )))
}

/// Turns a webhook off and fails its pending deliveries, which would otherwise never be sent.
pub fn disable_webhook(tx: &Transaction<'_>, webhook_id: &str, reason: &str, now: &str) -> Result<()> {
    tx.execute(
        "UPDATE webhooks SET active = 0, disabled_reason = ?2, updated_at = ?3 WHERE id = ?1",
        params![webhook_id, reason, now],
    )?;
    tx.execute(
        "UPDATE webhook_deliveries
         SET status = 'failed', next_attempt_at = NULL, next_trigger = 'scheduled',
             last_error = 'not sent: webhook disabled (' || ?2 || ')', updated_at = ?3
         WHERE webhook_id = ?1 AND status = 'pending'",
        params![webhook_id, reason, now],
    )?;
    Ok(())
}
