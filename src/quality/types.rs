//! The results of scoring: a metric's raw measurement, and the scores of a dimension, a persona
//! and a run (what `quality::score_run` returns and the API answers).

use super::config::QualityLevel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One metric's raw result, before weighting and rounding.
pub(crate) struct Measurement {
    pub score: f64,
    pub issues: Vec<String>,
    pub details: serde_json::Value,
}

/// One dimension of a persona's quality. Scores are 0–100, rounded to 2 decimals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DimensionScore {
    pub score: f64,
    pub weight: f64,
    /// `score × weight` (of the unrounded score), rounded to 2 decimals.
    pub weighted_contribution: f64,
    /// Human-readable findings, e.g. `Insufficient goals: 1/2`.
    pub issues: Vec<String>,
    /// Sub-scores and counts behind the score; see docs/quality.md per dimension.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// The quality of one persona: the weighted overall score, its level and each dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QualityScore {
    pub persona_id: String,
    pub persona_name: String,
    /// Σ score × weight over the five dimensions, 0–100, rounded to 2 decimals.
    pub overall_score: f64,
    pub level: QualityLevel,
    /// `completeness`, `consistency`, `distinctiveness`, `evidence_strength`, `realism`.
    pub dimensions: BTreeMap<String, DimensionScore>,
}

/// The quality of a run's personas, with averages and the pairwise similarity matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RunQuality {
    pub persona_count: usize,
    pub average_score: f64,
    pub average_by_dimension: BTreeMap<String, f64>,
    /// Personas whose level is excellent, good or acceptable.
    pub passing_count: usize,
    /// Personas whose level is poor or failing.
    pub failing_count: usize,
    /// `matrix[i][j]` = similarity (0–100) of persona i to persona j; the diagonal is 100.
    pub distinctiveness_matrix: Vec<Vec<f64>>,
    /// One score per persona, in run order.
    pub scores: Vec<QualityScore>,
}
