//! Scoring configuration: the peer's `QualityConfig` with its default, strict and lenient presets.

use crate::domain::Persona;
use crate::error::{Error, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The five quality dimensions, in the order the peer reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dimension {
    Completeness,
    Consistency,
    EvidenceStrength,
    Distinctiveness,
    Realism,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Dimension::Completeness,
        Dimension::Consistency,
        Dimension::EvidenceStrength,
        Dimension::Distinctiveness,
        Dimension::Realism,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Completeness => "completeness",
            Dimension::Consistency => "consistency",
            Dimension::EvidenceStrength => "evidence_strength",
            Dimension::Distinctiveness => "distinctiveness",
            Dimension::Realism => "realism",
        }
    }
}

/// Weight of each dimension in the overall score; they sum to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DimensionWeights {
    pub completeness: f64,
    pub consistency: f64,
    pub evidence_strength: f64,
    pub distinctiveness: f64,
    pub realism: f64,
}

impl DimensionWeights {
    pub fn get(&self, dimension: Dimension) -> f64 {
        match dimension {
            Dimension::Completeness => self.completeness,
            Dimension::Consistency => self.consistency,
            Dimension::EvidenceStrength => self.evidence_strength,
            Dimension::Distinctiveness => self.distinctiveness,
            Dimension::Realism => self.realism,
        }
    }
}

impl Default for DimensionWeights {
    fn default() -> Self {
        DimensionWeights {
            completeness: 0.25,
            consistency: 0.20,
            evidence_strength: 0.25,
            distinctiveness: 0.15,
            realism: 0.15,
        }
    }
}

/// Lowest overall score of each level, checked top-down; below `poor` is `failing`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LevelThresholds {
    pub excellent: f64,
    pub good: f64,
    pub acceptable: f64,
    pub poor: f64,
}

/// Quality level of an overall score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum QualityLevel {
    Excellent,
    Good,
    Acceptable,
    Poor,
    Failing,
}

impl QualityLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            QualityLevel::Excellent => "excellent",
            QualityLevel::Good => "good",
            QualityLevel::Acceptable => "acceptable",
            QualityLevel::Poor => "poor",
            QualityLevel::Failing => "failing",
        }
    }

    /// excellent, good and acceptable pass; poor and failing do not.
    pub fn is_passing(self) -> bool {
        matches!(
            self,
            QualityLevel::Excellent | QualityLevel::Good | QualityLevel::Acceptable
        )
    }
}

/// Persona fields that `required_fields` / `expected_fields` may name.
pub const KNOWN_FIELDS: [&str; 13] = [
    "id",
    "name",
    "title",
    "summary",
    "demographics",
    "goals",
    "pain_points",
    "behaviours",
    "quotes",
    "participants",
    "evidence",
    "provider",
    "model",
];

/// Whether a persona field has content: strings non-blank, lists and maps non-empty.
/// `None` for a name that is not a persona field.
pub fn field_has_content(persona: &Persona, field: &str) -> Option<bool> {
    let text = |s: &str| !s.trim().is_empty();
    Some(match field {
        "id" => text(&persona.id),
        "name" => text(&persona.name),
        "title" => text(&persona.title),
        "summary" => text(&persona.summary),
        "provider" => text(&persona.provider),
        "model" => text(&persona.model),
        "demographics" => !persona.demographics.is_empty(),
        "goals" => !persona.goals.is_empty(),
        "pain_points" => !persona.pain_points.is_empty(),
        "behaviours" => !persona.behaviours.is_empty(),
        "quotes" => !persona.quotes.is_empty(),
        "participants" => !persona.participants.is_empty(),
        "evidence" => !persona.evidence.is_empty(),
        _ => return None,
    })
}

/// Everything the metrics depend on. Build it with [`QualityConfig::preset`] or `default()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QualityConfig {
    pub required_fields: Vec<String>,
    pub expected_fields: Vec<String>,
    pub min_goals: usize,
    pub min_pain_points: usize,
    pub min_behaviours: usize,
    pub min_quotes: usize,
    /// Share of claims (0–1) that must carry evidence before an issue is raised.
    pub min_evidence_coverage: f64,
    /// Similarity (0–1) to another persona of the run above which an issue is raised.
    pub max_similarity_threshold: f64,
    pub weights: DimensionWeights,
    pub thresholds: LevelThresholds,
}

