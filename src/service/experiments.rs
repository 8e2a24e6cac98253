//! Experiments: checking a new experiment, creating, reading and deleting one (optionally with
//! its output folders), and turning one into a generation request.

use super::data_dir::DataDir;
use super::jobs::{ExperimentChoice, GenerateRequest, GenerationFields, resolve_data_source};
use crate::config::Settings;
use crate::domain::time::now_rfc3339;
use crate::domain::values::{
    DataRef, FieldReader, FromJson, GenerationConfig, MAX_CONFIG_BYTES, PersonaCount, ProviderName, Seed, ShortText,
    Text, json_len, nullable, validation,
};
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
/// Longest experiment description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// Most `data_sources` of one experiment.
pub const MAX_DATA_SOURCES: usize = 100;

/// An experiment's unique name.
pub type ExperimentName = Text<MAX_NAME_CHARS>;

impl utoipa::PartialSchema for ExperimentName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        ExperimentName::text_schema("Unique name.")
            .examples(["onboarding-study"])
            .into()
    }
}

impl utoipa::ToSchema for ExperimentName {}

/// `data_sources`: at most [`MAX_DATA_SOURCES`] data references (paths under the data
/// directory, http(s) URLs or `dataset-…` ids), for the OpenAPI document.
#[derive(Debug, Clone)]
pub struct DataSources;

impl utoipa::PartialSchema for DataSources {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(<DataRef as utoipa::PartialSchema>::schema())
            .max_items(Some(MAX_DATA_SOURCES))
            .examples([serde_json::json!(["interviews.csv"])])
            .into()
    }
}

impl utoipa::ToSchema for DataSources {}

impl utoipa::PartialSchema for Description {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .max_length(Some(MAX_DESCRIPTION_CHARS))
            .into()
    }
}

impl utoipa::ToSchema for Description {}

/// Free text describing an experiment (may be empty; kept as given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(pub String);

impl FromJson for Description {
    fn from_json(value: Value) -> std::result::Result<Self, String> {
        match value {
            Value::String(text) if text.chars().count() > MAX_DESCRIPTION_CHARS => {
                Err(format!("must be at most {MAX_DESCRIPTION_CHARS} characters"))
            }
            Value::String(text) => Ok(Description(text)),
            _ => Err("must be a string".into()),
        }
    }
}

/// The default generation settings of an experiment (its stored `config`): `provider`, `model`,
/// `persona_count`, `seed`, and any other key as a generation option.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentConfig {
    pub provider: Option<ProviderName>,
    pub model: Option<ShortText>,
    pub persona_count: Option<PersonaCount>,
    pub seed: Option<Seed>,
    /// Every other key: generation options, passed to the pipeline as the job's `config`.
    pub options: Map<String, Value>,
}

/// The documented `config` of a new experiment: the settings [`ExperimentConfig::read`] reads
/// and the generation options, no other key; or `null`.
pub fn config_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    let mut schema = crate::generate::options::config_schema()
        .property("provider", nullable::<ProviderName>())
        .property("model", nullable::<ShortText>())
        .property("persona_count", nullable::<PersonaCount>())
        .property("seed", nullable::<Seed>())
        .description(Some(
            "Default generation settings: `provider`, `model`, `persona_count` (1–20), `seed`, and the \
             generation options (`detail_level`, `complexity`, `min_segment_size`, `min_claims`, \
             `interviewers`, `fallback`), passed to the pipeline as the job's `config`. At most 16 KiB of JSON.",
        ))
        .examples([serde_json::json!({"provider": "local", "persona_count": 3})])
        .build();
    schema.schema_type = SchemaType::Array(vec![Type::Object, Type::Null]);
    schema
}

impl ExperimentConfig {
    /// Reads a config object, naming bad settings `config.<key>`.
    pub fn read(config: Map<String, Value>) -> (ExperimentConfig, Vec<FieldError>) {
        let mut fields = FieldReader::of(config, "config.");
        let provider = fields.optional("provider");
        let model = fields.optional("model");
        let persona_count = fields.optional("persona_count");
        let seed = fields.optional("seed");
        let options = fields.rest();
        let mut errors = fields.into_errors();
        // Generation options sit at the top level of an experiment's config (`config.<key>`).
        errors.extend(crate::generate::options::check(&options));
        let config = ExperimentConfig {
            provider,
            model,
            persona_count,
            seed,
            options,
        };
        (config, errors)
    }
}

