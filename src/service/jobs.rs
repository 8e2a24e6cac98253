//! Generation jobs: checking a request, creating the job (with its experiment) in one
//! transaction, cancelling, and the job view. What the API handlers, the UI and the tests call.
//!
//! Checks happen in two stages, as in the API reference: the body's shape (types and ranges,
//! every bad field named: 422 `validation_error`), then what the values refer to (the data
//! source, the provider, the experiment: 400 `invalid_input`).

use super::data_dir::DataDir;
use crate::config::Settings;
use crate::domain::IdKind;
use crate::domain::jobs::{Cancellation, Job, JobRequest, JobResult, JobStatus, JobView};
use crate::domain::time::now_rfc3339;
use crate::domain::values::{
    DataRef, FieldReader, GenerationConfig, PersonaCount, ProviderName, Seed, ShortText, WebhookUrl, nullable,
};
use crate::error::{Error, Result};
use crate::store::events;
pub use crate::store::events::JobEvent;
use crate::store::experiments;
use crate::store::jobs::{self as job_store, NewJob};
pub use crate::store::jobs::{JobEntry, ListQuery};
use crate::store::personas;
pub use crate::store::{Db, commits};
use serde_json::{Map, Value};
use utoipa::ToSchema;

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

/// The body of `POST /api/v1/generate`: what the parser reads, and (derived from the same types)
/// what the OpenAPI document shows. `null` counts as absent.
#[derive(Debug, Clone, PartialEq, ToSchema)]
pub struct GenerateBody {
    #[schema(inline)]
    pub data: DataRef,
    #[schema(schema_with = nullable::<PersonaCount>)]
    pub count: Option<PersonaCount>,
    #[schema(schema_with = nullable::<ProviderName>)]
    pub provider: Option<ProviderName>,
    /// Model identifier; the provider's configured default when absent.
    #[schema(schema_with = nullable::<ShortText>)]
    pub model: Option<ShortText>,
    #[schema(schema_with = config_schema)]
    pub config: Option<GenerationConfig>,
    #[schema(schema_with = nullable::<WebhookUrl>)]
    pub webhook_url: Option<WebhookUrl>,
    #[schema(schema_with = nullable::<Seed>)]
    pub seed: Option<Seed>,
    /// An existing experiment to add the run to, by id.
    #[schema(schema_with = nullable::<ShortText>)]
    pub experiment_id: Option<ShortText>,
    /// An existing experiment to add the run to, by name.
    #[schema(schema_with = nullable::<ShortText>)]
    pub experiment: Option<ShortText>,
}

/// The documented `config`: the generation options [`GenerationFields::read`] accepts, or `null`.
pub fn config_schema() -> utoipa::openapi::schema::Object {
    let mut schema = crate::generate::options::config_schema().build();
    schema.schema_type = utoipa::openapi::schema::SchemaType::Array(vec![
        utoipa::openapi::schema::Type::Object,
        utoipa::openapi::schema::Type::Null,
    ]);
    schema
}

/// The generation settings a body may give (`POST /api/v1/generate` and the overrides of an
/// experiment's generate), read in the body's field order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenerationFields {
    pub count: Option<PersonaCount>,
    pub provider: Option<ProviderName>,
    pub model: Option<ShortText>,
    pub config: Option<GenerationConfig>,
    pub webhook_url: Option<WebhookUrl>,
    pub seed: Option<Seed>,
}

impl GenerationFields {
    /// Reads the settings; a webhook URL to a private target is refused unless
    /// `allow_private_webhooks`.
    pub fn read(fields: &mut FieldReader, allow_private_webhooks: bool) -> GenerationFields {
        let count = fields.optional("count");
        let provider = fields.optional("provider");
        let model = fields.optional("model");
        let config = fields.optional::<GenerationConfig>("config");
        if let Some(GenerationConfig(options)) = &config {
            // Unknown or malformed options are refused rather than stored and ignored.
            for problem in crate::generate::options::check(options) {
                fields.reject(&problem.field, problem.message);
            }
        }
        let webhook_url = fields.optional::<WebhookUrl>("webhook_url").filter(|url| {
            url.check_target(allow_private_webhooks)
                .map_err(|message| fields.reject("webhook_url", message))
                .is_ok()
        });
        let seed = fields.optional("seed");
        GenerationFields {
            count,
            provider,
            model,
            config,
            webhook_url,
            seed,
        }
    }
}

