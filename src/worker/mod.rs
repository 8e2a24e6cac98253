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
pub mod signals;
pub mod signing;

pub use jobs::{
    ExecuteFuture, JobExecutor, JobOutput, JobRun, PipelineExecutor, RecoveryReport, recover_expired_leases,
};
pub use signals::{Heartbeat, JobNotifier};

use crate::config::Settings;
use crate::store::Db;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

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
                let Worker {
                    db,
                    settings,
                    executor,
                    heartbeat,
                    notifier,
                } = self;
                let runner = jobs::JobRunner::new(db, settings, executor, heartbeat, notifier);
                runtime.block_on(runner.run(shutdown));
                // Jobs still running after the grace period are abandoned here; their leases expire
                // and the next start re-queues them.
                runtime.shutdown_timeout(Duration::from_millis(200));
                let _ = done_tx.send(());
            })?;
        Ok(WorkerHandle { done })
    }
}
