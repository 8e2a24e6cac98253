//! The job runner: claims pending jobs under a lease, runs them through a [`JobExecutor`],
//! keeps the lease alive while they run, and records each outcome in one transaction.
//!
//! Restart safety rests on three rules:
//! - a claim is one `UPDATE … RETURNING` in an IMMEDIATE transaction, so a job is never claimed
//!   twice at once;
//! - a running job's lease is renewed every `worker.lease_seconds / 3`; when a process dies its
//!   leases expire and [`recover_expired_leases`] (at start-up and periodically) re-queues those
//!   jobs, or fails them after `worker.max_attempts` claims;
//! - every change a worker makes names the lease epoch it claimed, so a worker that lost its lease
//!   cannot change (or complete) a job another worker has claimed since. Its output folder, already
//!   written, stays on disk without rows pointing at it.

use super::signals::{Heartbeat, JobNotifier};
use crate::config::Settings;
use crate::domain::IdKind;
use crate::domain::Persona;
use crate::domain::jobs::{Job, Lease};
use crate::domain::time::format_rfc3339;
use crate::error::{Error, Result};
use crate::generate::run::{RunOutcome, RunRequest, execute_run};
use crate::generate::{CancelFlag, GenerationSettings, Progress, Step};
use crate::ingest::download::{RemoveOnDrop, download};
use crate::store::Db;
use crate::store::jobs::{self as job_store, LeaseRenewal};
use crate::store::runs::RunDetails;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How long jobs abandoned at shutdown get to notice it and re-queue themselves.
const ABANDON_SETTLE: Duration = Duration::from_secs(2);

/// What an executor is asked to run for one claim of a job.
#[derive(Debug, Clone)]
pub struct JobRun {
    pub job_id: String,
    /// The job's run (chosen by its first claim, the same for later ones).
    pub run_id: String,
    pub experiment_id: String,
    /// The input: a file or folder under the data directory, or the downloaded copy of a URL.
    pub data_path: PathBuf,
    pub generation: GenerationSettings,
    /// Where the run's output folder goes (`storage.output_dir`).
    pub output_dir: PathBuf,
    /// The folder every file read must stay inside: the data directory, or the job's download
    /// folder for a URL source.
    pub confine_to: PathBuf,
}

/// What a successful execution produced.
#[derive(Debug, Clone, Default)]
pub struct JobOutput {
    pub personas: Vec<Persona>,
    pub details: RunDetails,
}

pub type ExecuteFuture = Pin<Box<dyn Future<Output = Result<JobOutput>> + Send + 'static>>;

/// Runs a job's generation. Production uses the generation pipeline; tests inject slow,
/// blocking, failing or crashing executors. The executor should check `progress.cancelled()`
/// between steps and return [`Error::Cancelled`] when it is set.
///
/// The returned future is driven on a blocking-pool thread of the worker's runtime (with
/// `Handle::block_on`): it may do CPU-heavy work between awaits, await I/O and use
/// `spawn_blocking`, but must not call `block_in_place`. A panic fails the job.
pub trait JobExecutor: Send + Sync + 'static {
    fn execute(&self, run: JobRun, progress: Arc<dyn Progress>) -> ExecuteFuture;
}

/// The production executor: the generation pipeline ([`crate::generate::run::execute_run`]),
/// the same code path as `persona generate`. The run gets the job's run and experiment IDs, so
/// its personas get fresh IDs and that context.
pub struct PipelineExecutor {
    settings: Arc<Settings>,
}

impl PipelineExecutor {
    pub fn new(settings: Arc<Settings>) -> PipelineExecutor {
        PipelineExecutor { settings }
    }
}

impl JobExecutor for PipelineExecutor {
    fn execute(&self, run: JobRun, progress: Arc<dyn Progress>) -> ExecuteFuture {
        let settings = self.settings.clone();
        Box::pin(async move {
            let request = RunRequest {
                data_path: run.data_path,
                generation: run.generation,
                run_id: Some(run.run_id),
                experiment_id: Some(run.experiment_id),
                output_dir: run.output_dir,
                // The data directory as submission checked it (canonical), so that a folder's
                // symbolic links cannot lead the run out of it.
                confine_to: Some(run.confine_to),
            };
            let outcome = execute_run(&request, &settings, &*progress).await?;
            job_output(outcome)
        })
    }
}

