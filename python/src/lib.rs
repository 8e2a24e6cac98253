//! The persona library in-process for Python (`persona._native`): the same library calls as
//! the CLI (`src/cli/*.rs`), with JSON across the boundary so the Python side's objects hold
//! exactly what the CLI prints. Work runs with the GIL released.

use persona::api::error::ApiError;
use persona::config::{ProcessEnv, Settings};
use persona::domain::Persona;
use persona::error::Error;
use persona::generate::{GenerationSettings, NoProgress, RunRequest, execute_run};
use persona::ingest::{IngestLimits, IngestOptions, inspect as inspection, load_path_with};
use persona::quality::{QualityConfig, read_personas, score_run};
use persona::scripts::{ScriptError, ScriptFormat, ScriptOptions, generate_script};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use std::path::{Path, PathBuf};

create_exception!(
    _native,
    NativeError,
    PyException,
    "A library error: args are (code, message, details as JSON)."
);

/// The envelope code and details the API would answer with; the message is the library's own
/// (the caller is local, so nothing is hidden as the API hides internal causes).
fn raise(error: Error) -> PyErr {
    let message = error.to_string();
    let api = ApiError::from(error);
    let code = serde_json::to_value(api.code())
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "internal_error".to_string());
    NativeError::new_err((code, message, api.details().to_string()))
}

fn raise_code(code: &str, message: String, details: serde_json::Value) -> PyErr {
    NativeError::new_err((code.to_string(), message, details.to_string()))
}

fn to_json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| raise(Error::from(e)))
}

/// Runs generation as `persona generate` does; returns `(personas, metadata, output_path,
/// warnings)` with the first two and the warnings as JSON text.
#[pyfunction]
#[pyo3(signature = (data, count=None, seed=None, provider=None, model=None, output_dir=None, config=None, options_json=None))]
#[allow(clippy::too_many_arguments)]
fn generate(
    py: Python<'_>,
    data: PathBuf,
    count: Option<usize>,
    seed: Option<u64>,
    provider: Option<String>,
    model: Option<String>,
    output_dir: Option<PathBuf>,
    config: Option<PathBuf>,
    options_json: Option<String>,
) -> PyResult<(String, String, String, String)> {
    let options = match options_json {
        Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return Err(raise(Error::validation("options", "must be a JSON object"))),
        },
        None => Default::default(),
    };
    py.detach(move || {
        let settings = load_settings(config.as_deref())?;
        let request = RunRequest {
            data_path: data,
            generation: GenerationSettings {
                count: count.unwrap_or(settings.generation.count),
                seed: seed.unwrap_or(settings.generation.seed),
                provider: provider.unwrap_or_else(|| settings.generation.provider.clone()),
                model,
                options,
            },
            run_id: None,
            experiment_id: None,
            output_dir: output_dir.unwrap_or_else(|| settings.storage.output_dir.clone()),
            confine_to: None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| raise(Error::internal(format!("cannot start the runtime: {e}"))))?;
        let outcome = runtime
            .block_on(execute_run(&request, &settings, &NoProgress))
            .map_err(raise)?;
        Ok((
            to_json(&outcome.personas)?,
            to_json(&outcome.metadata)?,
            outcome.output_path.display().to_string(),
            to_json(&outcome.warnings)?,
        ))
    })
}

/// What ingestion makes of a file or folder, as `persona inspect --json` prints it (JSON text).
#[pyfunction]
#[pyo3(signature = (data, interviewers=None, config=None))]
fn inspect(
    py: Python<'_>,
    data: PathBuf,
    interviewers: Option<Vec<String>>,
    config: Option<PathBuf>,
) -> PyResult<String> {
    py.detach(move || {
        let settings = load_settings(config.as_deref())?;
        // As the CLI: named interviewers replace `ingest.interviewers`; none given, the setting.
        let interviewers = match interviewers {
            Some(names) if !names.is_empty() => names,
            _ => settings.ingest.interviewers.clone(),
        };
        let limits = IngestLimits::from_settings(&settings.storage);
        let corpus = load_path_with(&data, &limits, &IngestOptions { interviewers }).map_err(|e| raise(e.into()))?;
        to_json(&inspection::inspect(&corpus))
    })
}

