//! A generation job: its status and the transitions between them, the request it was created
//! from, the stored row, and the job view (the JSON the API returns and each stored job event
//! holds as its snapshot).

use crate::domain::Persona;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A job's state: `pending` → `running` → `completed` | `failed` | `cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Pending,
        JobStatus::Running,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|status| status.as_str() == s)
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled)
    }
}

/// What cancelling a job in a given status does (see [`JobStatus::on_cancel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellation {
    /// A pending job, cancelled at once.
    Cancelled,
    /// A running job, asked to stop at its next step.
    Requested,
}

impl JobStatus {
    /// The cancellation transition of a job in this status; `None` once it has ended.
    pub fn on_cancel(self) -> Option<Cancellation> {
        match self {
            JobStatus::Pending => Some(Cancellation::Cancelled),
            JobStatus::Running => Some(Cancellation::Requested),
            JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled => None,
        }
    }
}

/// The request a job was created from, as accepted (stored as JSON in `jobs.request`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRequest {
    /// The data source as the client gave it (path, URL or dataset id).
    pub data: String,
    pub count: u32,
    pub provider: String,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub config: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub webhook_url: Option<String>,
    #[serde(default)]
    pub seed: Option<u64>,
}

/// One row of `jobs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub experiment_id: String,
    pub status: JobStatus,
    pub progress: u8,
    pub request: JobRequest,
    /// Resolved data source: an absolute path under the data directory, or an http(s) URL.
    pub data_source: String,
    pub client_key: String,
    pub attempts: u32,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<String>,
    pub lease_epoch: i64,
    pub cancel_requested: bool,
    pub error: Option<String>,
    pub run_id: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub updated_at: String,
}

impl Job {
    /// The lease a worker holds after claiming this job.
    pub fn lease(&self) -> Lease {
        Lease {
            job_id: self.id.clone(),
            epoch: self.lease_epoch,
        }
    }
}

/// A worker's hold on a running job, valid while the job's `lease_epoch` is unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub job_id: String,
    pub epoch: i64,
}

/// The result of a completed job.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobResult {
    /// The personas, in order (left out of list items unless `include=result`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Persona>>)]
    pub personas: Option<Vec<Box<serde_json::value::RawValue>>>,
    pub personas_count: u64,
    pub experiment_id: String,
    pub run_id: String,
    /// The run's output folder.
    pub output_path: Option<String>,
}

/// A generation job.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    #[schema(example = "job-3f9c0a9be21d4e07")]
    pub job_id: String,
    pub status: JobStatus,
    /// 0–100; never goes down; 100 once completed.
    #[schema(minimum = 0, maximum = 100)]
    pub progress: u8,
    pub created_at: String,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub error: Option<String>,
    /// Present once the job has completed.
    pub result: Option<JobResult>,
    pub experiment_id: String,
    /// The job's run, from the moment a worker first starts it (or it is cancelled while
    /// pending); the same across retries.
    pub run_id: Option<String>,
    /// Times a worker has started this job.
    pub attempts: u32,
    /// The data source as submitted.
    pub data: String,
    pub provider: String,
    pub model: Option<String>,
    pub count: u32,
    /// True once cancellation of a running job has been requested.
    pub cancel_requested: bool,
}

impl JobView {
    /// The view of a job row as it is, without its result (which lives in the run and its
    /// personas): what the job's stored events hold.
    pub fn snapshot(job: Job) -> JobView {
        JobView {
            job_id: job.id,
            status: job.status,
            progress: job.progress,
            created_at: job.created_at,
            started_at: job.started_at,
            completed_at: job.completed_at,
            error: job.error,
            result: None,
            experiment_id: job.experiment_id,
            run_id: job.run_id,
            attempts: job.attempts,
            data: job.request.data,
            provider: job.request.provider,
            model: job.request.model,
            count: job.request.count,
            cancel_requested: job.cancel_requested,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_only_unfinished_jobs_can_be_cancelled() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
            assert_eq!(status.on_cancel().is_none(), status.is_terminal());
        }
        assert_eq!(JobStatus::Pending.on_cancel(), Some(Cancellation::Cancelled));
        assert_eq!(JobStatus::Running.on_cancel(), Some(Cancellation::Requested));
    }
}
