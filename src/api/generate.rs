//! Generation jobs as the API sees them: checking a request, creating the job (with its
//! experiment) in one transaction, cancelling, and the job view.
//!
//! Checks happen in two stages, as in the API reference: the body's shape (types and ranges,
//! every bad field named: 422 `validation_error`), then what the values refer to (the data
//! source, the provider, the experiment: 400 `invalid_input`).

use super::error::ApiError;
use super::read_cache::JobStamp;
use super::state::{AppState, DataDir};
use crate::config::Settings;
use crate::domain::IdKind;
use crate::domain::Persona;
use crate::domain::time::now_rfc3339;
use crate::error::{Error, FieldError, Result};
use crate::store::Db;
use crate::store::experiments;
use crate::store::jobs::{self as job_store, Job, JobEntry, JobRequest, JobStatus, NewJob};
use crate::store::personas;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Personas per job.
pub const MIN_COUNT: u64 = 1;
pub const MAX_COUNT: u64 = 20;

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

/// Which experiment a job joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExperimentChoice {
    /// The experiment named after the data source, created when needed.
    ForData,
    Id(String),
    Name(String),
    /// Both given: they must name the same experiment.
    IdAndName(String, String),
}

/// A generate request whose fields have the right types and ranges.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateRequest {
    pub data: String,
    pub count: u32,
    pub provider: String,
    pub model: Option<String>,
    pub config: Map<String, Value>,
    pub webhook_url: Option<String>,
    pub seed: Option<u64>,
    pub experiment: ExperimentChoice,
}

/// Longest `provider`, `model`, `experiment` and `experiment_id` value, in bytes. Stored fields
/// are repeated in every list response, so each one has a bound.
pub const MAX_SHORT_FIELD_BYTES: usize = 256;
/// Longest `data` value (a path or URL), in bytes.
pub const MAX_DATA_FIELD_BYTES: usize = 4096;
/// Largest `config` object, in bytes of compact JSON.
pub const MAX_CONFIG_BYTES: usize = 16 * 1024;

/// Checks the body's fields (422 naming every bad one). `null` counts as absent.
pub fn parse_generate_request(body: &Value, settings: &Settings) -> Result<GenerateRequest> {
    let Some(object) = body.as_object() else {
        return Err(Error::Validation {
            message: "body: must be a JSON object".into(),
            fields: vec![FieldError::new("body", "must be a JSON object")],
        });
    };
    let mut fields = Vec::new();
    let mut bad = |field: &str, message: &str| fields.push(FieldError::new(field, message));
    let present = |key: &str| object.get(key).filter(|v| !v.is_null());
    let optional_string = |key: &str, bad: &mut dyn FnMut(&str, &str)| match present(key) {
        None => None,
        Some(Value::String(s)) if s.trim().len() > MAX_SHORT_FIELD_BYTES && key != "webhook_url" => {
            bad(key, &format!("must be at most {MAX_SHORT_FIELD_BYTES} bytes"));
            None
        }
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::String(_)) => {
            bad(key, "must not be empty");
            None
        }
        Some(_) => {
            bad(key, "must be a string");
            None
        }
    };

    let data = match present("data") {
        None => {
            bad("data", "is required");
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            bad("data", "must not be empty");
            None
        }
        Some(Value::String(s)) if s.trim().len() > MAX_DATA_FIELD_BYTES => {
            bad("data", &format!("must be at most {MAX_DATA_FIELD_BYTES} bytes"));
            None
        }
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => {
            bad("data", "must be a string (a path or URL)");
            None
        }
    };
    let count = match present("count") {
        None => Some(settings.generation.count as u32),
        Some(v) => match integer(v) {
            Some(n) if (MIN_COUNT as i128..=MAX_COUNT as i128).contains(&n) => Some(n as u32),
            Some(_) => {
                bad("count", "must be between 1 and 20");
                None
            }
            None => {
                bad("count", "must be an integer between 1 and 20");
                None
            }
        },
    };
    let provider = optional_string("provider", &mut bad);
    let model = optional_string("model", &mut bad);
    let config = match present("config") {
        None => Map::new(),
        Some(Value::Object(map)) if json_len(map) > MAX_CONFIG_BYTES => {
            bad("config", &format!("must be at most {MAX_CONFIG_BYTES} bytes of JSON"));
            Map::new()
        }
        Some(Value::Object(map)) => {
            // Unknown or malformed options are refused rather than stored and ignored.
            for f in crate::generate::options::check(map) {
                bad(&f.field, &f.message);
            }
            map.clone()
        }
        Some(_) => {
            bad("config", "must be an object");
            Map::new()
        }
    };
    let webhook_url = match optional_string("webhook_url", &mut bad) {
        Some(url) => match crate::net::check_url(&url, settings.webhooks.allow_private_targets) {
            Ok(parsed) => Some(parsed.to_string()),
            Err(reason) => {
                bad(
                    "webhook_url",
                    &format!("must be an absolute public http(s) URL: {reason}"),
                );
                None
            }
        },
        None => None,
    };
    let seed = match present("seed") {
        None => None,
        Some(v) => match integer(v).and_then(|n| u64::try_from(n).ok()) {
            Some(n) => Some(n),
            None => {
                bad("seed", "must be an integer from 0 to 18446744073709551615");
                None
            }
        },
    };
    let experiment_id = optional_string("experiment_id", &mut bad);
    let experiment_name = optional_string("experiment", &mut bad);

    if !fields.is_empty() {
        let message = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Error::Validation { message, fields });
    }
    let experiment = match (experiment_id, experiment_name) {
        (None, None) => ExperimentChoice::ForData,
        (Some(id), None) => ExperimentChoice::Id(id),
        (None, Some(name)) => ExperimentChoice::Name(name),
        (Some(id), Some(name)) => ExperimentChoice::IdAndName(id, name),
    };
    Ok(GenerateRequest {
        data: data.unwrap_or_default(),
        count: count.unwrap_or(3),
        provider: provider.unwrap_or_else(|| settings.generation.provider.clone()),
        model,
        config,
        webhook_url,
        seed,
        experiment,
    })
}

