//! The types that are the contract between segmentation, the local synthesiser and the LLM
//! providers, and what a run reports while it runs.

use crate::domain::Persona;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a run asks for (from the CLI flags or a job's request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationSettings {
    /// Personas requested (1–20).
    pub count: usize,
    pub seed: u64,
    /// `local`, `openai`, `anthropic`, `gemini` or `ollama`.
    pub provider: String,
    /// `None`: the provider's configured default.
    pub model: Option<String>,
    /// Free-form generation options from the request's `config` object.
    #[serde(default)]
    pub options: serde_json::Map<String, serde_json::Value>,
}

/// A group of participants that becomes one persona.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// 0-based, in output order.
    pub index: usize,
    /// Sorted participant IDs.
    pub participant_ids: Vec<String>,
    /// Terms that set this segment apart, most distinctive first.
    pub top_terms: Vec<String>,
    /// Dominant attribute values (numbers as ranges).
    pub demographics: BTreeMap<String, String>,
    /// Indices into `Corpus::utterances` of this segment's utterances, most representative first.
    pub utterances: Vec<usize>,
}

/// Tokens used by LLM calls of a run (zero for `local`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub requests: u64,
}

impl TokenUsage {
    pub fn add(&mut self, other: TokenUsage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.requests += other.requests;
    }
}

/// What grounding removed from model output (zero for `local`, which only ever quotes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundingStats {
    pub quotes_removed: u64,
    pub evidence_removed: u64,
    pub claims_dropped: u64,
    /// Of the claims dropped, those whose cited excerpts do not say what they claim (their
    /// words overlap less than `llm.claim_support_threshold`).
    #[serde(default)]
    pub claims_unsupported: u64,
}

impl GroundingStats {
    pub fn add(&mut self, other: GroundingStats) {
        self.quotes_removed += other.quotes_removed;
        self.evidence_removed += other.evidence_removed;
        self.claims_dropped += other.claims_dropped;
        self.claims_unsupported += other.claims_unsupported;
    }
}

/// Pipeline steps, reported to a progress sink with their percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Ingesting,
    Segmenting,
    Synthesising,
    Scoring,
    Writing,
    Done,
}

impl Step {
    /// Progress (0–100) reached when this step starts.
    pub fn progress(self) -> u8 {
        match self {
            Step::Ingesting => 5,
            Step::Segmenting => 25,
            Step::Synthesising => 45,
            Step::Scoring => 85,
            Step::Writing => 92,
            Step::Done => 100,
        }
    }
}

/// Receives progress and is asked, between steps, whether to stop.
pub trait Progress: Send + Sync {
    fn step(&self, step: Step, message: &str);
    /// What a step is doing within itself ("persona 2 of 5: asking openai/…"): the CLI prints
    /// it like a step; the server streams it as a `message` event.
    fn detail(&self, step: Step, message: &str) {
        self.step(step, message);
    }
    fn cancelled(&self) -> bool {
        false
    }
}

/// A progress sink that ignores everything (library callers that do not care).
pub struct NoProgress;

impl Progress for NoProgress {
    fn step(&self, _step: Step, _message: &str) {}
}

/// A shareable cancellation flag.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The personas of a run and what was learnt producing them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationOutput {
    pub personas: Vec<Persona>,
    pub provider: String,
    pub model: String,
    pub warnings: Vec<String>,
    pub usage: TokenUsage,
    pub grounding: GroundingStats,
}