/// What the `runs` row records of a pipeline run.
fn job_output(outcome: RunOutcome) -> Result<JobOutput> {
    let RunOutcome {
        personas,
        output_path,
        metadata,
        warnings,
        usage,
        duration_ms,
        ..
    } = outcome;
    Ok(JobOutput {
        personas,
        details: RunDetails {
            model: Some(metadata.model.clone()),
            source_files: serde_json::to_value(&metadata.sources)?,
            skipped_files: serde_json::to_value(&metadata.skipped)?,
            warnings,
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            output_path: Some(output_path.display().to_string()),
            duration_ms: Some(duration_ms),
            metadata: serde_json::to_value(&metadata)?,
        },
    })
}

/// What one pass of [`recover_expired_leases`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Jobs returned to pending.
    pub requeued: Vec<String>,
    /// Jobs failed after `worker.max_attempts` claims.
    pub failed: Vec<String>,
    /// Jobs whose cancellation had been requested, now cancelled.
    pub cancelled: Vec<String>,
}

impl RecoveryReport {
    pub fn is_empty(&self) -> bool {
        self.requeued.is_empty() && self.failed.is_empty() && self.cancelled.is_empty()
    }
}

fn now() -> String {
    format_rfc3339(chrono::Utc::now())
}

fn lease_deadline(lease: Duration) -> String {
    format_rfc3339(chrono::Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30)))
}

/// Ends or re-queues every running job whose lease expired before now: a job whose worker
/// stopped returns to pending while it has had fewer than `max_attempts` claims, and fails with a
/// clear error after that; one whose cancellation was requested is cancelled.
pub fn recover_expired_leases(db: &Db, max_attempts: u32) -> Result<RecoveryReport> {
    db.write(|tx| {
        let now = now();
        let mut report = RecoveryReport::default();
        for expired in job_store::expired_leases(tx, &now)? {
            let id = expired.lease.job_id.clone();
            if expired.cancel_requested {
                if job_store::finish_cancelled(tx, &expired.lease, &RunDetails::default(), &now)?.is_some() {
                    report.cancelled.push(id);
                }
            } else if expired.attempts < max_attempts {
                if job_store::requeue(tx, &expired.lease, &now)? {
                    report.requeued.push(id);
                }
            } else {
                let times = match expired.attempts {
                    1 => "once".to_string(),
                    n => format!("{n} times"),
                };
                let error = format!(
                    "the worker running this job stopped {times} without finishing it (lease expired); giving up \
                     after {max_attempts} attempt(s)"
                );
                if job_store::fail(tx, &expired.lease, &error, &RunDetails::default(), &now)?.is_some() {
                    report.failed.push(id);
                }
            }
        }
        Ok(report)
    })
}

/// The loop that claims and runs jobs (see the module documentation).
pub(super) struct JobRunner {
    db: Db,
    settings: Arc<Settings>,
    executor: Arc<dyn JobExecutor>,
    heartbeat: Heartbeat,
    notifier: JobNotifier,
    /// This process's name in `jobs.lease_owner`.
    owner: String,
    /// Cancelled when the shutdown grace period is over: jobs still running are asked to stop
    /// (their outcome is not recorded; lease recovery runs them again).
    abandon: CancellationToken,
}

impl JobRunner {
    pub(super) fn new(
        db: Db,
        settings: Arc<Settings>,
        executor: Arc<dyn JobExecutor>,
        heartbeat: Heartbeat,
        notifier: JobNotifier,
    ) -> JobRunner {
        let suffix = IdKind::Job.new_id();
        JobRunner {
            db,
            settings,
            executor,
            heartbeat,
            notifier,
            owner: format!("pid-{}-{}", std::process::id(), &suffix[4..12]),
            abandon: CancellationToken::new(),
        }
    }

