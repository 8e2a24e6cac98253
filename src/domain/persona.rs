//! The canonical persona JSON (design contract), used by the API, the CLI and the `personas` table.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A persona: one segment of the participants, every claim backed by verbatim evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Persona {
    pub id: String,
    pub name: String,
    pub title: String,
    pub summary: String,
    /// Dominant attribute values of the segment; numbers are given as ranges (`"age_range": "26-40"`).
    #[serde(default)]
    pub demographics: BTreeMap<String, String>,
    #[serde(default)]
    pub goals: Vec<String>,
    #[serde(default)]
    pub pain_points: Vec<String>,
    #[serde(default)]
    pub behaviours: Vec<String>,
    /// Positive feedback: what draws the segment, what already works for them.
    #[serde(default)]
    pub motivations: Vec<String>,
    /// Verbatim words of participants.
    #[serde(default)]
    pub quotes: Vec<String>,
    /// IDs of the participants this persona represents (its segment).
    #[serde(default)]
    pub participants: Vec<String>,
    #[serde(default)]
    pub segment_size: usize,
    /// At least one entry for every goal, pain point, behaviour, motivation and quote.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    pub provider: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Quality metrics, computed at the end of every run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub quality: Option<serde_json::Value>,
}

/// Which list of a persona an evidence entry supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceField {
    Goals,
    PainPoints,
    Behaviours,
    Motivations,
    Quotes,
}

impl EvidenceField {
    pub const ALL: [EvidenceField; 5] = [
        EvidenceField::Goals,
        EvidenceField::PainPoints,
        EvidenceField::Behaviours,
        EvidenceField::Motivations,
        EvidenceField::Quotes,
    ];

    /// The four claim lists (every field but quotes).
    pub const CLAIMS: [EvidenceField; 4] = [
        EvidenceField::Goals,
        EvidenceField::PainPoints,
        EvidenceField::Behaviours,
        EvidenceField::Motivations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceField::Goals => "goals",
            EvidenceField::PainPoints => "pain_points",
            EvidenceField::Behaviours => "behaviours",
            EvidenceField::Motivations => "motivations",
            EvidenceField::Quotes => "quotes",
        }
    }
}

/// One piece of source text supporting one claim of a persona.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    pub field: EvidenceField,
    /// Index of the claim within its field's list.
    #[serde(deserialize_with = "crate::domain::values::integral_usize")]
    #[schema(maximum = 4_294_967_295_u32)]
    pub index: usize,
    pub participant_id: String,
    /// Source file, relative to the data root.
    pub source: String,
    /// `line N` for text and CSV, a JSON pointer for JSON.
    pub location: String,
    /// The survey question or the interviewer's question this excerpt answers, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// Text that appears verbatim in the source (whitespace aside).
    pub excerpt: String,
}

impl Persona {
    /// The claims of one field.
    pub fn field_items(&self, field: EvidenceField) -> &[String] {
        match field {
            EvidenceField::Goals => &self.goals,
            EvidenceField::PainPoints => &self.pain_points,
            EvidenceField::Behaviours => &self.behaviours,
            EvidenceField::Motivations => &self.motivations,
            EvidenceField::Quotes => &self.quotes,
        }
    }

    /// Every claim (goals, pain points, behaviours, motivations) with its field and index.
    pub fn claims(&self) -> impl Iterator<Item = (EvidenceField, usize, &String)> {
        EvidenceField::CLAIMS
            .into_iter()
            .flat_map(move |f| self.field_items(f).iter().enumerate().map(move |(i, c)| (f, i, c)))
    }

    /// Claims (field, index) that have no evidence entry; empty for a well-formed persona.
    pub fn unevidenced_claims(&self) -> Vec<(EvidenceField, usize)> {
        let mut missing = Vec::new();
        for field in EvidenceField::ALL {
            for index in 0..self.field_items(field).len() {
                if !self.evidence.iter().any(|e| e.field == field && e.index == index) {
                    missing.push((field, index));
                }
            }
        }
        missing
    }
}

/// Collapses runs of whitespace to one space and trims, so that "verbatim, whitespace aside"
/// can be checked with a plain substring test.
pub fn normalise_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persona() -> Persona {
        Persona {
            motivations: Vec::new(),
            id: "persona-0123456789ab".into(),
            name: "Maya Okafor".into(),
            title: "The Road-Warrior Seller".into(),
            summary: "s".into(),
            demographics: BTreeMap::new(),
            goals: vec!["g".into()],
            pain_points: vec![],
            behaviours: vec![],
            quotes: vec!["q".into()],
            participants: vec!["P1".into()],
            segment_size: 1,
            evidence: vec![Evidence {
                question: None,
                field: EvidenceField::Goals,
                index: 0,
                participant_id: "P1".into(),
                source: "a.csv".into(),
                location: "line 2".into(),
                excerpt: "g".into(),
            }],
            provider: "local".into(),
            model: "local-v1".into(),
            experiment_id: None,
            run_id: None,
            created_at: None,
            quality: None,
        }
    }

    #[test]
    fn unevidenced_claims_are_reported() {
        assert_eq!(persona().unevidenced_claims(), vec![(EvidenceField::Quotes, 0)]);
    }

    #[test]
    fn json_uses_snake_case_fields_and_omits_unset_run_context() {
        let v = serde_json::to_value(persona()).unwrap();
        assert_eq!(v["evidence"][0]["field"], "goals");
        assert!(v.get("run_id").is_none());
        let back: Persona = serde_json::from_value(v).unwrap();
        assert_eq!(back, persona());
    }

    #[test]
    fn whitespace_is_normalised() {
        assert_eq!(normalise_whitespace("  a \n\t b  "), "a b");
    }
}
