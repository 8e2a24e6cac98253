//! A generation run from start to finish: read the data, segment the participants, synthesise
//! one persona per segment (locally or with an LLM provider), score the personas' quality, and
//! write the output folder. The CLI and the server's worker both
//! call [`execute_run`], so they produce the same personas for the same input and settings.

use super::local;
use super::output::{RunMetadata, write_run_output};
use super::providers::kind::LOCAL_MODEL;
use super::providers::{self, ProviderKind, SynthesisFailure};
use super::segment::{Segmentation, segment_corpus};
use super::types::{GenerationOutput, GenerationSettings, GroundingStats, Progress, Step, TokenUsage};
use crate::config::Settings;
use crate::domain::values::PersonaCount;
use crate::domain::{Corpus, IdKind, Persona, time};
use crate::error::Error;
use crate::ingest::{IngestLimits, IngestOptions, load_path_with};
use crate::quality::{self, QualityConfig, RunQuality};
use crate::util::blocking;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The quality preset every run is scored with (other presets: `POST /api/v1/quality`,
/// `persona score --preset`).
pub const QUALITY_PRESET: &str = "default";

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRequest {
    /// A file or folder, already resolved (and checked against the data directory by the caller).
    pub data_path: PathBuf,
    pub generation: GenerationSettings,
    /// Given by the server: personas then get fresh IDs and this run context.
    pub run_id: Option<String>,
    pub experiment_id: Option<String>,
    /// The run folder is created inside it.
    pub output_dir: PathBuf,
    /// The server's data directory (canonical): symbolic links in a folder that lead out of it
    /// are skipped. `None` on the command line.
    pub confine_to: Option<PathBuf>,
}

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub personas: Vec<Persona>,
    /// The run folder.
    pub output_path: PathBuf,
    pub metadata: RunMetadata,
    pub warnings: Vec<String>,
    pub usage: TokenUsage,
    pub grounding: GroundingStats,
    pub duration_ms: u64,
}

/// Checks the count and resolves the provider, before anything is read.
pub fn validate_generation(generation: &GenerationSettings, settings: &Settings) -> Result<ProviderKind, Error> {
    if let Err(message) = PersonaCount::of(generation.count) {
        return Err(Error::validation(
            "count",
            format!("{message}, got {}", generation.count),
        ));
    }
    if let Some(f) = super::options::check(&generation.options).into_iter().next() {
        return Err(Error::validation(f.field, f.message));
    }
    let provider = providers::resolve(&generation.provider, settings)?;
    providers::fallback_mode(generation, settings)?;
    Ok(provider)
}

/// Runs generation on the data at `request.data_path` and writes the run folder.
pub async fn execute_run(
    request: &RunRequest,
    settings: &Settings,
    progress: &dyn Progress,
) -> Result<RunOutcome, Error> {
    let started = Instant::now();
    let provider = validate_generation(&request.generation, settings)?;
    step(progress, Step::Ingesting, "reading research data")?;
    let path = request.data_path.clone();
    let limits = IngestLimits {
        confine_to: request.confine_to.clone(),
        ..IngestLimits::from_settings(&settings.storage)
    };
    let options = IngestOptions {
        interviewers: crate::ingest::interviewers_of(&request.generation.options, settings),
    };
    let corpus = blocking(move || load_path_with(&path, &limits, &options).map_err(Error::from)).await?;
    run_on_corpus(corpus, provider, request, settings, progress, started).await
}

/// Runs generation on a corpus already in memory (as read from `request.data_path`).
pub async fn execute_corpus_run(
    corpus: Corpus,
    request: &RunRequest,
    settings: &Settings,
    progress: &dyn Progress,
) -> Result<RunOutcome, Error> {
    let started = Instant::now();
    let provider = validate_generation(&request.generation, settings)?;
    let interviewers = crate::ingest::interviewers_of(&request.generation.options, settings);
    let corpus = crate::ingest::exclude_interviewers(corpus, &interviewers);
    run_on_corpus(corpus, provider, request, settings, progress, started).await
}