/// Checks the body's fields (422 naming every bad one). `null` counts as absent.
pub fn parse_generate_request(body: &Value, settings: &Settings) -> Result<GenerateRequest> {
    read_generate_body(body.clone(), settings).map(|body| GenerateRequest::new(body, settings))
}

/// Reads a generate body field by field (422 naming every bad one).
pub fn read_generate_body(body: Value, settings: &Settings) -> Result<GenerateBody> {
    let mut fields = FieldReader::new(body)?;
    let data = fields.required::<DataRef>("data");
    let generation = GenerationFields::read(&mut fields, settings.webhooks.allow_private_targets);
    let experiment_id = fields.optional("experiment_id");
    let experiment = fields.optional("experiment");
    fields.finish()?;
    let GenerationFields {
        count,
        provider,
        model,
        config,
        webhook_url,
        seed,
    } = generation;
    Ok(GenerateBody {
        data: data.expect("a body without bad fields has its data"),
        count,
        provider,
        model,
        config,
        webhook_url,
        seed,
        experiment_id,
        experiment,
    })
}

impl GenerateRequest {
    /// The request of a checked body, with the configured defaults.
    pub fn new(body: GenerateBody, settings: &Settings) -> GenerateRequest {
        let experiment = match (body.experiment_id, body.experiment) {
            (None, None) => ExperimentChoice::ForData,
            (Some(id), None) => ExperimentChoice::Id(id.into_string()),
            (None, Some(name)) => ExperimentChoice::Name(name.into_string()),
            (Some(id), Some(name)) => ExperimentChoice::IdAndName(id.into_string(), name.into_string()),
        };
        GenerateRequest {
            data: body.data.into_string(),
            count: body.count.map_or(settings.generation.count as u32, PersonaCount::get),
            provider: body
                .provider
                .map_or_else(|| settings.generation.provider.clone(), ProviderName::into_string),
            model: body.model.map(ShortText::into_string),
            config: body.config.unwrap_or_default().0,
            webhook_url: body.webhook_url.map(WebhookUrl::into_string),
            seed: body.seed.map(|seed| seed.0),
            experiment,
        }
    }
}

