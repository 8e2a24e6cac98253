//! Experiments as the API sees them: checking a new experiment, its views, turning it into a
//! generation request, and deleting it (optionally with its output folders).

use super::generate::{GenerateRequest, parse_generate_request, resolve_data_source};
use super::state::DataDir;
use crate::config::Settings;
use crate::domain::Persona;
use crate::domain::time::now_rfc3339;
use crate::error::{Error, FieldError, Result};
use crate::store::Db;
use crate::store::experiments::{self, Deleted, ExperimentSummary, NewExperiment};
use crate::store::personas;
use crate::store::runs::{self, Run, RunStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::Path;
use utoipa::ToSchema;

/// Longest experiment name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest experiment description, in bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 10_000;
/// Most `data_sources` of one experiment.
pub const MAX_DATA_SOURCES: usize = 100;

/// The body of `POST /api/v1/experiments` (documentation schema; checked by hand so that every
/// bad field is named).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CreateExperimentBody {
    /// Unique name.
    #[schema(min_length = 1, max_length = 200, example = "onboarding-study")]
    pub name: String,
    pub description: Option<String>,
    /// Data sources: paths under the data directory, http(s) URLs or `dataset-…` ids.
    #[schema(example = json!(["interviews.csv"]))]
    pub data_sources: Option<Vec<String>>,
    /// Default generation settings: `provider`, `model`, `persona_count` (1–20), `seed`, and any
    /// other generation option (passed to the pipeline as the job's `config`).
    #[schema(value_type = Option<Object>, example = json!({"provider": "local", "persona_count": 3}))]
    pub config: Option<Value>,
}

/// An experiment with its run count and status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExperimentView {
    #[schema(example = "exp-8b1f0c2d3e4a5b6c")]
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub data_sources: Vec<String>,
    #[schema(value_type = Object)]
    pub config: Value,
    /// `created` (no job yet), `running` (a job is pending or running), else the status of the
    /// latest run: `completed`, `failed` or `cancelled`.
    #[schema(example = "created")]
    pub status: String,
    pub run_count: u64,
    /// When the latest run ended (or started, while it runs).
    pub last_run_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<ExperimentSummary> for ExperimentView {
    fn from(summary: ExperimentSummary) -> ExperimentView {
        let e = summary.experiment;
        ExperimentView {
            id: e.id,
            name: e.name,
            description: e.description,
            data_sources: e.data_sources,
            config: e.config,
            status: summary.status,
            run_count: summary.run_count,
            last_run_at: summary.last_run_at,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// One run, summarised (experiment views and run lists).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunSummaryView {
    #[schema(example = "run-5d6e7f8091a2b3c4")]
    pub run_id: String,
    pub job_id: Option<String>,
    pub status: RunStatus,
    pub provider: String,
    pub model: Option<String>,
    pub personas_count: u64,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub duration_ms: Option<u64>,
    pub error: Option<String>,
}

impl From<&Run> for RunSummaryView {
    fn from(run: &Run) -> RunSummaryView {
        RunSummaryView {
            run_id: run.id.clone(),
            job_id: run.job_id.clone(),
            status: run.status,
            provider: run.provider.clone(),
            model: run.model.clone(),
            personas_count: run.personas_count,
            started_at: run.started_at.clone(),
            completed_at: run.completed_at.clone(),
            duration_ms: run.duration_ms,
            error: run.error.clone(),
        }
    }
}

/// An experiment with a summary of each of its runs, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExperimentDetail {
    #[serde(flatten)]
    pub experiment: ExperimentView,
    pub runs: Vec<RunSummaryView>,
}

/// Token usage of a run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageView {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Everything recorded about one run, with its personas.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunDetailView {
    #[serde(flatten)]
    pub summary: RunSummaryView,
    pub experiment_id: String,
    /// The settings used: `count`, `seed`, `provider`, `model`, `options`.
    #[schema(value_type = Object)]
    pub config: Value,
    /// Input files read, each with its size and sha256.
    #[schema(value_type = Vec<Object>)]
    pub source_files: Value,
    /// Files left out, with the reason.
    #[schema(value_type = Vec<Object>)]
    pub skipped_files: Value,
    pub warnings: Vec<String>,
    pub usage: UsageView,
    pub output_path: Option<String>,
    /// The run's metadata as written to its output folder (timings, grounding, quality summary).
    #[schema(value_type = Object)]
    pub metadata: Value,
    #[schema(value_type = Vec<Persona>)]
    pub personas: Vec<Box<serde_json::value::RawValue>>,
}

