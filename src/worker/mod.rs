//! Background work of `persona serve`, on its own threads so that generation never competes
//! with the HTTP workers' event loops: the job runner ([`jobs`]) claims pending jobs, runs them
//! through a [`JobExecutor`] and records the outcome.
//!
//! The worker owns a dedicated multi-threaded tokio runtime on a thread named `persona-worker`.
//! [`Worker::start`] returns a [`WorkerHandle`]; cancelling the shutdown token stops claiming,
//! gives running jobs `server.shutdown_grace_seconds` to finish and then leaves whatever still
//! runs to lease recovery (the next start re-queues it once its lease expires).

pub mod dispatcher;
pub mod jobs;
pub mod retry;
pub mod signing;

pub use jobs::{
    ExecuteFuture, JobExecutor, JobOutput, JobRun, PipelineExecutor, RecoveryReport, recover_expired_leases,
};

use crate::config::Settings;
use crate::store::Db;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

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

/// The background worker, ready to start.
pub struct Worker {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub executor: Arc<dyn JobExecutor>,
    pub heartbeat: Heartbeat,
    pub notifier: JobNotifier,
}

/// A started worker.
pub struct WorkerHandle {
    done: tokio::sync::oneshot::Receiver<()>,
}

impl WorkerHandle {
    /// Waits until the worker has stopped (after its shutdown token was cancelled).
    pub async fn stopped(self) {
        // A dropped sender also means the worker thread is gone.
        let _ = self.done.await;
    }
}

impl Worker {
    /// Starts the worker thread; it runs until `shutdown` is cancelled.
    pub fn start(self, shutdown: CancellationToken) -> std::io::Result<WorkerHandle> {
        // Two runtime threads suffice: they only claim, renew leases and record outcomes; the jobs
        // themselves run on the blocking pool (see `JobExecutor`).
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("persona-worker")
            .enable_all()
            .build()?;
        let (done_tx, done) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("persona-worker".into())
            .spawn(move || {
                let runner = jobs::JobRunner::new(self);
                runtime.block_on(runner.run(shutdown));
                // Jobs still running after the grace period are abandoned here; their leases expire
                // and the next start re-queues them.
                runtime.shutdown_timeout(Duration::from_millis(200));
                let _ = done_tx.send(());
            })?;
        Ok(WorkerHandle { done })
    }
}

/// Returns memory freed by the allocator to the operating system. glibc keeps freed memory in
/// per-thread arenas: after a burst of generation resident memory otherwise stays at its peak
/// (issue 14: 56 MB idle, 455 MB after a soak). Elsewhere a no-op.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of the allocator's own heaps.
    unsafe {
        libc::malloc_trim(0);
    }
}