/// Length of a value's compact JSON, counted without building the string.
pub fn json_len(value: &impl Serialize) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// A JSON number with an integral value (JSON Schema counts `3.0` as an integer).
fn integer(value: &Value) -> Option<i128> {
    if let Some(n) = value.as_u64() {
        return Some(i128::from(n));
    }
    if let Some(n) = value.as_i64() {
        return Some(i128::from(n));
    }
    value
        .as_f64()
        .filter(|f| f.fract() == 0.0 && f.abs() < 1e18)
        .map(|f| f as i128)
}

fn is_url(data: &str) -> bool {
    let lower = data.get(..8).unwrap_or(data).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Resolves a request's `data` into the job's data source: an http(s) URL (checked now, fetched
/// by the worker), an uploaded dataset (`dataset-…`: its stored file) or the canonical path of a
/// file or folder inside the data directory. Every kind
/// of data source is resolved here.
pub fn resolve_data_source(data: &str, data_dir: &DataDir, settings: &Settings) -> Result<String> {
    if is_url(data) {
        return crate::net::check_url(data, settings.fetch.allow_private_targets)
            .map(|url| url.to_string())
            .map_err(|reason| Error::InvalidInput {
                message: format!("data URL {data:?} cannot be fetched: {reason}"),
                details: serde_json::json!({"field": "data", "data": data}),
            });
    }
    let path = if data.starts_with(IdKind::Dataset.prefix()) {
        super::datasets::dataset_path(data_dir.canonical(), data)?
    } else {
        data_dir.resolve_request_path(data)?
    };
    path.to_str().map(str::to_string).ok_or_else(|| Error::InvalidInput {
        message: format!("data path {data:?} is not valid UTF-8 once resolved"),
        details: serde_json::json!({"field": "data", "data": data}),
    })
}

/// What [`submit_job`] did.
#[derive(Debug, Clone)]
pub enum Submission {
    Created(Box<JobEntry>),
    /// The client already has `unfinished` pending or running jobs (the limit is `limit`).
    TooManyJobs {
        unfinished: u64,
        limit: u32,
    },
}

/// Creates a job: resolves the provider and data source (400 naming them), then in one IMMEDIATE
/// transaction checks the client's concurrent-jobs limit, finds or creates the experiment and
/// inserts the job. Blocking: call it off the async executor.
pub fn submit_job(
    db: &Db,
    settings: &Settings,
    data_dir: &DataDir,
    request: GenerateRequest,
    client_key: String,
    max_concurrent_jobs: Option<u32>,
) -> Result<Submission> {
    let prepared = prepare_job(settings, data_dir, request, client_key, max_concurrent_jobs)?;
    db.write(move |tx| insert_job(tx, &prepared))
}

/// A job request whose provider and data source are resolved, ready to be inserted.
#[derive(Debug, Clone)]
pub struct PreparedJob {
    request: GenerateRequest,
    job_request: JobRequest,
    data_source: String,
    client_key: String,
    max_concurrent_jobs: Option<u32>,
}

/// The checks of [`submit_job`] that need no transaction (400 naming the provider or data).
pub fn prepare_job(
    settings: &Settings,
    data_dir: &DataDir,
    request: GenerateRequest,
    client_key: String,
    max_concurrent_jobs: Option<u32>,
) -> Result<PreparedJob> {
    let provider = crate::generate::providers::resolve(&request.provider, settings)?;
    crate::generate::providers::fallback_option(&request.config, settings)?;
    let data_source = resolve_data_source(&request.data, data_dir, settings)?;
    let job_request = JobRequest {
        data: request.data.clone(),
        count: request.count,
        provider: provider.name().to_string(),
        model: request.model.clone(),
        config: request.config.clone(),
        webhook_url: request.webhook_url.clone(),
        // The seed in force now, so that the job and its run record the one actually used.
        seed: Some(request.seed.unwrap_or(settings.generation.seed)),
    };
    Ok(PreparedJob {
        request,
        job_request,
        data_source,
        client_key,
        max_concurrent_jobs,
    })
}

/// The transaction part of [`submit_job`]: the concurrent-jobs limit, the experiment, the job row.
pub fn insert_job(tx: &rusqlite::Transaction<'_>, prepared: &PreparedJob) -> Result<Submission> {
    let PreparedJob {
        request,
        job_request,
        data_source,
        client_key,
        max_concurrent_jobs,
    } = prepared;
    if let Some(limit) = *max_concurrent_jobs {
        let unfinished = job_store::count_unfinished_for_client(tx, client_key)?;
        if unfinished >= u64::from(limit) {
            return Ok(Submission::TooManyJobs { unfinished, limit });
        }
    }
    let now = now_rfc3339();
    let experiment = match &request.experiment {
        ExperimentChoice::ForData => experiments::find_or_create_for_data(tx, &request.data, &request.data, &now)?,
        ExperimentChoice::Id(id) => experiments::get(tx, id)?.ok_or_else(|| unknown_experiment("experiment_id", id))?,
        ExperimentChoice::Name(name) => {
            experiments::get_by_name(tx, name)?.ok_or_else(|| unknown_experiment("experiment", name))?
        }
        ExperimentChoice::IdAndName(id, name) => {
            let found = experiments::get(tx, id)?.ok_or_else(|| unknown_experiment("experiment_id", id))?;
            if found.name != *name {
                return Err(Error::InvalidInput {
                    message: format!("experiment_id {id:?} and experiment {name:?} name different experiments"),
                    details: serde_json::json!({"field": "experiment", "experiment_id": id, "experiment": name}),
                });
            }
            found
        }
    };
    let job = job_store::insert(
        tx,
        &NewJob {
            id: IdKind::Job.new_id(),
            experiment_id: experiment.id,
            request: job_request.clone(),
            data_source: data_source.clone(),
            client_key: client_key.clone(),
        },
        &now,
    )?;
    Ok(Submission::Created(Box::new(JobEntry { job, run: None })))
}

fn unknown_experiment(field: &str, value: &str) -> Error {
    Error::InvalidInput {
        message: format!("unknown experiment {value:?} ({field})"),
        details: serde_json::json!({"field": field, field: value}),
    }
}

/// The key the concurrent-jobs limit counts by: the token's hash for authenticated clients, else
/// the client's IP address.
pub fn client_key(token_key: Option<&str>, peer: Option<std::net::IpAddr>) -> String {
    match (token_key, peer) {
        (Some(key), _) => key.to_string(),
        (None, Some(ip)) => format!("ip:{ip}"),
        (None, None) => "ip:unknown".into(),
    }
}

/// Result of [`cancel_job`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellation {
    /// A pending job, cancelled at once.
    Cancelled,
    /// A running job, asked to stop at its next step.
    Requested,
}

/// Cancels a pending job or asks a running one to stop; 404 for an unknown job, 409 for one that
/// has already ended. Blocking.
pub fn cancel_job(db: &Db, job_id: &str) -> Result<Cancellation> {
    let job_id = job_id.to_string();
    db.write(move |tx| {
        let job = job_store::get(tx, &job_id)?.ok_or_else(|| Error::NotFound {
            resource: "job",
            id: job_id.clone(),
        })?;
        let now = now_rfc3339();
        let outcome = match job.status {
            JobStatus::Pending => {
                job_store::cancel_pending(tx, &job_id, &now)?;
                Cancellation::Cancelled
            }
            JobStatus::Running => {
                job_store::request_cancel(tx, &job_id, &now)?;
                Cancellation::Requested
            }
            ended => {
                return Err(Error::Conflict(format!(
                    "job {job_id} has already ended ({}); only pending or running jobs can be cancelled",
                    ended.as_str()
                )));
            }
        };
        Ok(outcome)
    })
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

/// Builds a job's view; with `with_personas`, a completed job's result lists its personas
/// (read from `conn`), otherwise only their count.
pub fn job_view(conn: &rusqlite::Connection, entry: JobEntry, with_personas: bool) -> Result<JobView> {
    let JobEntry { job, run } = entry;
    let result = match (&run, job.status) {
        (Some(run), JobStatus::Completed) => Some(JobResult {
            personas: if with_personas {
                Some(personas::list_raw_for_run(conn, &run.run_id)?)
            } else {
                None
            },
            personas_count: run.personas_count,
            experiment_id: job.experiment_id.clone(),
            run_id: run.run_id.clone(),
            output_path: run.output_path.clone(),
        }),
        _ => None,
    };
    Ok(JobView {
        result,
        ..JobView::snapshot(job)
    })
}

/// Reads one job's full view (with personas); 404 when unknown. Blocking.
pub fn read_job_view(db: &Db, job_id: &str) -> Result<JobView> {
    read_job_view_stamped(db, job_id).map(|(view, _)| view)
}

/// [`read_job_view`] with the stamp of the row it was built from, for the read cache. Blocking.
pub fn read_job_view_stamped(db: &Db, job_id: &str) -> Result<(JobView, JobStamp)> {
    db.read(|conn| {
        let entry = job_store::get_entry(conn, job_id)?.ok_or_else(|| Error::NotFound {
            resource: "job",
            id: job_id.to_string(),
        })?;
        let stamp = JobStamp::of(&entry.job);
        Ok((job_view(conn, entry, true)?, stamp))
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<GenerateRequest> {
        parse_generate_request(&body, &Settings::default())
    }

    fn bad_fields(body: Value) -> Vec<String> {
        match parse(body).unwrap_err() {
            Error::Validation { fields, .. } => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_fill_absent_and_null_fields() {
        let request = parse(json!({"data": " interviews.csv ", "model": null})).unwrap();
        assert_eq!(request.data, "interviews.csv");
        assert_eq!((request.count, request.provider.as_str()), (3, "local"));
        assert_eq!(request.model, None);
        assert_eq!(request.experiment, ExperimentChoice::ForData);
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(
            bad_fields(json!({"count": 0, "provider": 5, "config": [], "seed": -1, "webhook_url": "ftp://x"})),
            vec!["data", "count", "provider", "config", "webhook_url", "seed"]
        );
        assert_eq!(bad_fields(json!({"data": "a", "count": 21})), vec!["count"]);
        assert_eq!(bad_fields(json!({"data": "a", "count": "3"})), vec!["count"]);
        assert_eq!(bad_fields(json!({"data": "a", "count": 2.5})), vec!["count"]);
        assert_eq!(bad_fields(json!({"data": "a", "count": -1})), vec!["count"]);
        assert_eq!(parse(json!({"data": "a", "count": 4.0, "seed": 7.0})).unwrap().count, 4);
        assert_eq!(bad_fields(json!({"data": ""})), vec!["data"]);
        assert_eq!(bad_fields(json!({"data": 7})), vec!["data"]);
        assert_eq!(bad_fields(json!([1, 2])), vec!["body"]);
        assert_eq!(
            bad_fields(json!({"data": "a", "webhook_url": "http://127.0.0.1/hook"})),
            vec!["webhook_url"]
        );
    }

    #[test]
    fn experiments_are_chosen_by_id_name_or_both() {
        let request = parse(json!({"data": "a", "experiment_id": "exp-1", "experiment": "n"})).unwrap();
        assert_eq!(
            request.experiment,
            ExperimentChoice::IdAndName("exp-1".into(), "n".into())
        );
        assert_eq!(
            parse(json!({"data": "a", "experiment": "n"})).unwrap().experiment,
            ExperimentChoice::Name("n".into())
        );
    }

    #[test]
    fn client_keys_prefer_the_token() {
        let ip = "10.1.2.3".parse().ok();
        assert_eq!(client_key(Some("token:ab"), ip), "token:ab");
        assert_eq!(client_key(None, ip), "ip:10.1.2.3");
    }
}
