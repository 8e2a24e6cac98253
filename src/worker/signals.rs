//! What the worker shares with the server: its heartbeat (for readiness) and the notifier that
//! wakes it when a job is submitted or a cancellation requested.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// When the worker loop last went round, for readiness checks.
#[derive(Debug, Clone, Default)]
pub struct Heartbeat(Arc<AtomicI64>);

impl Heartbeat {
    pub fn beat(&self) {
        self.0.store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
    }

    /// Time since the last beat; `None` before the first one.
    pub fn age(&self) -> Option<Duration> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            last => {
                let elapsed = chrono::Utc::now().timestamp_millis().saturating_sub(last);
                Some(Duration::from_millis(elapsed.max(0) as u64))
            }
        }
    }
}

/// Wakes an idle worker as soon as a job is submitted, and running jobs' lease keepers as soon as
/// a cancellation is requested, instead of at their next poll.
#[derive(Debug, Clone, Default)]
pub struct JobNotifier {
    submitted: Arc<Notify>,
    cancel_requested: Arc<Notify>,
}

impl JobNotifier {
    pub fn job_submitted(&self) {
        self.submitted.notify_one();
    }

    pub(crate) async fn wait(&self) {
        self.submitted.notified().await;
    }

    /// Another process's requests are still seen at the keepers' next poll.
    pub fn cancel_requested(&self) {
        self.cancel_requested.notify_waiters();
    }

    pub(crate) async fn wait_for_cancel_request(&self) {
        self.cancel_requested.notified().await;
    }
}