/// Checks a new experiment: field types and ranges (422 naming every bad field), then what its
/// sources and provider refer to (400, as for a generate request). Blocking (file system).
pub fn check_new(body: &Value, settings: &Settings, data_dir: &DataDir) -> Result<NewExperiment> {
    let mut fields = FieldReader::new(body.clone())?;
    let name = fields.required::<ExperimentName>("name");
    let description = fields.optional::<Description>("description");
    let data_sources = read_data_sources(&mut fields);
    let config = match fields.optional::<Value>("config") {
        None => Map::new(),
        Some(Value::Object(map)) if json_len(&map) > MAX_CONFIG_BYTES => {
            fields.reject("config", format!("must be at most {MAX_CONFIG_BYTES} bytes of JSON"));
            Map::new()
        }
        Some(Value::Object(map)) => map,
        Some(_) => {
            fields.reject("config", "must be an object");
            Map::new()
        }
    };
    let (checked, config_errors) = ExperimentConfig::read(config.clone());
    let mut errors = fields.into_errors();
    errors.extend(config_errors);
    validation(errors)?;
    for (i, source) in data_sources.iter().enumerate() {
        resolve_data_source(source, data_dir, settings).map_err(|e| with_field(e, &format!("data_sources[{i}]")))?;
    }
    if let Some(provider) = &checked.provider {
        crate::generate::providers::resolve(provider.as_str(), settings)?;
    }
    Ok(NewExperiment {
        name: name.expect("a body without bad fields has its name").into_string(),
        description: description.map(|d| d.0),
        data_sources,
        config: Value::Object(config),
    })
}

/// `data_sources`: at most [`MAX_DATA_SOURCES`] data references, each bad one named by index.
fn read_data_sources(fields: &mut FieldReader) -> Vec<String> {
    match fields.optional::<Value>("data_sources") {
        None => Vec::new(),
        Some(Value::Array(items)) if items.len() > MAX_DATA_SOURCES => {
            fields.reject("data_sources", format!("must list at most {MAX_DATA_SOURCES} sources"));
            Vec::new()
        }
        Some(Value::Array(items)) => {
            let mut sources = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                let field = format!("data_sources[{i}]");
                match item {
                    Value::String(_) => match DataRef::from_json(item) {
                        Ok(source) => sources.push(source.into_string()),
                        Err(message) if message.starts_with("must be at most") => fields.reject(&field, message),
                        Err(_) => fields.reject(&field, "must be a non-empty string"),
                    },
                    _ => fields.reject(&field, "must be a non-empty string"),
                }
            }
            sources
        }
        Some(_) => {
            fields.reject("data_sources", "must be an array of strings");
            Vec::new()
        }
    }
}

