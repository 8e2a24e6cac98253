//! The `jobs` table and every change of a job's state.
//!
//! Each transition has exactly one function here, and each takes the caller's open
//! `&Transaction`:
//!
//! | function | change |
//! |---|---|
//! | [`claim_next`] | pending → running (a worker takes the oldest pending job and a lease on it) |
//! | [`record_progress`] | progress of a running job (never goes down; 100 only when completed) |
//! | [`complete`] | running → completed, with its run and personas |
//! | [`fail`] | running → failed, with its run |
//! | [`finish_cancelled`] | running → cancelled (the worker stopped on request), with its run |
//! | [`cancel_pending`] | pending → cancelled, with its run |
//! | [`requeue`] | running → pending (its worker's lease expired) |
//! | [`request_cancel`] | marks a running job for cancellation (status unchanged) |
//!
//! Because every change goes through one of these functions inside the caller's transaction,
//! anything that must be recorded atomically with a state change (the webhook outbox, the event
//! log behind live progress) belongs in these functions.
//!
//! Changes made by a worker name the [`Lease`] they hold: they apply only while the job is
//! running under the same `lease_epoch`, so a worker whose lease expired and whose job was
//! claimed again cannot change it any more (the functions return `None`/`false`).
//!
//! Every job that ends gets exactly one `runs` row, written by the transition that ends it.
//!
//! The transitions also write the webhook outbox rows of their event in the same transaction
//! ([`super::deliveries::enqueue_job_event`]): the first claim queues `generation.started`, the
//! terminal ones `generation.completed`, `generation.failed` or `generation.cancelled`.

use super::runs::{self, Run, RunDetails, RunStatus};
use crate::domain::jobs::{Job, JobRequest, JobStatus, Lease};
use crate::domain::webhooks::WebhookEvent;
use crate::domain::{IdKind, Persona};
use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

/// A job to insert.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: String,
    pub experiment_id: String,
    pub request: JobRequest,
    pub data_source: String,
    pub client_key: String,
}

/// What the job's run adds to the job's view.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub run_id: String,
    pub personas_count: u64,
    pub output_path: Option<String>,
}

/// A job with the summary of its run (present once a worker has started the job).
#[derive(Debug, Clone, PartialEq)]
pub struct JobEntry {
    pub job: Job,
    pub run: Option<RunSummary>,
}

/// Filter and page of [`list`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub status: Option<JobStatus>,
    pub limit: u32,
    pub offset: u64,
}

/// Outcome of [`renew_lease`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseRenewal {
    /// Still ours; `cancel_requested` tells the worker whether to stop.
    Held { cancel_requested: bool },
    /// The job is no longer running under this lease (expired and claimed again, or ended).
    Lost,
}

/// A running job whose lease has expired (its worker stopped), found by [`expired_leases`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredLease {
    pub lease: Lease,
    pub attempts: u32,
    pub cancel_requested: bool,
}

const COLUMNS: &str = "jobs.id, jobs.experiment_id, jobs.status, jobs.progress, jobs.request, jobs.data_source,
     jobs.client_key, jobs.attempts, jobs.lease_owner, jobs.lease_expires_at, jobs.lease_epoch,
     jobs.cancel_requested, jobs.error, jobs.run_id, jobs.created_at, jobs.started_at, jobs.completed_at,
     jobs.updated_at";

/// The same columns for `RETURNING`, which does not accept table-qualified names.
const RETURNING: &str = "id, experiment_id, status, progress, request, data_source, client_key, attempts, lease_owner,
     lease_expires_at, lease_epoch, cancel_requested, error, run_id, created_at, started_at, completed_at, updated_at";

/// Column count of [`COLUMNS`]; joined columns follow it.
const JOB_COLUMN_COUNT: usize = 18;

fn job_from_row(row: &Row<'_>) -> Result<Job> {
    let status: String = row.get(2)?;
    let request: String = row.get(4)?;
    Ok(Job {
        id: row.get(0)?,
        experiment_id: row.get(1)?,
        status: JobStatus::parse(&status).ok_or_else(|| Error::Internal(format!("unknown job status {status:?}")))?,
        progress: row.get::<_, i64>(3)?.clamp(0, 100) as u8,
        request: super::parse_json("jobs.request", &request)?,
        data_source: row.get(5)?,
        client_key: row.get(6)?,
        attempts: row.get::<_, i64>(7)?.max(0) as u32,
        lease_owner: row.get(8)?,
        lease_expires_at: row.get(9)?,
        lease_epoch: row.get(10)?,
        cancel_requested: row.get::<_, i64>(11)? != 0,
        error: row.get(12)?,
        run_id: row.get(13)?,
        created_at: row.get(14)?,
        started_at: row.get(15)?,
        completed_at: row.get(16)?,
        updated_at: row.get(17)?,
    })
}

