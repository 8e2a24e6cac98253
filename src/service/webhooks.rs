//! Webhooks: registering, reading and deleting them, and the operator's view of their
//! deliveries (list, detail, redelivery, test pings). Each function is one transaction.

use crate::domain::time::now_rfc3339;
use crate::domain::webhooks::{DeliveryStatus, NewWebhook};
use crate::error::Result;
use crate::store::Db;
use crate::store::deliveries;
pub use crate::store::deliveries::{Delivery, DeliveryAttempt, DeliveryDetail};
use crate::store::webhooks;
pub use crate::store::webhooks::Webhook;

/// Registers a checked webhook unless `max_webhooks` are registered already (409). Blocking.
pub fn register(db: &Db, new: &NewWebhook, max_webhooks: u32) -> Result<Webhook> {
    db.write(|tx| webhooks::create_webhook_capped(tx, new, &now_rfc3339(), max_webhooks))
}

/// Every registration, oldest first. Blocking.
pub fn list(db: &Db) -> Result<Vec<Webhook>> {
    db.read(webhooks::list_webhooks)
}

/// One registration; 404 when unknown. Blocking.
pub fn get(db: &Db, webhook_id: &str) -> Result<Webhook> {
    db.read(|conn| webhooks::get_webhook(conn, webhook_id))
}

/// Deletes a registration with its deliveries and their attempts; 404 when unknown. Blocking.
pub fn delete(db: &Db, webhook_id: &str) -> Result<()> {
    db.write(|tx| webhooks::delete_webhook(tx, webhook_id))
}

/// A webhook's deliveries, newest first, with how many match `status`. Blocking.
pub fn deliveries(
    db: &Db,
    webhook_id: &str,
    status: Option<DeliveryStatus>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<Delivery>, u64)> {
    db.read(|conn| deliveries::list_deliveries(conn, webhook_id, status, limit, offset))
}

/// A delivery with its attempts, oldest first.
pub type DeliveryWithAttempts = (Delivery, Vec<DeliveryAttempt>);

/// A webhook's latest deliveries (newest first), each with its attempts (oldest first), and how
/// many there are; one read. Blocking.
pub fn deliveries_with_attempts(db: &Db, webhook_id: &str, limit: u32) -> Result<(u64, Vec<DeliveryWithAttempts>)> {
    db.read(|conn| {
        let (listed, total) = deliveries::list_deliveries(conn, webhook_id, None, limit, 0)?;
        let with_attempts = listed
            .into_iter()
            .map(|delivery| {
                let attempts = deliveries::attempts_of(conn, &delivery.id)?;
                Ok((delivery, attempts))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((total, with_attempts))
    })
}

/// One delivery with its body and every attempt; 404 when unknown. Blocking.
pub fn delivery(db: &Db, webhook_id: &str, delivery_id: &str) -> Result<DeliveryDetail> {
    db.read(|conn| deliveries::get_delivery_detail(conn, webhook_id, delivery_id))
}

/// Queues a delivery again, due now (409 while it is being sent or when the webhook is
/// disabled). Wake the dispatcher afterwards. Blocking.
pub fn redeliver(db: &Db, webhook_id: &str, delivery_id: &str) -> Result<Delivery> {
    db.write(|tx| deliveries::redeliver(tx, webhook_id, delivery_id, &now_rfc3339()))
}

/// Queues a test `ping` to a webhook (409 when it is disabled). Wake the dispatcher afterwards.
/// Blocking.
pub fn ping(db: &Db, webhook_id: &str) -> Result<Delivery> {
    db.write(|tx| deliveries::enqueue_ping(tx, webhook_id, &now_rfc3339()))
}
