//! The body and answer of `POST /api/v1/quality` and their validation; the evaluation the handler
//! runs once it has the personas is `quality::evaluate` / `evaluate_persona`.

use super::config::QualityConfig;
use super::input::PersonaInput;
use super::types::RunQuality;
use crate::domain::Persona;
use crate::domain::values::{Absent, absent_schema, decode_fields, exactly_one_of, id_schema, nullable_names};
use crate::error::Error;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most personas one request may score inline (distinctiveness compares every pair).
pub const MAX_INLINE_PERSONAS: usize = 100;

/// The body of `POST /api/v1/quality`: exactly one source (personas given inline, one stored
/// persona scored against the other personas of its run, or every persona of a stored run) and
/// an optional preset. Its schema is the `oneOf` of the three variants, so that a body the schema
/// allows has the shape the server reads.
#[derive(Debug, Clone, PartialEq, ToSchema)]
#[serde(untagged)]
pub enum QualityRequest {
    Inline(InlineQualityRequest),
    Persona(PersonaQualityRequest),
    Run(RunQualityRequest),
}

/// Personas given inline, scored together as one run.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InlineQualityRequest {
    /// Personas to score together, as one run (partial objects are accepted; see docs/quality.md).
    // 1 to MAX_INLINE_PERSONAS, as `validate` checks.
    #[schema(min_items = 1, max_items = 100)]
    pub personas: Vec<PersonaInput>,
    #[schema(schema_with = absent_schema)]
    pub persona_id: Option<Absent>,
    #[schema(schema_with = absent_schema)]
    pub run_id: Option<Absent>,
    #[schema(schema_with = preset_schema)]
    pub preset: Option<String>,
}

/// A stored persona, scored against the other personas of its run.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonaQualityRequest {
    /// A stored persona (`persona-…`).
    #[schema(schema_with = id_schema)]
    pub persona_id: String,
    #[schema(schema_with = absent_schema)]
    pub personas: Option<Absent>,
    #[schema(schema_with = absent_schema)]
    pub run_id: Option<Absent>,
    #[schema(schema_with = preset_schema)]
    pub preset: Option<String>,
}

/// Every persona of a stored run.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunQualityRequest {
    /// A stored run (`run-…`).
    #[schema(schema_with = id_schema)]
    pub run_id: String,
    #[schema(schema_with = absent_schema)]
    pub personas: Option<Absent>,
    #[schema(schema_with = absent_schema)]
    pub persona_id: Option<Absent>,
    #[schema(schema_with = preset_schema)]
    pub preset: Option<String>,
}

/// The documented `preset`: one of [`QualityConfig::PRESETS`], or `null` for the default.
fn preset_schema() -> utoipa::openapi::schema::ObjectBuilder {
    nullable_names(
        &QualityConfig::PRESETS,
        "`default` (when absent), `strict` or `lenient`.",
    )
}

impl QualityRequest {
    /// The sources a body gives exactly one of, in the variants' order.
    const SOURCES: [&str; 3] = ["personas", "persona_id", "run_id"];

    /// Reads a body: picks the variant by the source it gives (422 naming the sources when none
    /// or several are given), then reads its fields (422 naming the field at fault).
    pub fn parse(body: serde_json::Value) -> Result<QualityRequest, Error> {
        Ok(match exactly_one_of(&body, &Self::SOURCES, "personas", None)? {
            0 => QualityRequest::Inline(decode_fields(body)?),
            1 => QualityRequest::Persona(decode_fields(body)?),
            _ => QualityRequest::Run(decode_fields(body)?),
        })
    }
}

impl<'de> Deserialize<'de> for QualityRequest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let body = serde_json::Value::deserialize(deserializer)?;
        QualityRequest::parse(body).map_err(serde::de::Error::custom)
    }
}

/// Where the personas to score come from.
#[derive(Debug, Clone, PartialEq)]
pub enum QualitySource {
    Inline(Vec<Persona>),
    Persona(String),
    Run(String),
}

/// A request that passed validation: its source and a known preset name.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedQualityRequest {
    pub source: QualitySource,
    pub preset: String,
}

/// The scores, and the preset they were computed with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QualityResponse {
    pub preset: String,
    pub run: RunQuality,
}

