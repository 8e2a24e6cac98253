//! Experiments as the API answers them: the documented request body and the views of
//! experiments, runs and deletions.

use crate::domain::Persona;
use crate::domain::values::nullable;
use crate::service::experiments::{
    DataSources, Description, ExperimentName, ExperimentSummary, ExperimentWithRuns, Removed, Run, RunStatus,
    RunWithPersonas,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The body of `POST /api/v1/experiments`, for the OpenAPI document: derived from the types
/// whose limits `service::experiments::check_new` reads the body with.
#[derive(Debug, Clone, ToSchema)]
pub struct CreateExperimentBody {
    #[schema(inline)]
    pub name: ExperimentName,
    #[schema(schema_with = nullable::<Description>)]
    pub description: Option<Description>,
    #[schema(schema_with = nullable::<DataSources>)]
    pub data_sources: Option<DataSources>,
    #[schema(schema_with = crate::service::experiments::config_schema)]
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

impl From<ExperimentWithRuns> for ExperimentDetail {
    fn from(found: ExperimentWithRuns) -> ExperimentDetail {
        ExperimentDetail {
            experiment: found.summary.into(),
            runs: found.runs.iter().map(RunSummaryView::from).collect(),
        }
    }
}

impl From<RunWithPersonas> for RunDetailView {
    fn from(found: RunWithPersonas) -> RunDetailView {
        let RunWithPersonas { run, personas } = found;
        RunDetailView {
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
        }
    }
}

impl ExperimentDeleted {
    pub fn new(id: &str, removed: Removed) -> ExperimentDeleted {
        ExperimentDeleted {
            success: true,
            message: format!("Experiment {id} deleted successfully"),
            deleted: DeletedCounts {
                jobs: removed.rows.jobs,
                runs: removed.rows.runs,
                personas: removed.rows.personas,
                output_folders: removed.output_folders,
            },
        }
    }
}
