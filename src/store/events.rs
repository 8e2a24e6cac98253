//! The `job_events` table: each state change and progress step of a job, appended by the job
//! transitions (`store::jobs`) in the transaction that makes the change, and read by the
//! Server-Sent Events endpoint.

use crate::domain::jobs::{Job, JobStatus, JobView};
use crate::error::Result;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// What happened to the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The job's status changed to its current one (pending, running or a terminal status).
    Status,
    /// A running job's progress rose.
    Progress,
    /// Cancellation of the running job was requested.
    CancelRequested,
}

/// One stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct JobEvent {
    pub id: i64,
    pub job_id: String,
    pub event: String,
    pub status: JobStatus,
    pub progress: u8,
    /// The job view at that moment (see [`JobView::snapshot`]).
    pub data: serde_json::Value,
    pub created_at: String,
}

impl JobEvent {
    pub fn is_terminal(&self) -> bool {
        self.event == self.status.as_str() && self.status.is_terminal()
    }
}

/// Appends an event for `job` as it is now (after the change), in the caller's transaction.
pub fn append(tx: &Transaction<'_>, job: &Job, kind: EventKind, now: &str) -> Result<()> {
    let event = match kind {
        EventKind::Status => job.status.as_str(),
        EventKind::Progress => "progress",
        EventKind::CancelRequested => "cancel_requested",
    };
    // The snapshot is the same JSON the API returns for the job at this moment.
    let data = serde_json::to_string(&JobView::snapshot(job.clone()))?;
    tx.prepare_cached(
        "INSERT INTO job_events (job_id, event, status, progress, data, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        job.id,
        event,
        job.status.as_str(),
        i64::from(job.progress),
        data,
        now
    ])?;
    Ok(())
}

/// Appends a `message` event for `job`: what the pipeline is doing now (for example "persona 2
/// of 5: asking openai/…"), carried in the job view's `message` field.
pub fn append_message(tx: &Transaction<'_>, job: &Job, message: &str, now: &str) -> Result<()> {
    let mut data = serde_json::to_value(JobView::snapshot(job.clone()))?;
    if let Some(object) = data.as_object_mut() {
        object.insert("message".into(), serde_json::Value::String(message.to_string()));
    }
    tx.prepare_cached(
        "INSERT INTO job_events (job_id, event, status, progress, data, created_at) VALUES (?1, 'message', ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        job.id,
        job.status.as_str(),
        i64::from(job.progress),
        data.to_string(),
        now
    ])?;
    Ok(())
}

/// A job's events after event `after` (0: from the start), oldest first, at most `limit`.
pub fn list_after(conn: &Connection, job_id: &str, after: i64, limit: u32) -> Result<Vec<JobEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, job_id, event, status, progress, data, created_at FROM job_events
         WHERE job_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    )?;
    let mut rows = stmt.query(params![job_id, after, limit])?;
    let mut events = Vec::new();
    while let Some(row) = rows.next()? {
        let status: String = row.get(3)?;
        events.push(JobEvent {
            id: row.get(0)?,
            job_id: row.get(1)?,
            event: row.get(2)?,
            status: JobStatus::parse(&status)
                .ok_or_else(|| crate::error::Error::Internal(format!("unknown job status {status:?}")))?,
            progress: row.get::<_, i64>(4)?.clamp(0, 100) as u8,
            data: super::parse_json("job_events.data", &row.get::<_, String>(5)?)?,
            created_at: row.get(6)?,
        });
    }
    Ok(events)
}

/// The id of the job's terminal event, once it has one.
pub fn terminal_event_id(conn: &Connection, job_id: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT MAX(id) FROM job_events WHERE job_id = ?1 AND event IN ('completed', 'failed', 'cancelled')",
        )?
        .query_row([job_id], |row| row.get::<_, Option<i64>>(0))
        .optional()?
        .flatten())
}