/// The answer to deleting an experiment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExperimentDeleted {
    pub success: bool,
    pub message: String,
    pub deleted: DeletedCounts,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeletedCounts {
    pub jobs: u64,
    pub runs: u64,
    pub personas: u64,
    /// Output folders removed from disk (only with `delete_outputs=true`).
    pub output_folders: u64,
}

fn validation(fields: Vec<FieldError>) -> Error {
    let message = fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ");
    Error::Validation { message, fields }
}

/// The generation settings an experiment's `config` may hold, with their checks. Other keys are
/// generation options.
const CONFIG_FIELDS: [&str; 4] = ["provider", "model", "persona_count", "seed"];

/// Checks a new experiment: field types and ranges (422 naming every bad field), then what its
/// sources and provider refer to (400, as for a generate request). Blocking (file system).
pub fn parse_new_experiment(body: &Value, settings: &Settings, data_dir: &DataDir) -> Result<NewExperiment> {
    let Some(object) = body.as_object() else {
        return Err(validation(vec![FieldError::new("body", "must be a JSON object")]));
    };
    let mut fields = Vec::new();
    let present = |key: &str| object.get(key).filter(|v| !v.is_null());
    let name = match present("name") {
        None => {
            fields.push(FieldError::new("name", "is required"));
            String::new()
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            fields.push(FieldError::new("name", "must not be empty"));
            String::new()
        }
        Some(Value::String(s)) if s.trim().chars().count() > MAX_NAME_CHARS => {
            fields.push(FieldError::new(
                "name",
                format!("must be at most {MAX_NAME_CHARS} characters"),
            ));
            String::new()
        }
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => {
            fields.push(FieldError::new("name", "must be a string"));
            String::new()
        }
    };
    let description = match present("description") {
        None => None,
        Some(Value::String(s)) if s.len() > MAX_DESCRIPTION_BYTES => {
            fields.push(FieldError::new(
                "description",
                format!("must be at most {MAX_DESCRIPTION_BYTES} bytes"),
            ));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            fields.push(FieldError::new("description", "must be a string"));
            None
        }
    };
    let data_sources = match present("data_sources") {
        None => Vec::new(),
        Some(Value::Array(items)) if items.len() > MAX_DATA_SOURCES => {
            fields.push(FieldError::new(
                "data_sources",
                format!("must list at most {MAX_DATA_SOURCES} sources"),
            ));
            Vec::new()
        }
        Some(Value::Array(items)) => {
            let mut sources = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item.as_str().map(str::trim) {
                    Some(s) if s.len() > crate::api::generate::MAX_DATA_FIELD_BYTES => fields.push(FieldError::new(
                        format!("data_sources[{i}]"),
                        format!("must be at most {} bytes", crate::api::generate::MAX_DATA_FIELD_BYTES),
                    )),
                    Some(s) if !s.is_empty() => sources.push(s.to_string()),
                    _ => fields.push(FieldError::new(
                        format!("data_sources[{i}]"),
                        "must be a non-empty string",
                    )),
                }
            }
            sources
        }
        Some(_) => {
            fields.push(FieldError::new("data_sources", "must be an array of strings"));
            Vec::new()
        }
    };
    let config = match present("config") {
        None => Map::new(),
        Some(Value::Object(map)) if crate::api::generate::json_len(map) > crate::api::generate::MAX_CONFIG_BYTES => {
            fields.push(FieldError::new(
                "config",
                format!(
                    "must be at most {} bytes of JSON",
                    crate::api::generate::MAX_CONFIG_BYTES
                ),
            ));
            Map::new()
        }
        Some(Value::Object(map)) => map.clone(),
        Some(_) => {
            fields.push(FieldError::new("config", "must be an object"));
            Map::new()
        }
    };
    // The generation settings are checked exactly as a generate request checks them.
    if !config.is_empty() {
        let probe = generation_body(&config, "probe", &Map::new());
        if let Err(Error::Validation { fields: bad, .. }) = parse_generate_request(&probe, settings) {
            fields.extend(
                bad.into_iter()
                    .map(|f| FieldError::new(format!("config.{}", config_key(&f.field)), f.message)),
            );
        }
    }
    if !fields.is_empty() {
        return Err(validation(fields));
    }
    for (i, source) in data_sources.iter().enumerate() {
        resolve_data_source(source, data_dir, settings).map_err(|e| with_field(e, &format!("data_sources[{i}]")))?;
    }
    if let Some(provider) = config.get("provider").and_then(Value::as_str) {
        crate::generate::providers::resolve(provider, settings)?;
    }
    Ok(NewExperiment {
        name,
        description,
        data_sources,
        config: Value::Object(config),
    })
}

