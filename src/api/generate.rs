//! Generation jobs as the API answers them: the documented request body, the answer to a new
//! job, and creating a job for an HTTP client (its concurrent-jobs limit as a 429).

use super::error::ApiError;
use super::state::AppState;
use crate::domain::jobs::JobStatus;
use crate::service::jobs::{GenerateRequest, JobEntry, Submission, client_key};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// The body of `POST /api/v1/generate` (documentation schema; bodies are checked by hand so that
/// every bad field is named).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct GenerateBody {
    /// A path under the server's data directory, or an http(s) URL the worker downloads.
    #[schema(min_length = 1, example = "interviews.csv")]
    pub data: String,
    /// Personas to generate (default 3).
    #[schema(minimum = 1, maximum = 20, example = 3)]
    pub count: Option<u32>,
    /// `local` (default), `openai`, `anthropic`, `gemini` or `ollama`.
    #[schema(min_length = 1)]
    pub provider: Option<String>,
    /// Model identifier; the provider's configured default when absent.
    #[schema(min_length = 1)]
    pub model: Option<String>,
    /// Generation options, passed to the pipeline.
    #[schema(value_type = Option<Object>)]
    pub config: Option<Value>,
    /// Absolute http(s) URL notified when the job completes or fails.
    #[schema(format = "uri", pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+")]
    pub webhook_url: Option<String>,
    /// Random seed (the configured default when absent).
    #[schema(minimum = 0)]
    pub seed: Option<u64>,
    /// An existing experiment to add the run to.
    #[schema(min_length = 1)]
    pub experiment_id: Option<String>,
    /// An existing experiment, by name.
    #[schema(min_length = 1)]
    pub experiment: Option<String>,
}

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