    fn lease_duration(&self) -> Duration {
        Duration::from_secs(self.settings.worker.lease_seconds)
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.settings.worker.poll_interval_ms.max(10))
    }

    async fn recover(&self) {
        let db = self.db.clone();
        let max_attempts = self.settings.worker.max_attempts;
        match crate::util::blocking(move || recover_expired_leases(&db, max_attempts)).await {
            Ok(report) if report.is_empty() => {}
            Ok(report) => log::warn!(
                "lease recovery: re-queued {:?}, failed {:?}, cancelled {:?}",
                report.requeued,
                report.failed,
                report.cancelled
            ),
            Err(e) => log::error!("lease recovery failed: {e}"),
        }
    }

    async fn claim(&self) -> Result<Option<Job>> {
        let owner = self.owner.clone();
        let lease = self.lease_duration();
        self.db
            .write_async(move |tx| job_store::claim_next(tx, &owner, &lease_deadline(lease), &now()))
            .await
    }

    pub(super) async fn run(self, shutdown: CancellationToken) {
        let this = Arc::new(self);
        log::info!(
            "worker {} started: concurrency {}, lease {} s, max attempts {}",
            this.owner,
            this.settings.worker.concurrency,
            this.settings.worker.lease_seconds,
            this.settings.worker.max_attempts
        );
        this.recover().await;
        let recovery_interval = (this.lease_duration() / 2).max(Duration::from_secs(1));
        let mut next_recovery = tokio::time::Instant::now() + recovery_interval;
        let slots = Arc::new(Semaphore::new(this.settings.worker.concurrency.max(1)));
        let mut running: JoinSet<()> = JoinSet::new();
        loop {
            this.heartbeat.beat();
            while running.try_join_next().is_some() {}
            if shutdown.is_cancelled() {
                break;
            }
            if tokio::time::Instant::now() >= next_recovery {
                this.recover().await;
                next_recovery = tokio::time::Instant::now() + recovery_interval;
            }
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                // Every slot is busy: wait for a job to end (or the next beat).
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(this.poll_interval()) => {}
                    _ = running.join_next(), if !running.is_empty() => {}
                }
                continue;
            };
            match this.claim().await {
                Ok(Some(job)) => {
                    let runner = this.clone();
                    running.spawn(async move {
                        runner.run_job(job).await;
                        drop(slot);
                    });
                }
                Ok(None) => {
                    drop(slot);
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(this.poll_interval()) => {}
                        _ = this.notifier.wait() => {}
                    }
                }
                Err(e) => {
                    drop(slot);
                    log::error!("claiming a job failed: {e}");
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(this.poll_interval()) => {}
                    }
                }
            }
        }
        let grace = Duration::from_secs(this.settings.server.shutdown_grace_seconds);
        if !running.is_empty() {
            log::info!(
                "worker stopping: waiting up to {} s for {} running job(s)",
                grace.as_secs(),
                running.len()
            );
        }
        let drained = tokio::time::timeout(grace, async { while running.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            // Asked to stop, jobs that notice it at their next step put themselves back to pending
            // at once; the rest are left to lease expiry.
            this.abandon.cancel();
            let settled =
                tokio::time::timeout(ABANDON_SETTLE, async { while running.join_next().await.is_some() {} }).await;
            if settled.is_err() {
                log::warn!(
                    "worker stopped with {} job(s) still running; they return to pending once their leases expire",
                    running.len()
                );
                running.abort_all();
            }
        }
        log::info!("worker {} stopped", this.owner);
    }

    /// Runs one claimed job to its end and records the outcome.
    async fn run_job(self: Arc<Self>, job: Job) {
        let lease = job.lease();
        let Some(run_id) = job.run_id.clone() else {
            // A claim always sets the run ID; without one the job is left to lease recovery.
            log::error!("job {} was claimed without a run ID", job.id);
            return;
        };
        log::info!("job {} claimed (attempt {}, run {run_id})", job.id, job.attempts);
        let cancel = CancelFlag::default();
        let lost = Arc::new(AtomicBool::new(false));
        let (progress_tx, progress_rx) = watch::channel(job.progress);
        let (detail_tx, detail_rx) = watch::channel(String::new());
        let progress = Arc::new(JobProgress {
            job_id: job.id.clone(),
            cancel: cancel.clone(),
            abandon: self.abandon.clone(),
            progress: progress_tx,
            detail: detail_tx,
        });
        let keeper_stop = CancellationToken::new();
        let keeper = tokio::spawn(keep_lease(LeaseKeeper {
            db: self.db.clone(),
            lease: lease.clone(),
            duration: self.lease_duration(),
            poll: self.poll_interval(),
            cancel: cancel.clone(),
            lost: lost.clone(),
            progress: progress_rx,
            detail: detail_rx,
            stop: keeper_stop.clone(),
            notifier: self.notifier.clone(),
        }));

        let outcome = self.execute(&job, &run_id, progress).await;
        keeper_stop.cancel();
        let _ = keeper.await;

        if lost.load(Ordering::SeqCst) {
            log::warn!(
                "job {}: lease lost while running (another worker claimed it after the lease expired); result discarded",
                job.id
            );
            return;
        }
        let recorded = self.record_outcome(&job, &lease, &run_id, outcome, &cancel).await;
        match recorded {
            Ok(Some(_)) => {}
            Ok(None) => log::warn!(
                "job {}: lease epoch {} is stale (the job was claimed again); result discarded",
                job.id,
                lease.epoch
            ),
            Err(e) => log::error!(
                "job {}: recording its outcome failed ({e}); it will be retried once its lease expires",
                job.id
            ),
        }
        // A run allocates hundreds of megabytes on a blocking-pool thread; give what it freed
        // back to the system (off the async executor: trimming walks the heap).
        let _ = tokio::task::spawn_blocking(release_freed_memory).await;
    }

    /// Records how a run ended: completed, back to pending (stopped by the shutdown), cancelled
    /// or failed. `None` when the lease is stale.
    async fn record_outcome(
        &self,
        job: &Job,
        lease: &Lease,
        run_id: &str,
        outcome: Result<JobOutput>,
        cancel: &CancelFlag,
    ) -> Result<Option<Job>> {
        let db = self.db.clone();
        match outcome {
            Ok(output) => {
                let count = output.personas.len();
                let result = db
                    .write_async({
                        let lease = lease.clone();
                        move |tx| job_store::complete(tx, &lease, &output.details, &output.personas, &now())
                    })
                    .await;
                match result {
                    Ok(done) => {
                        if done.is_some() {
                            log::info!("job {} completed: {count} persona(s), run {run_id}", job.id);
                        }
                        Ok(done)
                    }
                    Err(e) => {
                        log::error!("job {}: storing the result failed: {e}", job.id);
                        self.record_failure(lease, "storing the result failed (details in the server log)")
                            .await
                    }
                }
            }
            // Stopped because the server is shutting down, not because a client asked: the job
            // goes back to pending for the next start instead of ending cancelled.
            Err(Error::Cancelled) if !cancel.is_cancelled() && self.abandon.is_cancelled() => {
                log::info!("job {} stopped by the shutdown; back to pending", job.id);
                db.write_async({
                    let lease = lease.clone();
                    move |tx| Ok(job_store::requeue(tx, &lease, &now())?.then_some(()))
                })
                .await
                .map(|requeued| requeued.map(|()| job.clone()))
            }
            Err(Error::Cancelled) => {
                log::info!("job {} cancelled", job.id);
                db.write_async({
                    let lease = lease.clone();
                    move |tx| job_store::finish_cancelled(tx, &lease, &RunDetails::default(), &now())
                })
                .await
            }
            Err(e) => {
                let message = match &e {
                    Error::Internal(detail) if is_disk_full(detail) => {
                        log::error!("job {} failed: the disk is full: {detail}", job.id);
                        "disk full: the run's output could not be written (no space left on device)".to_string()
                    }
                    Error::Internal(detail) => {
                        log::error!("job {} failed with an internal error: {detail}", job.id);
                        "internal error while generating (details in the server log)".to_string()
                    }
                    other => {
                        log::info!("job {} failed: {other}", job.id);
                        other.to_string()
                    }
                };
                self.record_failure(lease, &message).await
            }
        }
    }

    async fn record_failure(&self, lease: &Lease, message: &str) -> Result<Option<Job>> {
        let (lease, message) = (lease.clone(), message.to_string());
        self.db
            .write_async(move |tx| job_store::fail(tx, &lease, &message, &RunDetails::default(), &now()))
            .await
    }

    /// Fetches a URL source if needed and runs the executor, turning a panic into an error.
    async fn execute(&self, job: &Job, run_id: &str, progress: Arc<JobProgress>) -> Result<JobOutput> {
        let download_dir = self
            .settings
            .storage
            .output_dir
            .join(".downloads")
            .join(format!("{}-{}", job.id, job.lease_epoch));
        let _cleanup = RemoveOnDrop(download_dir.clone());
        let local_source = !crate::net::is_url(&job.data_source);
        let confine_root = if local_source {
            self.settings.storage.data_dir.as_path()
        } else {
            download_dir.as_path()
        };
        let data_path = if local_source {
            let path = PathBuf::from(&job.data_source);
            let root = self.settings.storage.data_dir.clone();
            let checked = path.clone();
            crate::util::blocking(move || check_contained(&checked, &root)).await?;
            path
        } else {
            download(&job.data_source, &self.settings.fetch, &download_dir).await?
        };
        if progress.cancelled() {
            return Err(Error::Cancelled);
        }
        let request = &job.request;
        let run = JobRun {
            job_id: job.id.clone(),
            run_id: run_id.to_string(),
            experiment_id: job.experiment_id.clone(),
            data_path,
            generation: GenerationSettings {
                count: request.count as usize,
                seed: request.seed.unwrap_or(self.settings.generation.seed),
                provider: request.provider.clone(),
                model: request.model.clone(),
                options: request.config.clone(),
            },
            output_dir: self.settings.storage.output_dir.clone(),
            // Canonical, as submission checked it, so that links cannot lead the run out of it.
            confine_to: std::fs::canonicalize(confine_root).unwrap_or_else(|_| confine_root.to_path_buf()),
        };
        // The future is driven on a blocking-pool thread, so that CPU-heavy generation never holds
        // up the runtime threads that renew leases and claim jobs.
        let future = self.executor.execute(run, progress);
        let runtime = tokio::runtime::Handle::current();
        match tokio::task::spawn_blocking(move || runtime.block_on(future)).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => {
                let payload = e.into_panic();
                let detail = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                Err(Error::Internal(format!("the generation pipeline panicked: {detail}")))
            }
            Err(e) => Err(Error::Internal(format!("generation task ended abnormally: {e}"))),
        }
    }
}