impl FromJson for Value {
    fn from_json(value: Value) -> std::result::Result<Self, String> {
        Ok(value)
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

/// The overrides `POST /api/v1/experiments/{id}/generate` may give.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentOverrides {
    pub data: Option<DataRef>,
    /// `count`, or its alias `persona_count`.
    pub generation: GenerationFields,
}

impl ExperimentOverrides {
    /// Reads the body (`null` or empty: no overrides); the bad fields are returned, not raised,
    /// so that an unknown experiment is reported first.
    pub fn read(body: &Value, settings: &Settings) -> Result<(ExperimentOverrides, Vec<FieldError>)> {
        let object = match body {
            Value::Null => Map::new(),
            Value::Object(map) => map.clone(),
            _ => return Err(Error::validation("body", "must be a JSON object")),
        };
        let mut fields = FieldReader::of(object, "");
        for key in ["experiment_id", "experiment"] {
            if fields.has(key) {
                return Err(Error::validation(key, "is given by the path"));
            }
        }
        if fields.has("count") && fields.has("persona_count") {
            return Err(Error::validation(
                "persona_count",
                "give count or persona_count, not both",
            ));
        }
        let data = fields.optional("data");
        let mut generation = GenerationFields::read(&mut fields, settings.webhooks.allow_private_targets);
        if generation.count.is_none() {
            generation.count = fields.optional("persona_count");
        }
        Ok((ExperimentOverrides { data, generation }, fields.into_errors()))
    }
}

/// The documented body: the fields [`ExperimentOverrides::read`] reads, each with its type's
/// schema (`null` is absent), `experiment_id` and `experiment` only as `null` (the path names the
/// experiment), and not both `count` and `persona_count`. Other keys are ignored.
impl utoipa::PartialSchema for ExperimentOverrides {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        use crate::domain::values::{WebhookUrl, absent_schema};
        use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder, SchemaType, Type};
        let only_null = |field: &str| ObjectBuilder::new().property(field, absent_schema());
        let fields = ObjectBuilder::new()
            .schema_type(SchemaType::Array(vec![Type::Object, Type::Null]))
            .property("data", nullable::<DataRef>())
            .property("count", nullable::<PersonaCount>())
            .property("persona_count", nullable::<PersonaCount>())
            .property("provider", nullable::<ProviderName>())
            .property("model", nullable::<ShortText>())
            .property("config", super::jobs::config_schema())
            .property("webhook_url", nullable::<WebhookUrl>())
            .property("seed", nullable::<Seed>())
            .property("experiment_id", absent_schema())
            .property("experiment", absent_schema());
        let not_both_counts = AnyOfBuilder::new()
            .item(only_null("count"))
            .item(only_null("persona_count"));
        AllOfBuilder::new()
            .item(fields)
            .item(not_both_counts)
            .description(Some(
                "Overrides of the experiment's settings (optional): `data`, `count` (or `persona_count`), \
                 `provider`, `model`, `seed`, `config` (merged over the experiment's options) and `webhook_url`.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for ExperimentOverrides {}

/// The generate request for `POST /api/v1/experiments/{id}/generate`: the experiment's sources
/// and config, overridden by the body (`data`, `count`, `provider`, `model`, `seed`, `config`,
/// `webhook_url`). Without `data` the experiment must have exactly one data source. Blocking.
pub fn generate_request(db: &Db, experiment_id: &str, body: &Value, settings: &Settings) -> Result<GenerateRequest> {
    let (overrides, bad_fields) = ExperimentOverrides::read(body, settings)?;
    let experiment = db
        .read(|conn| experiments::get(conn, experiment_id))?
        .ok_or_else(|| not_found("experiment", experiment_id))?;
    let data = match (overrides.data, experiment.data_sources.as_slice()) {
        (Some(data), _) => data.into_string(),
        (None, [only]) => only.clone(),
        (None, []) => {
            validation(bad_fields)?;
            return Err(Error::InvalidInput {
                message: format!("experiment {experiment_id} has no data source; give `data` in the body"),
                details: serde_json::json!({"field": "data"}),
            });
        }
        (None, several) => {
            validation(bad_fields)?;
            return Err(Error::InvalidInput {
                message: format!(
                    "experiment {experiment_id} has {} data sources; name the one to use in `data`",
                    several.len()
                ),
                details: serde_json::json!({"field": "data", "data_sources": several}),
            });
        }
    };
    let stored = experiment.config.as_object().cloned().unwrap_or_default();
    let (config, config_errors) = ExperimentConfig::read(stored);
    let mut errors = bad_fields;
    errors.extend(config_errors);
    let request = merge(data, experiment.id, config, overrides.generation, settings);
    if json_len(&request.config) > MAX_CONFIG_BYTES {
        errors.push(FieldError::new(
            "config",
            format!("must be at most {MAX_CONFIG_BYTES} bytes of JSON"),
        ));
    }
    validation(errors)?;
    Ok(request)
}

/// The request of an experiment's settings with the body's overrides (options merged over the
/// experiment's), then the configured defaults.
fn merge(
    data: String,
    experiment_id: String,
    config: ExperimentConfig,
    body: GenerationFields,
    settings: &Settings,
) -> GenerateRequest {
    let mut options = config.options;
    options.extend(body.config.map(|c: GenerationConfig| c.0).unwrap_or_default());
    GenerateRequest {
        data,
        count: body
            .count
            .or(config.persona_count)
            .map_or(settings.generation.count as u32, PersonaCount::get),
        provider: body
            .provider
            .or(config.provider)
            .map_or_else(|| settings.generation.provider.clone(), ProviderName::into_string),
        model: body.model.or(config.model).map(ShortText::into_string),
        config: options,
        webhook_url: body.webhook_url.map(|url| url.into_string()),
        seed: body.seed.or(config.seed).map(|seed| seed.0),
        experiment: ExperimentChoice::Id(experiment_id),
    }
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
    fn experiment_settings_are_overridden_by_the_body_then_defaulted() {
        let settings = Settings::default();
        let stored = json!({"provider": "local", "persona_count": 4, "seed": 7, "detail_level": "brief"});
        let (config, errors) = ExperimentConfig::read(stored.as_object().unwrap().clone());
        assert!(errors.is_empty());
        let request = merge(
            "a.csv".into(),
            "exp-1".into(),
            config.clone(),
            GenerationFields::default(),
            &settings,
        );
        assert_eq!(
            (request.count, request.seed, request.provider.as_str()),
            (4, Some(7), "local")
        );
        assert_eq!(Value::Object(request.config), json!({"detail_level": "brief"}));
        let body = json!({"persona_count": 2, "config": {"complexity": "simple"}, "data": "b.csv", "seed": null});
        let (overrides, bad) = ExperimentOverrides::read(&body, &settings).unwrap();
        assert!(bad.is_empty());
        assert_eq!(overrides.data.as_ref().map(DataRef::as_str), Some("b.csv"));
        let request = merge("b.csv".into(), "exp-1".into(), config, overrides.generation, &settings);
        assert_eq!((request.count, request.seed), (2, Some(7)));
        assert_eq!(
            Value::Object(request.config),
            json!({"detail_level": "brief", "complexity": "simple"})
        );
        let (config, errors) = ExperimentConfig::read(json!({"persona_count": 0}).as_object().unwrap().clone());
        assert_eq!(config.persona_count, None);
        assert_eq!(errors[0].field, "config.persona_count");
        // Options are checked where they are read: an unknown key is named.
        let (_, errors) = ExperimentConfig::read(json!({"tone": "plain"}).as_object().unwrap().clone());
        assert_eq!(errors[0].field, "config.tone");
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
