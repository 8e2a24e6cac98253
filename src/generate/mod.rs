//! Generation: segmentation of participants, persona synthesis (provider `local` or an LLM),
//! and the run that ties ingestion, generation, quality and the output folder together.
//!
//! The types in `types.rs` are the contract between segmentation, the local synthesiser and the
//! LLM providers.

pub mod local;
pub mod options;
pub mod output;
pub mod providers;
mod rng;
pub mod run;
pub mod segment;
#[cfg(any(test, feature = "synthetic"))]
pub mod synthetic;
pub mod types;
/// Reading claims (question frames, hedges, polarity): shared with the quality score, so it
/// lives there.
pub use crate::quality::claim_text as text;

pub use output::{RunMetadata, write_run_output};
pub use run::{RunOutcome, RunRequest, assign_run_context, execute_corpus_run, execute_run};
pub use types::{
    CancelFlag, GenerationOutput, GenerationSettings, GroundingStats, NoProgress, Progress, Segment, Step, TokenUsage,
};