fn entry_from_row(row: &Row<'_>) -> Result<JobEntry> {
    let job = job_from_row(row)?;
    let run_id: Option<String> = row.get(JOB_COLUMN_COUNT)?;
    let run = match run_id {
        Some(run_id) => Some(RunSummary {
            run_id,
            personas_count: row.get::<_, i64>(JOB_COLUMN_COUNT + 1)?.max(0) as u64,
            output_path: row.get(JOB_COLUMN_COUNT + 2)?,
        }),
        None => None,
    };
    Ok(JobEntry { job, run })
}

/// Runs a statement that returns at most one job row.
fn query_job(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Option<Job>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params)?;
    rows.next()?.map(job_from_row).transpose()
}

pub fn insert(tx: &Transaction<'_>, job: &NewJob, now: &str) -> Result<Job> {
    let sql = format!(
        "INSERT INTO jobs (id, experiment_id, status, progress, request, data_source, client_key, created_at, updated_at)
         VALUES (?1, ?2, 'pending', 0, ?3, ?4, ?5, ?6, ?6) RETURNING {RETURNING}"
    );
    let request = serde_json::to_string(&job.request)?;
    let job = query_job(
        tx,
        &sql,
        params![job.id, job.experiment_id, request, job.data_source, job.client_key, now],
    )?
    .ok_or_else(|| Error::Internal("inserting a job returned no row".into()))?;
    super::events::append(tx, &job, super::events::EventKind::Status, now)?;
    Ok(job)
}