impl Default for QualityConfig {
    fn default() -> Self {
        QualityConfig {
            required_fields: vec!["id".into(), "name".into()],
            expected_fields: ["demographics", "goals", "pain_points", "behaviours", "quotes"]
                .map(String::from)
                .to_vec(),
            min_goals: 2,
            min_pain_points: 1,
            min_behaviours: 1,
            min_quotes: 1,
            min_evidence_coverage: 0.5,
            max_similarity_threshold: 0.70,
            weights: DimensionWeights::default(),
            thresholds: LevelThresholds {
                excellent: 90.0,
                good: 75.0,
                acceptable: 60.0,
                poor: 40.0,
            },
        }
    }
}

impl QualityConfig {
    /// Names accepted by [`QualityConfig::preset`].
    pub const PRESETS: [&'static str; 3] = ["default", "strict", "lenient"];

    /// The named preset (`default`, `strict`, `lenient`), or `None` for an unknown name.
    pub fn preset(name: &str) -> Option<QualityConfig> {
        match name {
            "default" => Some(QualityConfig::default()),
            "strict" => Some(QualityConfig {
                min_goals: 3,
                min_pain_points: 2,
                min_behaviours: 2,
                min_quotes: 2,
                min_evidence_coverage: 0.7,
                max_similarity_threshold: 0.50,
                thresholds: LevelThresholds {
                    excellent: 95.0,
                    good: 85.0,
                    acceptable: 70.0,
                    poor: 50.0,
                },
                ..QualityConfig::default()
            }),
            "lenient" => Some(QualityConfig {
                min_goals: 1,
                min_pain_points: 1,
                min_behaviours: 0,
                min_quotes: 0,
                min_evidence_coverage: 0.3,
                max_similarity_threshold: 0.80,
                thresholds: LevelThresholds {
                    excellent: 85.0,
                    good: 70.0,
                    acceptable: 50.0,
                    poor: 30.0,
                },
                ..QualityConfig::default()
            }),
            _ => None,
        }
    }

    /// Like [`QualityConfig::preset`], with a validation error naming `field` for an unknown name.
    pub fn preset_or_error(name: &str, field: &str) -> Result<QualityConfig, Error> {
        QualityConfig::preset(name).ok_or_else(|| {
            Error::validation(
                field,
                format!(
                    "unknown preset '{name}' (expected one of: {})",
                    QualityConfig::PRESETS.join(", ")
                ),
            )
        })
    }

    /// The level of an overall score.
    pub fn level(&self, score: f64) -> QualityLevel {
        let t = &self.thresholds;
        if score >= t.excellent {
            QualityLevel::Excellent
        } else if score >= t.good {
            QualityLevel::Good
        } else if score >= t.acceptable {
            QualityLevel::Acceptable
        } else if score >= t.poor {
            QualityLevel::Poor
        } else {
            QualityLevel::Failing
        }
    }

    /// The peer's checks: weights sum to 1 (± 0.01) and are non-negative, thresholds strictly
    /// descending within 0–100, coverage and similarity in [0, 1], field names known.
    pub fn validate(&self) -> Result<(), Error> {
        let mut bad = Vec::new();
        let mut flag = |field: &str, message: String| {
            bad.push(FieldError {
                field: field.to_string(),
                message,
            })
        };
        let weights: Vec<f64> = Dimension::ALL.iter().map(|d| self.weights.get(*d)).collect();
        let sum: f64 = weights.iter().sum();
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) || (sum - 1.0).abs() > 0.01 {
            flag(
                "weights",
                format!("must be non-negative and sum to 1 (sum is {sum:.3})"),
            );
        }
        let t = &self.thresholds;
        let levels = [t.excellent, t.good, t.acceptable, t.poor];
        if levels.iter().any(|v| !(0.0..=100.0).contains(v)) || levels.windows(2).any(|w| w[0] <= w[1]) {
            flag(
                "thresholds",
                "must be strictly descending (excellent > good > acceptable > poor) within 0-100".into(),
            );
        }
        if !(0.0..=1.0).contains(&self.min_evidence_coverage) {
            flag("min_evidence_coverage", "must be between 0 and 1".into());
        }
        if !(0.0..=1.0).contains(&self.max_similarity_threshold) {
            flag("max_similarity_threshold", "must be between 0 and 1".into());
        }
        for (list, names) in [
            ("required_fields", &self.required_fields),
            ("expected_fields", &self.expected_fields),
        ] {
            for name in names.iter().filter(|n| !KNOWN_FIELDS.contains(&n.as_str())) {
                flag(list, format!("'{name}' is not a persona field"));
            }
        }
        if bad.is_empty() {
            return Ok(());
        }
        let message = bad
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        Err(Error::Validation { message, fields: bad })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_match_the_peer_table() {
        let d = QualityConfig::preset("default").unwrap();
        assert_eq!(d, QualityConfig::default());
        assert_eq!(
            (d.min_goals, d.min_pain_points, d.min_behaviours, d.min_quotes),
            (2, 1, 1, 1)
        );
        assert_eq!((d.min_evidence_coverage, d.max_similarity_threshold), (0.5, 0.70));
        let s = QualityConfig::preset("strict").unwrap();
        assert_eq!(
            (s.min_goals, s.min_pain_points, s.min_behaviours, s.min_quotes),
            (3, 2, 2, 2)
        );
        assert_eq!((s.min_evidence_coverage, s.max_similarity_threshold), (0.7, 0.50));
        assert_eq!(s.thresholds.excellent, 95.0);
        let l = QualityConfig::preset("lenient").unwrap();
        assert_eq!(
            (l.min_goals, l.min_pain_points, l.min_behaviours, l.min_quotes),
            (1, 1, 0, 0)
        );
        assert_eq!((l.min_evidence_coverage, l.max_similarity_threshold), (0.3, 0.80));
        assert_eq!(l.thresholds.poor, 30.0);
        assert!(QualityConfig::preset("Strict").is_none());
        for name in QualityConfig::PRESETS {
            QualityConfig::preset(name).unwrap().validate().unwrap();
        }
    }

    #[test]
    fn weights_are_the_peer_weights() {
        let w = DimensionWeights::default();
        assert_eq!(Dimension::ALL.map(|d| w.get(d)), [0.25, 0.20, 0.25, 0.15, 0.15]);
    }

    #[test]
    fn levels_are_checked_top_down() {
        let d = QualityConfig::default();
        assert_eq!(d.level(90.0), QualityLevel::Excellent);
        assert_eq!(d.level(89.99), QualityLevel::Good);
        assert_eq!(d.level(75.0), QualityLevel::Good);
        assert_eq!(d.level(60.0), QualityLevel::Acceptable);
        assert_eq!(d.level(40.0), QualityLevel::Poor);
        assert_eq!(d.level(39.99), QualityLevel::Failing);
        let s = QualityConfig::preset("strict").unwrap();
        assert_eq!(s.level(90.0), QualityLevel::Good);
        assert_eq!(s.level(65.0), QualityLevel::Poor);
        let l = QualityConfig::preset("lenient").unwrap();
        assert_eq!(l.level(50.0), QualityLevel::Acceptable);
        assert_eq!(l.level(29.0), QualityLevel::Failing);
        assert!(QualityLevel::Acceptable.is_passing() && !QualityLevel::Poor.is_passing());
    }

    #[test]
    fn validation_names_each_bad_field() {
        let mut c = QualityConfig::default();
        c.weights.realism = 0.5;
        c.thresholds.good = 95.0;
        c.min_evidence_coverage = 1.5;
        c.expected_fields.push("hobbies".into());
        let Err(Error::Validation { fields, .. }) = c.validate() else {
            panic!("expected a validation error");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            names,
            ["weights", "thresholds", "min_evidence_coverage", "expected_fields"]
        );
    }

    #[test]
    fn unknown_preset_is_a_validation_error_on_the_field() {
        let Err(Error::Validation { fields, message }) = QualityConfig::preset_or_error("tough", "preset") else {
            panic!("expected a validation error");
        };
        assert_eq!(fields[0].field, "preset");
        assert!(message.contains("default, strict, lenient"), "{message}");
    }
}