/// The progress sink handed to the executor: raises the job's progress and reports cancellation.
struct JobProgress {
    job_id: String,
    cancel: CancelFlag,
    abandon: CancellationToken,
    progress: watch::Sender<u8>,
    /// The latest detail message; the lease keeper stores it as a `message` event. A watch
    /// keeps only the newest, so a burst of messages never queues writes.
    detail: watch::Sender<String>,
}

impl Progress for JobProgress {
    fn step(&self, step: Step, message: &str) {
        log::debug!("job {}: {step:?} {message}", self.job_id);
        let value = step.progress();
        self.progress.send_if_modified(|current| {
            let raise = value > *current;
            if raise {
                *current = value;
            }
            raise
        });
    }

    fn detail(&self, step: Step, message: &str) {
        self.step(step, message);
        self.detail.send_replace(message.to_string());
    }

    fn cancelled(&self) -> bool {
        self.cancel.is_cancelled() || self.abandon.is_cancelled()
    }
}

struct LeaseKeeper {
    db: Db,
    lease: Lease,
    duration: Duration,
    /// How often cancellation requests are looked for.
    poll: Duration,
    cancel: CancelFlag,
    lost: Arc<AtomicBool>,
    progress: watch::Receiver<u8>,
    detail: watch::Receiver<String>,
    stop: CancellationToken,
    notifier: JobNotifier,
}