impl QualityRequest {
    /// Checks the source (inline personas: 1 to [`MAX_INLINE_PERSONAS`]; ids non-blank) and that
    /// the preset is known. → `Error::Validation` naming the field.
    pub fn validate(self) -> Result<ValidatedQualityRequest, Error> {
        let non_blank = |field: &str, id: String| {
            if id.trim().is_empty() {
                Err(Error::validation(field, "must not be blank"))
            } else {
                Ok(id)
            }
        };
        let preset = match &self {
            QualityRequest::Inline(request) => request.preset.clone(),
            QualityRequest::Persona(request) => request.preset.clone(),
            QualityRequest::Run(request) => request.preset.clone(),
        }
        .unwrap_or_else(|| "default".to_string());
        QualityConfig::preset_or_error(&preset, "preset")?;
        let source = match self {
            QualityRequest::Inline(request) => {
                let personas = request.personas;
                if personas.is_empty() || personas.len() > MAX_INLINE_PERSONAS {
                    return Err(Error::validation(
                        "personas",
                        format!("must hold 1 to {MAX_INLINE_PERSONAS} personas (got {})", personas.len()),
                    ));
                }
                let personas = personas.into_iter().map(Persona::from).collect();
                QualitySource::Inline(personas)
            }
            QualityRequest::Persona(request) => QualitySource::Persona(non_blank("persona_id", request.persona_id)?),
            QualityRequest::Run(request) => QualitySource::Run(non_blank("run_id", request.run_id)?),
        };
        Ok(ValidatedQualityRequest { source, preset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::testing::{other_persona, persona};
    use crate::quality::{evaluate, evaluate_persona};
    use serde_json::json;

    fn request(body: serde_json::Value) -> Result<ValidatedQualityRequest, Error> {
        QualityRequest::parse(body)?.validate()
    }

    fn field_names(e: Error) -> Vec<String> {
        match e {
            Error::Validation { fields, .. } => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn exactly_one_source() {
        assert_eq!(field_names(request(json!({})).unwrap_err()), ["personas"]);
        assert_eq!(
            field_names(request(json!({"persona_id": "persona-1", "run_id": "run-1"})).unwrap_err()),
            ["persona_id", "run_id"]
        );
        assert_eq!(field_names(request(json!({"personas": []})).unwrap_err()), ["personas"]);
        assert_eq!(field_names(request(json!({"run_id": " "})).unwrap_err()), ["run_id"]);
        let ok = request(json!({"run_id": "run-abc", "preset": "strict"})).unwrap();
        assert_eq!(ok.source, QualitySource::Run("run-abc".into()));
        assert_eq!(ok.preset, "strict");
    }

    #[test]
    fn inline_partial_personas_and_default_preset() {
        let ok = request(json!({"personas": [{"name": "Alex Chen", "goals": ["Ship faster every week"]}]})).unwrap();
        assert_eq!(ok.preset, "default");
        let QualitySource::Inline(personas) = ok.source else {
            panic!("inline expected")
        };
        assert_eq!(personas[0].name, "Alex Chen");
        let response = evaluate(&personas, &ok.preset).unwrap();
        assert!(
            response.run.scores[0].dimensions["completeness"]
                .issues
                .contains(&"Missing required field: id".to_string())
        );
    }

    #[test]
    fn unknown_preset_and_unknown_fields_are_rejected() {
        assert_eq!(
            field_names(request(json!({"run_id": "run-1", "preset": "harsh"})).unwrap_err()),
            ["preset"]
        );
        assert!(serde_json::from_value::<QualityRequest>(json!({"run": "x"})).is_err());
        assert_eq!(field_names(evaluate(&[], "harsh").unwrap_err()), ["preset"]);
    }

    #[test]
    fn one_persona_against_its_run() {
        let run = [persona("a"), persona("b"), other_persona("c")];
        let response = evaluate_persona("persona-a", &run, "default").unwrap();
        assert_eq!(response.run.persona_count, 1);
        let full = evaluate(&run, "default").unwrap();
        assert_eq!(response.run.scores[0], full.run.scores[0]);
        assert_eq!(response.run.average_score, full.run.scores[0].overall_score);
        assert!(matches!(
            evaluate_persona("persona-zz", &run, "default"),
            Err(Error::NotFound { .. })
        ));
    }
}