/// The experiment config key behind a generate request field.
fn config_key(generate_field: &str) -> &str {
    match generate_field {
        "count" => "persona_count",
        // Generation options sit at the top level of an experiment's config.
        other => other.strip_prefix("config.").unwrap_or(other),
    }
}

fn with_field(error: Error, field: &str) -> Error {
    match error {
        Error::InvalidInput { message, mut details } => {
            if let Some(object) = details.as_object_mut() {
                object.insert("field".into(), Value::String(field.into()));
            }
            Error::InvalidInput {
                message: format!("{field}: {message}"),
                details,
            }
        }
        other => other,
    }
}

/// A generate request body from an experiment's config, with `data` and the body's overrides.
fn generation_body(config: &Map<String, Value>, data: &str, overrides: &Map<String, Value>) -> Value {
    let mut body = Map::new();
    body.insert("data".into(), Value::String(data.into()));
    if let Some(count) = config.get("persona_count") {
        body.insert("count".into(), count.clone());
    }
    for key in ["provider", "model", "seed"] {
        if let Some(value) = config.get(key) {
            body.insert(key.into(), value.clone());
        }
    }
    let options: Map<String, Value> = config
        .iter()
        .filter(|(key, _)| !CONFIG_FIELDS.contains(&key.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !options.is_empty() {
        body.insert("config".into(), Value::Object(options));
    }
    for (key, value) in overrides {
        match (key.as_str(), value) {
            // `null` counts as absent: the experiment's value stays.
            (_, Value::Null) => {}
            // Options given in the body are merged over the experiment's.
            ("config", Value::Object(extra)) => {
                let mut merged = body
                    .get("config")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                merged.extend(extra.clone());
                body.insert("config".into(), Value::Object(merged));
            }
            ("persona_count", _) => {
                body.insert("count".into(), value.clone());
            }
            _ => {
                body.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(body)
}

/// The generate request for `POST /api/v1/experiments/{id}/generate`: the experiment's sources
/// and config, overridden by the body (`data`, `count`, `provider`, `model`, `seed`, `config`,
/// `webhook_url`). Without `data` the experiment must have exactly one data source. Blocking.
pub fn experiment_generate_request(
    db: &Db,
    experiment_id: &str,
    body: &Value,
    settings: &Settings,
) -> Result<GenerateRequest> {
    let overrides = match body {
        Value::Null => Map::new(),
        Value::Object(map) => map.clone(),
        _ => return Err(validation(vec![FieldError::new("body", "must be a JSON object")])),
    };
    for key in ["experiment_id", "experiment"] {
        if overrides.get(key).is_some_and(|v| !v.is_null()) {
            return Err(validation(vec![FieldError::new(key, "is given by the path")]));
        }
    }
    if ["count", "persona_count"]
        .iter()
        .all(|key| overrides.get(*key).is_some_and(|v| !v.is_null()))
    {
        return Err(validation(vec![FieldError::new(
            "persona_count",
            "give count or persona_count, not both",
        )]));
    }
    let experiment = db
        .read(|conn| experiments::get(conn, experiment_id))?
        .ok_or_else(|| Error::NotFound {
            resource: "experiment",
            id: experiment_id.to_string(),
        })?;
    let data = match overrides.get("data").filter(|v| !v.is_null()) {
        Some(_) => String::new(),
        None => match experiment.data_sources.as_slice() {
            [only] => only.clone(),
            [] => {
                return Err(Error::InvalidInput {
                    message: format!("experiment {experiment_id} has no data source; give `data` in the body"),
                    details: serde_json::json!({"field": "data"}),
                });
            }
            several => {
                return Err(Error::InvalidInput {
                    message: format!(
                        "experiment {experiment_id} has {} data sources; name the one to use in `data`",
                        several.len()
                    ),
                    details: serde_json::json!({"field": "data", "data_sources": several}),
                });
            }
        },
    };
    let config = experiment.config.as_object().cloned().unwrap_or_default();
    let mut request_body = generation_body(&config, &data, &overrides);
    request_body["experiment_id"] = Value::String(experiment.id.clone());
    parse_generate_request(&request_body, settings)
}

/// Reads one experiment with its runs; 404 when unknown.
pub fn read_experiment(db: &Db, id: &str) -> Result<ExperimentDetail> {
    db.read(|conn| {
        let summary = experiments::get_summary(conn, id)?.ok_or_else(|| not_found("experiment", id))?;
        let runs = runs::list_for_experiment(conn, id, super::query::MAX_LIMIT, 0)?;
        Ok(ExperimentDetail {
            experiment: summary.into(),
            runs: runs.iter().map(RunSummaryView::from).collect(),
        })
    })
}

/// An experiment's runs (newest first) and how many it has; 404 when the experiment is unknown.
pub fn read_runs(db: &Db, id: &str, limit: u32, offset: u64) -> Result<(u64, Vec<RunSummaryView>)> {
    db.read(|conn| {
        experiments::get(conn, id)?.ok_or_else(|| not_found("experiment", id))?;
        let total = runs::count_for_experiment(conn, id)?;
        let runs = runs::list_for_experiment(conn, id, limit, offset)?;
        Ok((total, runs.iter().map(RunSummaryView::from).collect()))
    })
}

/// One run of an experiment with its personas; 404 when either is unknown (or the run belongs
/// to another experiment).
pub fn read_run(db: &Db, experiment_id: &str, run_id: &str) -> Result<RunDetailView> {
    db.read(|conn| {
        experiments::get(conn, experiment_id)?.ok_or_else(|| not_found("experiment", experiment_id))?;
        let run = runs::get(conn, run_id)?
            .filter(|run| run.experiment_id == experiment_id)
            .ok_or_else(|| not_found("run", run_id))?;
        let personas = personas::list_raw_for_run(conn, run_id)?;
        Ok(RunDetailView {
            summary: RunSummaryView::from(&run),
            experiment_id: run.experiment_id,
            config: run.config,
            source_files: run.source_files,
            skipped_files: run.skipped_files,
            warnings: run.warnings,
            usage: UsageView {
                input_tokens: run.input_tokens,
                output_tokens: run.output_tokens,
            },
            output_path: run.output_path,
            metadata: run.metadata,
            personas,
        })
    })
}

/// Deletes an experiment with its jobs, runs and personas (409 while a job of it is pending or
/// running; 404 when unknown). With `delete_outputs`, the runs' output folders are removed too,
/// but only those inside `output_dir`. Blocking.
pub fn delete_experiment(db: &Db, id: &str, delete_outputs: bool, output_dir: &Path) -> Result<ExperimentDeleted> {
    let owned = id.to_string();
    let deleted: Deleted = db
        .write(move |tx| experiments::delete(tx, &owned))?
        .ok_or_else(|| not_found("experiment", id))?;
    let mut removed = 0;
    if delete_outputs {
        for path in &deleted.output_paths {
            match remove_output_folder(Path::new(path), output_dir) {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(e) => log::warn!("experiment {id}: could not remove output folder {path}: {e}"),
            }
        }
    }
    Ok(ExperimentDeleted {
        success: true,
        message: format!("Experiment {id} deleted successfully"),
        deleted: DeletedCounts {
            jobs: deleted.jobs,
            runs: deleted.runs,
            personas: deleted.personas,
            output_folders: removed,
        },
    })
}

/// Removes a run folder when it lies strictly inside the output directory; false when it is
/// elsewhere or already gone.
fn remove_output_folder(folder: &Path, output_dir: &Path) -> std::io::Result<bool> {
    let (Ok(folder), Ok(root)) = (folder.canonicalize(), output_dir.canonicalize()) else {
        return Ok(false);
    };
    if folder == root || !folder.starts_with(&root) || !folder.is_dir() {
        return Ok(false);
    }
    std::fs::remove_dir_all(&folder)?;
    Ok(true)
}

fn not_found(resource: &'static str, id: &str) -> Error {
    Error::NotFound {
        resource,
        id: id.to_string(),
    }
}

/// Creates an experiment from a checked body (409 when the name is taken). Blocking.
pub fn create_experiment(db: &Db, new: NewExperiment) -> Result<ExperimentView> {
    db.write(move |tx| {
        let experiment = experiments::insert(tx, &new, &now_rfc3339())?;
        let summary = experiments::get_summary(tx, &experiment.id)?
            .ok_or_else(|| Error::Internal(format!("experiment {} vanished", experiment.id)))?;
        Ok(summary.into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn experiment_config_becomes_a_generate_body_with_overrides() {
        let config = json!({"provider": "local", "persona_count": 4, "seed": 7, "style": "short"});
        let config = config.as_object().unwrap();
        let body = generation_body(config, "a.csv", &Map::new());
        assert_eq!(
            body,
            json!({"data": "a.csv", "count": 4, "provider": "local", "seed": 7, "config": {"style": "short"}})
        );
        let overrides = json!({"count": 2, "config": {"tone": "plain"}, "data": "b.csv"});
        let body = generation_body(config, "a.csv", overrides.as_object().unwrap());
        assert_eq!(body["count"], 2);
        assert_eq!(body["data"], "b.csv");
        assert_eq!(body["config"], json!({"style": "short", "tone": "plain"}));
        // `null` keeps the experiment's value.
        let nulls = json!({"count": null, "seed": null, "config": null, "persona_count": null});
        let body = generation_body(config, "a.csv", nulls.as_object().unwrap());
        assert_eq!((&body["count"], &body["seed"]), (&json!(4), &json!(7)));
        assert_eq!(body["config"], json!({"style": "short"}));
    }

    #[test]
    fn output_folders_are_removed_only_inside_the_output_directory() {
        let root = tempfile::tempdir().unwrap();
        let output = root.path().join("output");
        let run = output.join("20260101_000000-abcd");
        let outside = root.path().join("elsewhere");
        std::fs::create_dir_all(&run).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        assert!(!remove_output_folder(&outside, &output).unwrap());
        assert!(!remove_output_folder(&output, &output).unwrap());
        assert!(!remove_output_folder(&output.join("../elsewhere"), &output).unwrap());
        assert!(remove_output_folder(&run, &output).unwrap());
        assert!(!run.exists() && outside.exists());
        assert!(!remove_output_folder(&run, &output).unwrap(), "already gone");
    }
}