async fn run_on_corpus(
    corpus: Corpus,
    provider: ProviderKind,
    request: &RunRequest,
    settings: &Settings,
    progress: &dyn Progress,
    started: Instant,
) -> Result<RunOutcome, Error> {
    if corpus.participants.is_empty() {
        return Err(Error::InvalidInput {
            message: format!("no participants found in {}", request.data_path.display()),
            details: serde_json::json!({"field": "data"}),
        });
    }
    let corpus = Arc::new(corpus);
    let mut generation = request.generation.clone();
    // The options in effect, defaults included, are what the synthesiser and metadata.json see.
    generation.options = super::options::with_defaults(&generation.options, &settings.generation);

    step(progress, Step::Segmenting, "segmenting participants")?;
    let segmentation = {
        let corpus = Arc::clone(&corpus);
        let (count, seed) = (generation.count, generation.seed);
        blocking(move || Ok(segment_corpus(&corpus, count, seed))).await?
    };

    step(progress, Step::Synthesising, "synthesising personas")?;
    let output = match synthesise(provider, &corpus, &segmentation, &generation, settings, progress).await {
        Ok(output) => output,
        Err(failure) if matches!(failure.error, Error::Cancelled) => return Err(failure.error),
        Err(failure) => {
            return Err(keep_failed_run(failure, &corpus, &segmentation.warnings, &generation, request, started).await);
        }
    };
    let GenerationOutput {
        mut personas,
        provider: provider_name,
        model,
        warnings: synthesis_warnings,
        usage,
        grounding,
    } = output;
    if request.run_id.is_some() || request.experiment_id.is_some() {
        apply_run_context(
            &mut personas,
            request.run_id.as_deref(),
            request.experiment_id.as_deref(),
            &time::now_rfc3339(),
        );
    }

    // Distinctiveness compares each persona with the others of this run, so the run is scored
    // as a whole, after the final IDs are set (each score names its persona).
    step(progress, Step::Scoring, "scoring persona quality")?;
    let quality_config = QualityConfig::preset_or_error(QUALITY_PRESET, "preset")?;
    let (personas, run_quality) = blocking(move || {
        let run_quality = quality::attach(&mut personas, &quality_config);
        Ok((personas, run_quality))
    })
    .await?;
    let warnings = run_warnings(&corpus, &segmentation.warnings, &synthesis_warnings);

    step(progress, Step::Writing, "writing output")?;
    let metadata = RunMetadata {
        provider: provider_name,
        model,
        count_produced: personas.len(),
        warnings: warnings.clone(),
        usage,
        grounding,
        quality: Some(quality_summary(&run_quality)?),
        ..run_metadata(&corpus, &generation, request, started)
    };
    let output_dir = request.output_dir.clone();
    let (output_path, personas, metadata) = blocking(move || {
        let path = write_run_output(&output_dir, &personas, &metadata)?;
        Ok((path, personas, metadata))
    })
    .await?;
    progress.step(Step::Done, "done");
    Ok(RunOutcome {
        personas,
        output_path,
        metadata,
        warnings,
        usage,
        grounding,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

/// The personas of the segments, written locally or by the model named in the request (which
/// writes each segment's persona; who belongs to it is already decided). `generation` is the
/// request's, with the configured defaults filled in. A run left with no persona fails.
async fn synthesise(
    provider: ProviderKind,
    corpus: &Arc<Corpus>,
    segmentation: &Segmentation,
    generation: &GenerationSettings,
    settings: &Settings,
    progress: &dyn Progress,
) -> Result<GenerationOutput, SynthesisFailure> {
    let output = match provider {
        ProviderKind::Local => {
            let corpus = Arc::clone(corpus);
            let segments = segmentation.segments.clone();
            let local_generation = generation.clone();
            blocking(move || Ok(local::synthesize(&corpus, &segments, &local_generation)))
                .await
                .map_err(|error| SynthesisFailure {
                    error,
                    provider: "local".into(),
                    model: LOCAL_MODEL.into(),
                    usage: TokenUsage::default(),
                    warnings: Vec::new(),
                })?
        }
        _ => providers::synthesize_run(settings, generation, corpus, &segmentation.segments, progress).await?,
    };
    if output.personas.is_empty() {
        return Err(SynthesisFailure {
            error: no_usable_persona(segmentation.segments.len(), &output.warnings),
            provider: output.provider,
            model: output.model,
            warnings: output.warnings,
            usage: output.usage,
        });
    }
    Ok(output)
}

/// Why a run ends with no persona: every segment's persona was merged away or dropped (the
/// synthesis warnings say which and why), and what to do about it. (A run that asks for every
/// persona however thin always keeps one.)
fn no_usable_persona(segments: usize, synthesis_warnings: &[String]) -> Error {
    Error::InvalidInput {
        message: format!(
            "no persona could be made from this data: every persona of its {segments} segment{} was merged away or dropped as one a research team would not use ({}). Provider local keeps what participants say in English about their own goals, problems, habits and what works for them; a talk, a lecture or text in another language holds little of that. To see every persona however thin, set min_claims to 1 (request config, generation.min_claims or PERSONA_GENERATION_MIN_CLAIMS); an LLM provider reads other languages",
            if segments == 1 { "" } else { "s" },
            synthesis_warnings.join("; "),
        ),
        details: serde_json::json!({"field": "data", "reason": "no_usable_persona", "segments": segments}),
    }
}

/// Writes what a failed run read and spent (its metadata, with the error and warnings) to the
/// output folder, and returns the run's error. `generation` has the configured defaults filled in.
async fn keep_failed_run(
    failure: SynthesisFailure,
    corpus: &Corpus,
    segmentation_warnings: &[String],
    generation: &GenerationSettings,
    request: &RunRequest,
    started: Instant,
) -> Error {
    // What the failed run read and spent is kept; the error is the run's.
    let warnings = run_warnings(corpus, segmentation_warnings, &failure.warnings);
    let metadata = RunMetadata {
        provider: failure.provider.clone(),
        model: failure.model.clone(),
        warnings,
        usage: failure.usage,
        error: Some(failure.error.to_string()),
        ..run_metadata(corpus, generation, request, started)
    };
    let output_dir = request.output_dir.clone();
    let written = blocking(move || write_run_output(&output_dir, &[], &metadata)).await;
    match written {
        Ok(path) => log::warn!("the failed run's metadata is in {}", path.display()),
        Err(e) => log::warn!("the failed run's metadata could not be written: {e}"),
    }
    failure.error
}

/// What every run's metadata.json records of its input and settings; the caller sets what the
/// run produced (provider and model that answered, personas, warnings, usage, quality, error).
fn run_metadata(
    corpus: &Corpus,
    generation: &GenerationSettings,
    request: &RunRequest,
    started: Instant,
) -> RunMetadata {
    RunMetadata {
        generated_at: time::now_rfc3339(),
        run_id: request.run_id.clone(),
        experiment_id: request.experiment_id.clone(),
        provider: generation.provider.clone(),
        model: generation.model.clone().unwrap_or_default(),
        count_requested: generation.count,
        count_produced: 0,
        seed: generation.seed,
        config: generation.options.clone(),
        data_path: request.data_path.display().to_string(),
        participants: corpus.participants.len(),
        utterances: corpus.utterances.len(),
        sources: corpus.sources.clone(),
        skipped: corpus.skipped.clone(),
        ingest: corpus.report.clone(),
        warnings: Vec::new(),
        duration_ms: started.elapsed().as_millis() as u64,
        usage: TokenUsage::default(),
        grounding: GroundingStats::default(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        quality: None,
        error: None,
    }
}

/// The warnings of a run: ingestion's, then segmentation's, then synthesis's.
fn run_warnings(corpus: &Corpus, segmentation: &[String], synthesis: &[String]) -> Vec<String> {
    corpus
        .warnings
        .iter()
        .chain(segmentation)
        .chain(synthesis)
        .cloned()
        .collect()
}

/// The run's quality as recorded in its metadata: the [`RunQuality`] without the per-persona
/// scores, which each persona carries in its own `quality` (the matrix follows persona order).
fn quality_summary(run_quality: &RunQuality) -> Result<serde_json::Value, Error> {
    let mut summary = serde_json::to_value(run_quality)?;
    if let Some(object) = summary.as_object_mut() {
        object.remove("scores");
        object.insert("preset".into(), serde_json::Value::from(QUALITY_PRESET));
    }
    Ok(summary)
}

/// Gives each persona a fresh random ID and the run's context (the server does this before it
/// writes and stores a run, so persona IDs are never reused across runs).
pub fn assign_run_context(personas: &mut [Persona], run_id: &str, experiment_id: &str, created_at: &str) {
    apply_run_context(personas, Some(run_id), Some(experiment_id), created_at);
}

fn apply_run_context(personas: &mut [Persona], run_id: Option<&str>, experiment_id: Option<&str>, created_at: &str) {
    for persona in personas {
        persona.id = IdKind::Persona.new_id();
        persona.run_id = run_id.map(str::to_string);
        persona.experiment_id = experiment_id.map(str::to_string);
        persona.created_at = Some(created_at.to_string());
    }
}

/// Reports a step, unless the run was cancelled meanwhile.
fn step(progress: &dyn Progress, step: Step, message: &str) -> Result<(), Error> {
    if progress.cancelled() {
        return Err(Error::Cancelled);
    }
    progress.step(step, message);
    Ok(())
}