fn load_settings(config: Option<&Path>) -> PyResult<Settings> {
    Settings::load(config, &ProcessEnv).map_err(|e| raise(Error::validation("config", e.to_string())))
}

fn personas_from(path: Option<PathBuf>, personas_json: Option<String>) -> PyResult<Vec<Persona>> {
    match (path, personas_json) {
        (Some(path), _) => read_personas(&path).map_err(raise),
        (None, Some(text)) => {
            serde_json::from_str::<Vec<Persona>>(&text).map_err(|e| raise(Error::validation("personas", e.to_string())))
        }
        (None, None) => Err(raise(Error::validation("personas", "give a path or personas"))),
    }
}

fn describe(path: &Option<PathBuf>) -> String {
    path.as_deref()
        .map_or_else(|| "personas".to_string(), |p: &Path| p.display().to_string())
}

/// Scores personas as `persona score --json` does (from a path, or personas as JSON text).
#[pyfunction]
#[pyo3(signature = (path=None, personas_json=None, preset="default".to_string()))]
fn score(py: Python<'_>, path: Option<PathBuf>, personas_json: Option<String>, preset: String) -> PyResult<String> {
    py.detach(move || {
        let cfg = QualityConfig::preset_or_error(&preset, "preset").map_err(raise)?;
        let name = describe(&path);
        let personas = personas_from(path, personas_json)?;
        if personas.is_empty() {
            return Err(raise(Error::invalid(format!("{name}: no personas to score"))));
        }
        to_json(&score_run(&personas, &cfg))
    })
}

/// Writes a conversation script as `persona script` does; returns the script result as JSON.
#[pyfunction]
#[pyo3(signature = (path=None, personas_json=None, persona_id=None, index=None, format="character_card".to_string(), yaml=false, threshold=persona::scripts::DEFAULT_THRESHOLD, template=None))]
#[allow(clippy::too_many_arguments)]
fn script(
    py: Python<'_>,
    path: Option<PathBuf>,
    personas_json: Option<String>,
    persona_id: Option<String>,
    index: Option<usize>,
    format: String,
    yaml: bool,
    threshold: f64,
    template: Option<String>,
) -> PyResult<String> {
    py.detach(move || {
        let format = ScriptFormat::parse(&format, "format").map_err(raise)?;
        let name = describe(&path);
        let personas = personas_from(path, personas_json)?;
        let persona = select(personas, &name, persona_id, index)?;
        let options = ScriptOptions {
            format,
            yaml,
            max_leakage_score: threshold,
            template,
        };
        match generate_script(&persona, &options) {
            Ok(result) => to_json(&result),
            Err(ScriptError::Validation(e)) => Err(raise(e)),
            Err(ScriptError::PrivacyAuditFailed(audit)) => Err(raise_code(
                "privacy_audit_failed",
                format!(
                    "privacy audit failed for persona '{}': leakage score {:.3} exceeds the threshold {}",
                    persona.id, audit.leakage_score, audit.threshold
                ),
                audit.error_details(),
            )),
        }
    })
}

/// The persona chosen as `persona script` chooses it (by id, by index, or the only one).
fn select(personas: Vec<Persona>, name: &str, id: Option<String>, index: Option<usize>) -> PyResult<Persona> {
    let count = personas.len();
    if let Some(id) = id {
        let ids: Vec<String> = personas.iter().map(|p| p.id.clone()).collect();
        return personas.into_iter().find(|p| p.id == id).ok_or_else(|| {
            raise_code(
                "not_found",
                format!("{name}: no persona with id '{id}' (ids: {})", ids.join(", ")),
                serde_json::json!({ "id": id }),
            )
        });
    }
    if let Some(index) = index {
        return personas.into_iter().nth(index).ok_or_else(|| {
            raise(Error::validation(
                "index",
                format!("{index} is out of range ({count} persona(s))"),
            ))
        });
    }
    match count {
        0 => Err(raise(Error::invalid(format!("{name}: no personas")))),
        1 => Ok(personas.into_iter().next().expect("one persona")),
        n => Err(raise(Error::validation(
            "persona_id",
            format!("{name} holds {n} personas; choose one with persona_id or index"),
        ))),
    }
}

/// The version of the persona library this module was built from.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add_function(wrap_pyfunction!(generate, m)?)?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(score, m)?)?;
    m.add_function(wrap_pyfunction!(script, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}