/// Pending and running jobs of one client (for the concurrent-jobs limit).
pub fn count_unfinished_for_client(conn: &Connection, client_key: &str) -> Result<u64> {
    let count: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM jobs WHERE client_key = ?1 AND status IN ('pending', 'running')")?
        .query_row([client_key], |row| row.get(0))?;
    Ok(count as u64)
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Job>> {
    query_job(conn, &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"), [id])
}

/// A job with its run summary.
pub fn get_entry(conn: &Connection, id: &str) -> Result<Option<JobEntry>> {
    let sql = format!(
        "SELECT {COLUMNS}, runs.id, runs.personas_count, runs.output_path
         FROM jobs LEFT JOIN runs ON runs.id = jobs.run_id WHERE jobs.id = ?1"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([id])?;
    rows.next()?.map(entry_from_row).transpose()
}

/// Jobs newest first, with their run summaries.
pub fn list_entries(conn: &Connection, query: &ListQuery) -> Result<Vec<JobEntry>> {
    let filter = if query.status.is_some() {
        "WHERE jobs.status = ?3"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLUMNS}, runs.id, runs.personas_count, runs.output_path
         FROM jobs LEFT JOIN runs ON runs.id = jobs.run_id {filter}
         ORDER BY jobs.created_at DESC, jobs.rowid DESC LIMIT ?1 OFFSET ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let limit = i64::from(query.limit);
    let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
    let mut rows = match query.status {
        Some(status) => stmt.query(params![limit, offset, status.as_str()])?,
        None => stmt.query(params![limit, offset])?,
    };
    let mut entries = Vec::new();
    while let Some(row) = rows.next()? {
        entries.push(entry_from_row(row)?);
    }
    Ok(entries)
}

/// Number of jobs, optionally of one status.
pub fn count(conn: &Connection, status: Option<JobStatus>) -> Result<u64> {
    let count: i64 = match status {
        Some(status) => conn
            .prepare_cached("SELECT COUNT(*) FROM jobs WHERE status = ?1")?
            .query_row([status.as_str()], |row| row.get(0))?,
        None => conn
            .prepare_cached("SELECT COUNT(*) FROM jobs")?
            .query_row([], |row| row.get(0))?,
    };
    Ok(count as u64)
}

/// pending → running: takes the oldest pending job for `owner`, with a lease until
/// `lease_expires_at`, in one statement, and records its run as `running`. The run ID is chosen
/// by the first claim and kept by later ones (after a worker stopped), so a job has one run.
pub fn claim_next(tx: &Transaction<'_>, owner: &str, lease_expires_at: &str, now: &str) -> Result<Option<Job>> {
    let sql = format!(
        "UPDATE jobs SET status = 'running', lease_owner = ?1, lease_expires_at = ?2, lease_epoch = lease_epoch + 1,
                attempts = attempts + 1, started_at = COALESCE(started_at, ?3), updated_at = ?3,
                run_id = COALESCE(run_id, ?4)
         WHERE id = (SELECT id FROM jobs WHERE status = 'pending' ORDER BY created_at, rowid LIMIT 1)
         RETURNING {RETURNING}"
    );
    let Some(job) = query_job(tx, &sql, params![owner, lease_expires_at, now, IdKind::Run.new_id()])? else {
        return Ok(None);
    };
    runs::record(
        tx,
        &job_run(&job, RunStatus::Running, None, &RunDetails::default(), 0, None),
    )?;
    super::events::append(tx, &job, super::events::EventKind::Status, now)?;
    // `generation.started` once, when the job first runs (not again after a lease recovery).
    if job.attempts == 1 {
        let event = WebhookEvent::Started {
            job_id: job.id.clone(),
            experiment_id: job.experiment_id.clone(),
        };
        super::deliveries::enqueue_job_event(tx, &event, job.request.webhook_url.as_deref(), now)?;
    }
    Ok(Some(job))
}

/// The `runs` row of a job in `status`.
fn job_run(
    job: &Job,
    status: RunStatus,
    error: Option<&str>,
    details: &RunDetails,
    personas_count: usize,
    completed_at: Option<&str>,
) -> Run {
    let request = &job.request;
    Run {
        id: job.run_id.clone().unwrap_or_default(),
        experiment_id: job.experiment_id.clone(),
        job_id: Some(job.id.clone()),
        status,
        provider: request.provider.clone(),
        model: details.model.clone().or_else(|| request.model.clone()),
        config: serde_json::json!({
            "count": request.count,
            "seed": request.seed,
            "provider": request.provider,
            "model": request.model,
            "options": request.config,
        }),
        source_files: details.source_files.clone(),
        skipped_files: details.skipped_files.clone(),
        warnings: details.warnings.clone(),
        personas_count: personas_count as u64,
        input_tokens: details.input_tokens,
        output_tokens: details.output_tokens,
        output_path: details.output_path.clone(),
        duration_ms: details.duration_ms,
        metadata: details.metadata.clone(),
        error: error.map(str::to_string),
        started_at: job.started_at.clone(),
        completed_at: completed_at.map(str::to_string),
    }
}

/// Extends a running job's lease and reports whether cancellation was requested.
pub fn renew_lease(tx: &Transaction<'_>, lease: &Lease, lease_expires_at: &str, now: &str) -> Result<LeaseRenewal> {
    let cancel_requested: Option<i64> = tx
        .prepare_cached(
            "UPDATE jobs SET lease_expires_at = ?3, updated_at = ?4
             WHERE id = ?1 AND lease_epoch = ?2 AND status = 'running' RETURNING cancel_requested",
        )?
        .query_row(params![lease.job_id, lease.epoch, lease_expires_at, now], |row| {
            row.get(0)
        })
        .optional()?;
    Ok(match cancel_requested {
        Some(flag) => LeaseRenewal::Held {
            cancel_requested: flag != 0,
        },
        None => LeaseRenewal::Lost,
    })
}

/// Raises a running job's progress (capped at 99: 100 means completed). Returns false when the
/// lease is lost; a lower value than the stored one leaves it unchanged.
pub fn record_progress(tx: &Transaction<'_>, lease: &Lease, progress: u8, now: &str) -> Result<bool> {
    let progress = i64::from(progress.min(99));
    let before: Option<i64> = tx
        .prepare_cached("SELECT progress FROM jobs WHERE id = ?1 AND lease_epoch = ?2 AND status = 'running'")?
        .query_row(params![lease.job_id, lease.epoch], |row| row.get(0))
        .optional()?;
    let Some(before) = before else {
        return Ok(false);
    };
    if progress > before {
        let sql = format!("UPDATE jobs SET progress = ?2, updated_at = ?3 WHERE id = ?1 RETURNING {RETURNING}");
        if let Some(job) = query_job(tx, &sql, params![lease.job_id, progress, now])? {
            super::events::append(tx, &job, super::events::EventKind::Progress, now)?;
        }
    }
    Ok(true)
}

/// Records what a running job is doing as a `message` event, under its lease. `false` when
/// the lease is no longer held.
pub fn record_message(tx: &Transaction<'_>, lease: &Lease, message: &str, now: &str) -> Result<bool> {
    let sql = format!("SELECT {RETURNING} FROM jobs WHERE id = ?1 AND lease_epoch = ?2 AND status = 'running'");
    let Some(job) = query_job(tx, &sql, params![lease.job_id, lease.epoch])? else {
        return Ok(false);
    };
    super::events::append_message(tx, &job, message, now)?;
    Ok(true)
}

/// Which jobs a terminal transition may end.
enum EndFrom<'a> {
    /// A running job under this lease.
    Lease(&'a Lease),
    /// A pending job.
    Pending(&'a str),
}

/// The terminal transitions' shared work: ends the job and writes its run (and personas). A job
/// that never ran gets a run ID now. `None` when the job is not in the expected state (a stale
/// lease, or no longer pending).
fn end(
    tx: &Transaction<'_>,
    from: EndFrom<'_>,
    to: JobStatus,
    error: Option<&str>,
    details: &RunDetails,
    personas: &[Persona],
    now: &str,
) -> Result<Option<Job>> {
    let run_status = match to {
        JobStatus::Completed => RunStatus::Completed,
        JobStatus::Failed => RunStatus::Failed,
        JobStatus::Cancelled => RunStatus::Cancelled,
        JobStatus::Pending | JobStatus::Running => {
            return Err(Error::Internal(format!("{} is not a terminal job status", to.as_str())));
        }
    };
    let progress = if to == JobStatus::Completed { "100" } else { "progress" };
    let update = |condition: &str| {
        format!(
            "UPDATE jobs SET status = ?1, progress = {progress}, error = ?2, run_id = COALESCE(run_id, ?3), completed_at = ?4,
                    updated_at = ?4, lease_expires_at = NULL
             WHERE {condition} RETURNING {RETURNING}"
        )
    };
    let fresh_run_id = IdKind::Run.new_id();
    let ended = match from {
        EndFrom::Lease(lease) => query_job(
            tx,
            &update("id = ?5 AND lease_epoch = ?6 AND status = 'running'"),
            params![to.as_str(), error, fresh_run_id, now, lease.job_id, lease.epoch],
        )?,
        EndFrom::Pending(id) => query_job(
            tx,
            &update("id = ?5 AND status = 'pending'"),
            params![to.as_str(), error, fresh_run_id, now, id],
        )?,
    };
    let Some(job) = ended else {
        return Ok(None);
    };
    let run = job_run(&job, run_status, error, details, personas.len(), Some(now));
    runs::record(tx, &run)?;
    let run_id = run.id.as_str();
    super::personas::insert_for_run(tx, run_id, &job.experiment_id, personas, now)?;
    let event = match to {
        JobStatus::Completed => WebhookEvent::Completed {
            job_id: job.id.clone(),
            personas_count: personas.len() as u64,
            experiment_id: job.experiment_id.clone(),
            run_id: run_id.to_string(),
            output_path: details.output_path.clone(),
        },
        JobStatus::Failed => WebhookEvent::Failed {
            job_id: job.id.clone(),
            error: error.unwrap_or_default().to_string(),
        },
        _ => WebhookEvent::Cancelled { job_id: job.id.clone() },
    };
    super::deliveries::enqueue_job_event(tx, &event, job.request.webhook_url.as_deref(), now)?;
    super::events::append(tx, &job, super::events::EventKind::Status, now)?;
    Ok(Some(job))
}

/// running → completed: records the job's run with its personas and the job's result, all in the
/// caller's transaction. `None` when the lease is stale (nothing is written).
pub fn complete(
    tx: &Transaction<'_>,
    lease: &Lease,
    details: &RunDetails,
    personas: &[Persona],
    now: &str,
) -> Result<Option<Job>> {
    end(
        tx,
        EndFrom::Lease(lease),
        JobStatus::Completed,
        None,
        details,
        personas,
        now,
    )
}

/// running → failed with `error`, recording the run as failed. `None` when the lease is stale.
pub fn fail(tx: &Transaction<'_>, lease: &Lease, error: &str, details: &RunDetails, now: &str) -> Result<Option<Job>> {
    end(
        tx,
        EndFrom::Lease(lease),
        JobStatus::Failed,
        Some(error),
        details,
        &[],
        now,
    )
}

/// running → cancelled: the worker stopped the job on request. `None` when the lease is stale.
pub fn finish_cancelled(tx: &Transaction<'_>, lease: &Lease, details: &RunDetails, now: &str) -> Result<Option<Job>> {
    end(tx, EndFrom::Lease(lease), JobStatus::Cancelled, None, details, &[], now)
}

/// pending → cancelled, recording a cancelled run that never started. `None` when the job is not
/// pending (any more).
pub fn cancel_pending(tx: &Transaction<'_>, job_id: &str, now: &str) -> Result<Option<Job>> {
    end(
        tx,
        EndFrom::Pending(job_id),
        JobStatus::Cancelled,
        None,
        &RunDetails::default(),
        &[],
        now,
    )
}

/// Asks the worker running `job_id` to stop at its next step. False when the job is not running
/// or its cancellation was already requested (so the request is recorded, and streamed, once).
pub fn request_cancel(tx: &Transaction<'_>, job_id: &str, now: &str) -> Result<bool> {
    let sql = format!(
        "UPDATE jobs SET cancel_requested = 1, updated_at = ?2
         WHERE id = ?1 AND status = 'running' AND cancel_requested = 0 RETURNING {RETURNING}"
    );
    let Some(job) = query_job(tx, &sql, params![job_id, now])? else {
        return Ok(false);
    };
    super::events::append(tx, &job, super::events::EventKind::CancelRequested, now)?;
    Ok(true)
}

/// running → pending: the job's worker stopped without finishing it; another claim will run it
/// again. False when the lease is stale.
pub fn requeue(tx: &Transaction<'_>, lease: &Lease, now: &str) -> Result<bool> {
    let sql = format!(
        "UPDATE jobs SET status = 'pending', lease_expires_at = NULL, updated_at = ?3
         WHERE id = ?1 AND lease_epoch = ?2 AND status = 'running' RETURNING {RETURNING}"
    );
    let Some(job) = query_job(tx, &sql, params![lease.job_id, lease.epoch, now])? else {
        return Ok(false);
    };
    super::events::append(tx, &job, super::events::EventKind::Status, now)?;
    Ok(true)
}

/// Running jobs whose lease expired before `now`, oldest expiry first.
pub fn expired_leases(conn: &Connection, now: &str) -> Result<Vec<ExpiredLease>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, lease_epoch, attempts, cancel_requested FROM jobs
         WHERE status = 'running' AND lease_expires_at < ?1 ORDER BY lease_expires_at",
    )?;
    let rows = stmt.query_map([now], |row| {
        Ok(ExpiredLease {
            lease: Lease {
                job_id: row.get(0)?,
                epoch: row.get(1)?,
            },
            attempts: row.get::<_, i64>(2)?.max(0) as u32,
            cancel_requested: row.get::<_, i64>(3)? != 0,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::IdKind;
    use crate::store::Db;
    use crate::store::test_support::temp_db;

    const T0: &str = "2026-01-01T00:00:00.000Z";
    const T1: &str = "2026-01-01T00:00:01.000Z";
    const T2: &str = "2026-01-01T00:00:02.000Z";
    const LATER: &str = "2026-01-01T01:00:00.000Z";

    fn request() -> JobRequest {
        JobRequest {
            data: "interviews.csv".into(),
            count: 2,
            provider: "local".into(),
            model: None,
            config: Default::default(),
            webhook_url: None,
            seed: Some(7),
        }
    }

    fn submit(db: &Db, now: &str) -> Job {
        db.write(|tx| {
            let exp = super::super::experiments::find_or_create_for_data(tx, "interviews.csv", "interviews.csv", now)?;
            insert(
                tx,
                &NewJob {
                    id: IdKind::Job.new_id(),
                    experiment_id: exp.id,
                    request: request(),
                    data_source: "/data/interviews.csv".into(),
                    client_key: "ip:127.0.0.1".into(),
                },
                now,
            )
        })
        .unwrap()
    }

    fn persona(id: &str) -> Persona {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": "Maya", "title": "The Seller", "summary": "s",
            "provider": "local", "model": "local-v1"
        }))
        .unwrap()
    }

    fn claim(db: &Db, owner: &str, expires: &str, now: &str) -> Option<Job> {
        db.write(|tx| claim_next(tx, owner, expires, now)).unwrap()
    }

    #[test]
    fn claims_take_the_oldest_pending_job_once_and_bump_the_epoch() {
        let (_dir, db) = temp_db();
        let first = submit(&db, T0);
        let second = submit(&db, T1);
        let a = claim(&db, "w1", T2, T1).unwrap();
        assert_eq!(a.id, first.id);
        assert_eq!((a.status, a.attempts, a.lease_epoch), (JobStatus::Running, 1, 1));
        assert_eq!(a.started_at.as_deref(), Some(T1));
        let b = claim(&db, "w2", T2, T1).unwrap();
        assert_eq!(b.id, second.id);
        assert!(claim(&db, "w3", T2, T1).is_none(), "nothing left to claim");
    }

    #[test]
    fn completion_stores_run_and_personas_and_a_stale_lease_changes_nothing() {
        let (_dir, db) = temp_db();
        let job = submit(&db, T0);
        let first = claim(&db, "w1", T1, T0).unwrap();
        // The first worker's lease expires and the job is claimed again.
        let expired = db.read(|c| expired_leases(c, T2)).unwrap();
        assert_eq!(expired.len(), 1);
        assert!(db.write(|tx| requeue(tx, &expired[0].lease, T2)).unwrap());
        let second = claim(&db, "w2", LATER, T2).unwrap();
        assert_eq!(second.lease_epoch, first.lease_epoch + 1);
        assert_eq!(second.started_at.as_deref(), Some(T0), "the first start time is kept");

        let personas = [persona("persona-aaaaaaaaaaaa"), persona("persona-bbbbbbbbbbbb")];
        let details = RunDetails {
            output_path: Some("/out/run".into()),
            ..RunDetails::default()
        };
        let run_id = first.run_id.clone().expect("a claimed job has a run");
        assert_eq!(
            second.run_id.as_ref(),
            Some(&run_id),
            "a second claim keeps the job's run"
        );
        let run = db.read(|c| runs::get(c, &run_id)).unwrap().unwrap();
        assert_eq!((run.status, run.started_at.as_deref()), (RunStatus::Running, Some(T0)));
        let stale = db
            .write(|tx| complete(tx, &first.lease(), &details, &personas, T2))
            .unwrap();
        assert!(stale.is_none(), "a stale worker cannot complete the job");
        assert!(!db.write(|tx| record_progress(tx, &first.lease(), 50, T2)).unwrap());

        let done = db
            .write(|tx| complete(tx, &second.lease(), &details, &personas, T2))
            .unwrap()
            .unwrap();
        assert_eq!((done.status, done.progress), (JobStatus::Completed, 100));
        let entry = db.read(|c| get_entry(c, &job.id)).unwrap().unwrap();
        let run = entry.run.unwrap();
        assert_eq!((run.run_id.as_str(), run.personas_count), (run_id.as_str(), 2));
        assert_eq!(run.output_path.as_deref(), Some("/out/run"));
        let stored = db.read(|c| super::super::personas::list_for_run(c, &run_id)).unwrap();
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0]["run_id"], run_id.as_str());
        assert_eq!(stored[1]["id"], "persona-bbbbbbbbbbbb");
        let run = db.read(|c| runs::get(c, &run_id)).unwrap().unwrap();
        assert_eq!(
            (run.status, run.started_at.as_deref()),
            (RunStatus::Completed, Some(T0))
        );
        // A completed job cannot be completed again.
        assert!(
            db.write(|tx| complete(tx, &second.lease(), &details, &personas, T2))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn progress_only_rises_and_stays_below_100_while_running() {
        let (_dir, db) = temp_db();
        submit(&db, T0);
        let job = claim(&db, "w1", LATER, T0).unwrap();
        let lease = job.lease();
        assert!(db.write(|tx| record_progress(tx, &lease, 45, T1)).unwrap());
        assert!(db.write(|tx| record_progress(tx, &lease, 25, T1)).unwrap());
        assert_eq!(db.read(|c| get(c, &job.id)).unwrap().unwrap().progress, 45);
        assert!(db.write(|tx| record_progress(tx, &lease, 100, T1)).unwrap());
        assert_eq!(db.read(|c| get(c, &job.id)).unwrap().unwrap().progress, 99);
    }

    #[test]
    fn cancellation_of_pending_and_running_jobs() {
        let (_dir, db) = temp_db();
        let pending = submit(&db, T0);
        let running_job = submit(&db, T1);
        // Claims take the oldest first, so cancel the first while it is pending, then claim the second.
        let cancelled = db.write(|tx| cancel_pending(tx, &pending.id, T1)).unwrap().unwrap();
        assert_eq!(cancelled.status, JobStatus::Cancelled);
        let run = db.read(|c| runs::get_for_job(c, &pending.id)).unwrap().unwrap();
        assert_eq!((run.status, run.started_at), (RunStatus::Cancelled, None));

        let running = claim(&db, "w1", LATER, T1).unwrap();
        assert_eq!(running.id, running_job.id);
        assert!(db.write(|tx| cancel_pending(tx, &running.id, T1)).unwrap().is_none());
        assert!(db.write(|tx| request_cancel(tx, &running.id, T1)).unwrap());
        assert!(
            !db.write(|tx| request_cancel(tx, &running.id, T1)).unwrap(),
            "recorded once"
        );
        assert_eq!(
            db.write(|tx| renew_lease(tx, &running.lease(), LATER, T2)).unwrap(),
            LeaseRenewal::Held { cancel_requested: true }
        );
        let ended = db
            .write(|tx| finish_cancelled(tx, &running.lease(), &RunDetails::default(), T2))
            .unwrap()
            .unwrap();
        assert_eq!(ended.status, JobStatus::Cancelled);
        assert_eq!(
            db.write(|tx| renew_lease(tx, &running.lease(), LATER, T2)).unwrap(),
            LeaseRenewal::Lost
        );
        assert!(!db.write(|tx| request_cancel(tx, &running.id, T2)).unwrap());
    }

    #[test]
    fn failures_record_the_error_on_job_and_run() {
        let (_dir, db) = temp_db();
        submit(&db, T0);
        let job = claim(&db, "w1", LATER, T0).unwrap();
        let failed = db
            .write(|tx| fail(tx, &job.lease(), "no participants", &RunDetails::default(), T1))
            .unwrap()
            .unwrap();
        assert_eq!(failed.error.as_deref(), Some("no participants"));
        let run = db.read(|c| runs::get_for_job(c, &job.id)).unwrap().unwrap();
        assert_eq!(Some(&run.id), failed.run_id.as_ref());
        assert_eq!(run.status, RunStatus::Failed);
        assert_eq!(run.error.as_deref(), Some("no participants"));
        assert_eq!(run.config["count"], 2);
    }

    #[test]
    fn listing_is_newest_first_with_filters_and_counts() {
        let (_dir, db) = temp_db();
        let a = submit(&db, T0);
        let b = submit(&db, T1);
        let c = submit(&db, T1);
        claim(&db, "w1", LATER, T2).unwrap();
        let all = db
            .read(|conn| {
                list_entries(
                    conn,
                    &ListQuery {
                        status: None,
                        limit: 10,
                        offset: 0,
                    },
                )
            })
            .unwrap();
        let ids: Vec<_> = all.iter().map(|e| e.job.id.clone()).collect();
        assert_eq!(ids, vec![c.id.clone(), b.id.clone(), a.id.clone()]);
        let pending = db
            .read(|conn| {
                list_entries(
                    conn,
                    &ListQuery {
                        status: Some(JobStatus::Pending),
                        limit: 1,
                        offset: 1,
                    },
                )
            })
            .unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].job.id, b.id);
        assert_eq!(db.read(|conn| count(conn, Some(JobStatus::Pending))).unwrap(), 2);
        assert_eq!(db.read(|conn| count(conn, None)).unwrap(), 3);
        assert_eq!(
            db.read(|conn| count_unfinished_for_client(conn, "ip:127.0.0.1"))
                .unwrap(),
            3
        );
    }
}