/// While a job runs: renews its lease every third of the lease time, writes progress as it rises,
/// and watches for cancellation requests. Losing the lease stops the job.
async fn keep_lease(mut keeper: LeaseKeeper) {
    let mut renew = tokio::time::interval((keeper.duration / 3).max(Duration::from_millis(100)));
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    renew.tick().await;
    let mut check_cancel = tokio::time::interval(keeper.poll);
    check_cancel.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut progress_open = true;
    let mut detail_open = true;
    loop {
        tokio::select! {
            _ = keeper.stop.cancelled() => {
                // The last detail ("5 of 5 personas written…") is kept even when the job ends
                // before the loop got to it: the job is still running under the lease here.
                if detail_open && keeper.detail.has_changed().unwrap_or(false) {
                    let message = keeper.detail.borrow_and_update().clone();
                    let lease = keeper.lease.clone();
                    if let Err(e) = keeper.db.write_async(move |tx| job_store::record_message(tx, &lease, &message, &now())).await {
                        log::warn!("job {}: recording a progress message failed: {e}", keeper.lease.job_id);
                    }
                }
                return;
            }
            _ = renew.tick() => {
                let (lease, expires) = (keeper.lease.clone(), lease_deadline(keeper.duration));
                match keeper.db.write_async(move |tx| job_store::renew_lease(tx, &lease, &expires, &now())).await {
                    Ok(LeaseRenewal::Held { cancel_requested }) => {
                        if cancel_requested {
                            keeper.cancel.cancel();
                        }
                    }
                    Ok(LeaseRenewal::Lost) => {
                        keeper.lost.store(true, Ordering::SeqCst);
                        keeper.cancel.cancel();
                        return;
                    }
                    Err(e) => log::warn!("job {}: renewing its lease failed: {e}", keeper.lease.job_id),
                }
            }
            _ = check_cancel.tick() => check_cancel_requested(&keeper).await,
            _ = keeper.notifier.wait_for_cancel_request() => check_cancel_requested(&keeper).await,
            changed = keeper.progress.changed(), if progress_open => {
                if changed.is_err() {
                    progress_open = false;
                    continue;
                }
                let value = *keeper.progress.borrow_and_update();
                let lease = keeper.lease.clone();
                match keeper.db.write_async(move |tx| job_store::record_progress(tx, &lease, value, &now())).await {
                    Ok(true) => {}
                    Ok(false) => {
                        keeper.lost.store(true, Ordering::SeqCst);
                        keeper.cancel.cancel();
                        return;
                    }
                    Err(e) => log::warn!("job {}: recording progress failed: {e}", keeper.lease.job_id),
                }
            }
            changed = keeper.detail.changed(), if detail_open => {
                if changed.is_err() {
                    detail_open = false;
                    continue;
                }
                let message = keeper.detail.borrow_and_update().clone();
                let lease = keeper.lease.clone();
                match keeper.db.write_async(move |tx| job_store::record_message(tx, &lease, &message, &now())).await {
                    Ok(true) => {}
                    Ok(false) => {
                        keeper.lost.store(true, Ordering::SeqCst);
                        keeper.cancel.cancel();
                        return;
                    }
                    Err(e) => log::warn!("job {}: recording a progress message failed: {e}", keeper.lease.job_id),
                }
            }
        }
    }
}