/// Resolves a request's `data` into the job's data source: an http(s) URL (checked now, fetched
/// by the worker), an uploaded dataset (`dataset-…`: its stored file) or the canonical path of a
/// file or folder inside the data directory. Every kind
/// of data source is resolved here.
pub fn resolve_data_source(data: &str, data_dir: &DataDir, settings: &Settings) -> Result<String> {
    if crate::net::is_url(data) {
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

/// What [`submit`] did.
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
pub fn submit(
    db: &Db,
    settings: &Settings,
    data_dir: &DataDir,
    request: GenerateRequest,
    client_key: String,
    max_concurrent_jobs: Option<u32>,
) -> Result<Submission> {
    let prepared = prepare(settings, data_dir, request, client_key, max_concurrent_jobs)?;
    db.write(move |tx| insert(tx, &prepared))
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

/// The checks of [`submit`] that need no transaction (400 naming the provider or data).
pub fn prepare(
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

/// The transaction part of [`submit`]: the concurrent-jobs limit, the experiment, the job row.
pub fn insert(tx: &rusqlite::Transaction<'_>, prepared: &PreparedJob) -> Result<Submission> {
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

/// Cancels a pending job or asks a running one to stop; 404 for an unknown job, 409 for one that
/// has already ended. Blocking.
pub fn cancel(db: &Db, job_id: &str) -> Result<Cancellation> {
    let job_id = job_id.to_string();
    db.write(move |tx| {
        let job = job_store::get(tx, &job_id)?.ok_or_else(|| Error::NotFound {
            resource: "job",
            id: job_id.clone(),
        })?;
        let now = now_rfc3339();
        let outcome = job.status.on_cancel().ok_or_else(|| {
            Error::Conflict(format!(
                "job {job_id} has already ended ({}); only pending or running jobs can be cancelled",
                job.status.as_str()
            ))
        })?;
        match outcome {
            Cancellation::Cancelled => {
                job_store::cancel_pending(tx, &job_id, &now)?;
            }
            Cancellation::Requested => {
                job_store::request_cancel(tx, &job_id, &now)?;
            }
        }
        Ok(outcome)
    })
}

/// Builds a job's view; with `with_personas`, a completed job's result lists its personas
/// (read from `conn`), otherwise only their count.
pub fn view(conn: &rusqlite::Connection, entry: JobEntry, with_personas: bool) -> Result<JobView> {
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
pub fn read_view(db: &Db, job_id: &str) -> Result<JobView> {
    read_view_stamped(db, job_id, |_| ()).map(|(view, ())| view)
}

/// [`read_view`] with `stamp` taken of the row it was built from (the read cache's freshness
/// check), in the same read. Blocking.
pub fn read_view_stamped<S>(db: &Db, job_id: &str, stamp: impl FnOnce(&Job) -> S) -> Result<(JobView, S)> {
    db.read(|conn| {
        let entry = job_store::get_entry(conn, job_id)?.ok_or_else(|| Error::NotFound {
            resource: "job",
            id: job_id.to_string(),
        })?;
        let stamp = stamp(&entry.job);
        Ok((view(conn, entry, true)?, stamp))
    })
}

/// Ok when job `job_id` exists, else 404. Blocking.
pub fn ensure_exists(db: &Db, job_id: &str) -> Result<()> {
    db.read(|conn| job_store::get(conn, job_id))?
        .map(|_| ())
        .ok_or_else(|| Error::NotFound {
            resource: "job",
            id: job_id.to_string(),
        })
}

/// The jobs matching `query` (newest first) as views, and how many match over all pages; with
/// `with_personas`, completed jobs carry their personas.
pub fn list(conn: &rusqlite::Connection, query: &ListQuery, with_personas: bool) -> Result<(u64, Vec<JobView>)> {
    let total = job_store::count(conn, query.status)?;
    let views = job_store::list_entries(conn, query)?
        .into_iter()
        .map(|entry| view(conn, entry, with_personas))
        .collect::<Result<Vec<_>>>()?;
    Ok((total, views))
}

/// What one look at a job's stored events found (see [`events_after`]).
pub struct EventBatch {
    pub events: Vec<JobEvent>,
    /// The view of the completed job (with its personas), when the batch ends with completion.
    pub completed_view: Option<JobView>,
    /// The job has ended but has no stored terminal event (it ended before events were kept):
    /// its current view ends the stream.
    pub legacy_end: Option<JobView>,
    /// The client has already seen the terminal event.
    pub already_ended: bool,
}

/// A job's stored events after event `after` (at most `limit`), with what the event stream
/// needs to end: the completed job's full view, or the view of a job that ended before events
/// were kept. Blocking.
pub fn events_after(db: &Db, job_id: &str, after: i64, limit: u32) -> Result<EventBatch> {
    let (events, terminal) = db.read(|conn| {
        Ok((
            events::list_after(conn, job_id, after, limit)?,
            events::terminal_event_id(conn, job_id)?,
        ))
    })?;
    let already_ended = terminal.is_some_and(|id| id <= after);
    let completed_view = match events.last() {
        Some(last) if last.is_terminal() && last.event == "completed" => Some(read_view(db, job_id)?),
        _ => None,
    };
    let legacy_end = if events.is_empty() && terminal.is_none() {
        let view = read_view(db, job_id)?;
        view.status.is_terminal().then_some(view)
    } else {
        None
    };
    Ok(EventBatch {
        events,
        completed_view,
        legacy_end,
        already_ended,
    })
}

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
