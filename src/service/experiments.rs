//! Experiments: checking a new experiment, creating, reading and deleting one (optionally with
//! its output folders), and turning one into a generation request.

use super::data_dir::DataDir;
use super::jobs::{GenerateRequest, parse_generate_request, resolve_data_source};
use crate::config::Settings;
use crate::domain::time::now_rfc3339;
use crate::error::{Error, FieldError, Result};
use crate::store::Db;
use crate::store::experiments;
pub use crate::store::experiments::{Deleted, ExperimentSummary, NewExperiment};
use crate::store::personas;
use crate::store::runs;
pub use crate::store::runs::{Run, RunStatus};
use serde_json::{Map, Value};
use std::path::Path;

/// Longest experiment name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest experiment description, in bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 10_000;
/// Most `data_sources` of one experiment.
pub const MAX_DATA_SOURCES: usize = 100;

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
pub fn check_new(body: &Value, settings: &Settings, data_dir: &DataDir) -> Result<NewExperiment> {
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
                    Some(s) if s.len() > super::jobs::MAX_DATA_FIELD_BYTES => fields.push(FieldError::new(
                        format!("data_sources[{i}]"),
                        format!("must be at most {} bytes", super::jobs::MAX_DATA_FIELD_BYTES),
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
        Some(Value::Object(map)) if super::jobs::json_len(map) > super::jobs::MAX_CONFIG_BYTES => {
            fields.push(FieldError::new(
                "config",
                format!("must be at most {} bytes of JSON", super::jobs::MAX_CONFIG_BYTES),
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
        other => other,
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
pub fn generate_request(db: &Db, experiment_id: &str, body: &Value, settings: &Settings) -> Result<GenerateRequest> {
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

/// Experiments, newest first, each with its run count and status, and how many there are.
/// Blocking.
pub fn list(db: &Db, limit: u32, offset: u64) -> Result<(u64, Vec<ExperimentSummary>)> {
    db.read(|conn| Ok((experiments::count(conn)?, experiments::list(conn, limit, offset)?)))
}

/// An experiment with its newest runs (at most [`RUNS_SHOWN`]).
#[derive(Debug, Clone)]
pub struct ExperimentWithRuns {
    pub summary: ExperimentSummary,
    pub runs: Vec<Run>,
}

/// Runs listed with an experiment.
const RUNS_SHOWN: u32 = 1000;

/// Reads one experiment with its runs; 404 when unknown.
pub fn read(db: &Db, id: &str) -> Result<ExperimentWithRuns> {
    db.read(|conn| {
        let summary = experiments::get_summary(conn, id)?.ok_or_else(|| not_found("experiment", id))?;
        let runs = runs::list_for_experiment(conn, id, RUNS_SHOWN, 0)?;
        Ok(ExperimentWithRuns { summary, runs })
    })
}

/// An experiment's runs (newest first) and how many it has; 404 when the experiment is unknown.
pub fn read_runs(db: &Db, id: &str, limit: u32, offset: u64) -> Result<(u64, Vec<Run>)> {
    db.read(|conn| {
        experiments::get(conn, id)?.ok_or_else(|| not_found("experiment", id))?;
        let total = runs::count_for_experiment(conn, id)?;
        let runs = runs::list_for_experiment(conn, id, limit, offset)?;
        Ok((total, runs))
    })
}

/// A run with its personas (their stored JSON).
#[derive(Debug, Clone)]
pub struct RunWithPersonas {
    pub run: Run,
    pub personas: Vec<Box<serde_json::value::RawValue>>,
}

/// One run of an experiment with its personas; 404 when either is unknown (or the run belongs
/// to another experiment).
pub fn read_run(db: &Db, experiment_id: &str, run_id: &str) -> Result<RunWithPersonas> {
    db.read(|conn| {
        experiments::get(conn, experiment_id)?.ok_or_else(|| not_found("experiment", experiment_id))?;
        let run = runs::get(conn, run_id)?
            .filter(|run| run.experiment_id == experiment_id)
            .ok_or_else(|| not_found("run", run_id))?;
        let personas = personas::list_raw_for_run(conn, run_id)?;
        Ok(RunWithPersonas { run, personas })
    })
}

/// What deleting an experiment removed.
#[derive(Debug, Clone)]
pub struct Removed {
    pub rows: Deleted,
    /// Output folders removed from disk.
    pub output_folders: u64,
}

/// Deletes an experiment with its jobs, runs and personas (409 while a job of it is pending or
/// running; 404 when unknown). With `delete_outputs`, the runs' output folders are removed too,
/// but only those inside `output_dir`. Blocking.
pub fn delete(db: &Db, id: &str, delete_outputs: bool, output_dir: &Path) -> Result<Removed> {
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
    Ok(Removed {
        rows: deleted,
        output_folders: removed,
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
pub fn create(db: &Db, new: NewExperiment) -> Result<ExperimentSummary> {
    db.write(move |tx| {
        let experiment = experiments::insert(tx, &new, &now_rfc3339())?;
        let summary = experiments::get_summary(tx, &experiment.id)?
            .ok_or_else(|| Error::Internal(format!("experiment {} vanished", experiment.id)))?;
        Ok(summary)
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