/// Stops the job when a client has asked to cancel it.
async fn check_cancel_requested(keeper: &LeaseKeeper) {
    let id = keeper.lease.job_id.clone();
    if let Ok(Some(job)) = keeper.db.read_async(move |conn| job_store::get(conn, &id)).await
        && job.cancel_requested
    {
        keeper.cancel.cancel();
    }
}

/// Checks, just before the run reads it, that a job's data source is still what submission
/// accepted: the canonical path of a file or folder inside the data directory, itself no
/// symbolic link. A file swapped for a link out of the directory after the job was accepted is
/// refused here instead of read. (Links inside a folder are confined by the ingestion walk.)
fn check_contained(path: &Path, data_dir: &Path) -> Result<()> {
    let refuse = |reason: &str| {
        Err(Error::invalid(format!(
            "the data source {} {reason}; it is not read",
            path.display()
        )))
    };
    let root = std::fs::canonicalize(data_dir).map_err(|e| {
        Error::Internal(format!(
            "the data directory {} cannot be resolved: {e}",
            data_dir.display()
        ))
    })?;
    match std::fs::symlink_metadata(path) {
        Err(_) => return refuse("no longer exists"),
        Ok(metadata) if metadata.file_type().is_symlink() => {
            return refuse("was replaced by a symbolic link after the job was accepted");
        }
        Ok(_) => {}
    }
    match std::fs::canonicalize(path) {
        Ok(resolved) if resolved == path && resolved.starts_with(&root) => Ok(()),
        Ok(_) => refuse("now leads outside the data directory"),
        Err(_) => refuse("can no longer be resolved"),
    }
}

/// Whether an internal error's detail is the operating system's "no space left" (ENOSPC) or
/// SQLite's disk-full.
fn is_disk_full(detail: &str) -> bool {
    detail.contains("No space left on device") || detail.contains("os error 28") || detail.contains("disk is full")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_only_rises() {
        let (tx, rx) = watch::channel(0u8);
        let sink = JobProgress {
            job_id: "job-1".into(),
            cancel: CancelFlag::default(),
            abandon: CancellationToken::new(),
            progress: tx,
            detail: watch::channel(String::new()).0,
        };
        sink.step(Step::Synthesising, "");
        sink.step(Step::Segmenting, "");
        assert_eq!(*rx.borrow(), Step::Synthesising.progress());
        assert!(!sink.cancelled());
        sink.cancel.cancel();
        assert!(sink.cancelled());
        let abandoned = JobProgress {
            job_id: "job-2".into(),
            cancel: CancelFlag::default(),
            abandon: CancellationToken::new(),
            progress: watch::channel(0u8).0,
            detail: watch::channel(String::new()).0,
        };
        abandoned.abandon.cancel();
        assert!(abandoned.cancelled(), "jobs abandoned at shutdown are asked to stop");
    }
}
