//! Generation jobs as the API answers them: the answer to a new job, and creating a job for an
//! HTTP client (its concurrent-jobs limit as a 429).

use super::error::ApiError;
use super::state::AppState;
use crate::domain::jobs::JobStatus;
use crate::service::jobs::{GenerateRequest, JobEntry, Submission, client_key};
use serde::Serialize;
use utoipa::ToSchema;

/// The answer to `POST /api/v1/generate`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobCreated {
    pub job_id: String,
    pub status: JobStatus,
    pub message: String,
    /// Where to poll the job.
    pub status_url: String,
    pub experiment_id: String,
}

impl JobCreated {
    pub fn new(entry: &JobEntry) -> JobCreated {
        JobCreated {
            job_id: entry.job.id.clone(),
            status: entry.job.status,
            message: "Generation job created successfully".into(),
            status_url: format!("/api/v1/generate/{}", entry.job.id),
            experiment_id: entry.job.experiment_id.clone(),
        }
    }
}

/// Creates a job from a checked request for the client of `state`: the shared path of every
/// endpoint that starts a generation. 429 when the client has too many unfinished jobs.
pub async fn create_job(
    state: &AppState,
    request: GenerateRequest,
    peer: Option<std::net::IpAddr>,
) -> std::result::Result<JobEntry, ApiError> {
    let live = state.live.current();
    let key = client_key(live.token_key.as_deref(), peer);
    let limit = live.rate_limit.enabled.then_some(live.rate_limit.max_concurrent_jobs);
    let submission = state.job_writer.submit(request, key, limit).await?;
    match submission {
        Submission::Created(entry) => {
            state.notifier.job_submitted();
            Ok(*entry)
        }
        Submission::TooManyJobs { unfinished, limit } => Err(ApiError::rate_limited(
            format!(
                "too many unfinished jobs: {unfinished} pending or running (limit {limit}); \
                 retry when one has finished"
            ),
            RETRY_AFTER_TOO_MANY_JOBS,
        )
        .with_details(serde_json::json!({
            "retry_after": RETRY_AFTER_TOO_MANY_JOBS,
            "unfinished_jobs": unfinished,
            "max_concurrent_jobs": limit,
        }))),
    }
}

/// Suggested wait when a client has too many unfinished jobs, in seconds.
const RETRY_AFTER_TOO_MANY_JOBS: u64 = 5;
