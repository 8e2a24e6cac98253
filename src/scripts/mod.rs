//! Conversation scripts (peer §6): a deterministic, rule-based role-play card built from one
//! persona, audited for privacy leaks before any output is returned, and rendered as JSON/YAML,
//! a system prompt or a template. No LLM is called; the same persona gives a byte-identical
//! script (the script id is derived from the card's content).

mod card;
mod privacy;
mod render;
mod words;

pub use card::{
    CharacterCard, CommunicationStyle, Guidelines, Identity, KnowledgeBoundaries, Provenance, PsychologicalProfile,
    SYNTHETIC_MARKER, build_card, canned_phrases,
};
pub use privacy::{
    DEFAULT_THRESHOLD, Leakage, MIN_DIRECT_WORDS, MIN_OVERLAP_WORDS, MIN_PARAPHRASE_WORDS, PARAPHRASE_OVERLAP,
    PrivacyAudit, Severity, audit,
};
pub use render::{DEFAULT_TEMPLATE, RenderError, Template, system_prompt};

use crate::domain::Persona;
use crate::domain::values::{Absent, absent_schema, decode_fields, exactly_one_of, id_schema, nullable_names};
use crate::error::Error;
use crate::quality::PersonaInput;
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// What `output` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum ScriptFormat {
    /// The card as JSON (or YAML with `yaml`).
    #[default]
    CharacterCard,
    /// A system prompt for a chat model.
    SystemPrompt,
    /// A role-play brief rendered from a template (the built-in one unless given).
    #[value(alias = "jinja2_template")]
    Template,
}

impl ScriptFormat {
    pub const NAMES: [&'static str; 3] = ["character_card", "system_prompt", "template"];

    pub fn as_str(self) -> &'static str {
        match self {
            ScriptFormat::CharacterCard => "character_card",
            ScriptFormat::SystemPrompt => "system_prompt",
            ScriptFormat::Template => "template",
        }
    }

    /// Parses a format name (the peer's `jinja2_template` is accepted for `template`);
    /// a validation error naming `field` otherwise.
    pub fn parse(name: &str, field: &str) -> Result<ScriptFormat, Error> {
        match name {
            "character_card" => Ok(ScriptFormat::CharacterCard),
            "system_prompt" => Ok(ScriptFormat::SystemPrompt),
            "template" | "jinja2_template" => Ok(ScriptFormat::Template),
            other => Err(Error::validation(
                field,
                format!(
                    "unknown format '{other}' (expected one of: {})",
                    ScriptFormat::NAMES.join(", ")
                ),
            )),
        }
    }
}

impl fmt::Display for ScriptFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to produce a script.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptOptions {
    pub format: ScriptFormat,
    /// YAML instead of JSON; only with `character_card`.
    pub yaml: bool,
    /// Largest passing leakage score, 0–1.
    pub max_leakage_score: f64,
    /// A custom template for the `template` format (placeholders: see docs/quality.md).
    pub template: Option<String>,
}

impl Default for ScriptOptions {
    fn default() -> Self {
        ScriptOptions {
            format: ScriptFormat::CharacterCard,
            yaml: false,
            max_leakage_score: DEFAULT_THRESHOLD,
            template: None,
        }
    }
}

impl ScriptOptions {
    /// Threshold in [0, 1]; `yaml` only with `character_card`; a template only with `template`
    /// and well-formed. → `Error::Validation` naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        if !(0.0..=1.0).contains(&self.max_leakage_score) {
            return Err(Error::validation(
                "max_leakage_score",
                format!("must be between 0 and 1 (got {})", self.max_leakage_score),
            ));
        }
        if self.yaml && self.format != ScriptFormat::CharacterCard {
            return Err(Error::validation(
                "yaml",
                format!("applies to format character_card only (format is {})", self.format),
            ));
        }
        if let Some(template) = &self.template {
            if self.format != ScriptFormat::Template {
                return Err(Error::validation(
                    "template",
                    format!("applies to format template only (format is {})", self.format),
                ));
            }
            Template::parse(template).map_err(|e| Error::validation("template", e))?;
        }
        Ok(())
    }
}

/// A generated script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScriptResult {
    /// The card's id: derived from its content, so the same persona gives the same id.
    pub script_id: String,
    pub format: ScriptFormat,
    /// The script itself: card JSON/YAML, system prompt or rendered template.
    pub output: String,
    pub character_card: CharacterCard,
    pub privacy_audit: PrivacyAudit,
}

#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// Bad options (format, threshold, template). → 422 `validation_error`.
    #[error(transparent)]
    Validation(#[from] Error),
    /// The card leaks source material; nothing is returned. → 422 `privacy_audit_failed` with
    /// [`PrivacyAudit::error_details`].
    #[error("privacy audit failed: leakage score {:.3} exceeds the threshold {}", .0.leakage_score, .0.threshold)]
    PrivacyAuditFailed(PrivacyAudit),
}

/// Largest script [`generate_script`] renders (`server.max_script_bytes` by default): a small
/// template repeating a long list placeholder would otherwise expand without end.
pub const DEFAULT_MAX_SCRIPT_BYTES: usize = 1024 * 1024;

/// Builds the card of `persona`, audits it and renders the requested format.
pub fn generate_script(persona: &Persona, options: &ScriptOptions) -> Result<ScriptResult, ScriptError> {
    generate_script_bounded(persona, options, DEFAULT_MAX_SCRIPT_BYTES)
}

/// [`generate_script`] refusing (`Error::PayloadTooLarge`, before the memory is spent) any
/// script longer than `max_bytes`.
pub fn generate_script_bounded(
    persona: &Persona,
    options: &ScriptOptions,
    max_bytes: usize,
) -> Result<ScriptResult, ScriptError> {
    options.validate()?;
    let card = build_card(persona);
    let template = match (options.format, &options.template) {
        (ScriptFormat::Template, Some(custom)) => Some(Template::parse(custom)),
        (ScriptFormat::Template, None) => Some(Template::parse(DEFAULT_TEMPLATE)),
        _ => None,
    }
    .transpose()
    .map_err(|e| Error::validation("template", e))?;
    // Resolve the placeholders before the audit so that a bad template is reported as such.
    let rendered = template
        .map(|t| t.render_bounded(&card, max_bytes))
        .transpose()
        .map_err(|e| match e {
            RenderError::TooLarge => too_large(max_bytes),
            RenderError::Template(e) => Error::validation("template", e),
        })?;

    let privacy_audit = audit(&card, persona, options.max_leakage_score);
    if !privacy_audit.passed {
        return Err(ScriptError::PrivacyAuditFailed(privacy_audit));
    }
    let output = match options.format {
        ScriptFormat::CharacterCard if options.yaml => {
            yaml_serde::to_string(&card).map_err(|e| Error::internal(format!("yaml: {e}")))?
        }
        ScriptFormat::CharacterCard => serde_json::to_string_pretty(&card).map_err(Error::from)?,
        ScriptFormat::SystemPrompt => system_prompt(&card),
        ScriptFormat::Template => rendered.unwrap_or_default(),
    };
    if output.len() > max_bytes {
        return Err(too_large(max_bytes).into());
    }
    Ok(ScriptResult {
        script_id: card.id.clone(),
        format: options.format,
        output,
        character_card: card,
        privacy_audit,
    })
}

fn too_large(max_bytes: usize) -> Error {
    Error::PayloadTooLarge(format!(
        "the script would be larger than the limit of {max_bytes} bytes (server.max_script_bytes); \
         use a shorter template"
    ))
}

/// The body of `POST /api/v1/scripts`: a stored persona or one given inline (exactly one), and
/// the options. Its schema is the `oneOf` of the two variants, so that a body the schema allows
/// has the shape the server reads.
#[derive(Debug, Clone, ToSchema)]
#[serde(untagged)]
pub enum ScriptRequest {
    Stored(StoredScriptRequest),
    Inline(Box<InlineScriptRequest>),
}

/// A script of a stored persona.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoredScriptRequest {
    /// A stored persona (`persona-…`).
    #[schema(schema_with = id_schema)]
    pub persona_id: String,
    #[schema(schema_with = absent_schema)]
    pub persona: Option<Absent>,
    #[schema(schema_with = format_schema)]
    pub format: Option<String>,
    /// YAML instead of JSON, for `character_card` only.
    pub yaml: Option<bool>,
    /// Largest passing leakage score, 0–1 (default 0.1).
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub max_leakage_score: Option<f64>,
    /// A custom template, for `format: template` only.
    pub template: Option<String>,
}

/// A script of a persona given inline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InlineScriptRequest {
    /// A persona given inline (partial objects are accepted).
    pub persona: PersonaInput,
    #[schema(schema_with = absent_schema)]
    pub persona_id: Option<Absent>,
    #[schema(schema_with = format_schema)]
    pub format: Option<String>,
    /// YAML instead of JSON, for `character_card` only.
    pub yaml: Option<bool>,
    /// Largest passing leakage score, 0–1 (default 0.1).
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub max_leakage_score: Option<f64>,
    /// A custom template, for `format: template` only.
    pub template: Option<String>,
}

/// The documented `format`: one of [`ScriptFormat::NAMES`] (the parser also takes the peer's
/// `jinja2_template`), or `null` for `character_card`.
fn format_schema() -> utoipa::openapi::schema::ObjectBuilder {
    nullable_names(
        &ScriptFormat::NAMES,
        "`character_card` (default), `system_prompt` or `template`.",
    )
}

impl ScriptRequest {
    /// Reads a body: picks the variant by the source it gives (422 naming `persona` when none or
    /// both are given), then reads its fields (422 naming the field at fault).
    pub fn parse(body: serde_json::Value) -> Result<ScriptRequest, Error> {
        Ok(
            match exactly_one_of(&body, &["persona", "persona_id"], "persona", Some("persona"))? {
                0 => ScriptRequest::Inline(Box::new(decode_fields(body)?)),
                _ => ScriptRequest::Stored(decode_fields(body)?),
            },
        )
    }
}

impl<'de> Deserialize<'de> for ScriptRequest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let body = serde_json::Value::deserialize(deserializer)?;
        ScriptRequest::parse(body).map_err(serde::de::Error::custom)
    }
}

/// Where the persona of a script request comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ScriptSource {
    Inline(Box<Persona>),
    Stored(String),
}

/// A script request that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedScriptRequest {
    pub source: ScriptSource,
    pub options: ScriptOptions,
}

impl ScriptRequest {
    /// Checks the source (a stored persona's id is not blank) and the options.
    pub fn validate(self) -> Result<ValidatedScriptRequest, Error> {
        let (source, format, yaml, max_leakage_score, template) = match self {
            ScriptRequest::Stored(request) => {
                if request.persona_id.trim().is_empty() {
                    return Err(Error::validation("persona_id", "must not be blank"));
                }
                let source = ScriptSource::Stored(request.persona_id);
                (
                    source,
                    request.format,
                    request.yaml,
                    request.max_leakage_score,
                    request.template,
                )
            }
            ScriptRequest::Inline(request) => {
                let request = *request;
                let source = ScriptSource::Inline(Box::new(Persona::from(request.persona)));
                (
                    source,
                    request.format,
                    request.yaml,
                    request.max_leakage_score,
                    request.template,
                )
            }
        };
        let options = ScriptOptions {
            format: match &format {
                Some(name) => ScriptFormat::parse(name, "format")?,
                None => ScriptFormat::default(),
            },
            yaml: yaml.unwrap_or(false),
            max_leakage_score: max_leakage_score.unwrap_or(DEFAULT_THRESHOLD),
            template,
        };
        options.validate()?;
        Ok(ValidatedScriptRequest { source, options })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::testing::{other_persona, persona};
    use serde_json::json;

    fn options(format: ScriptFormat) -> ScriptOptions {
        ScriptOptions {
            format,
            ..ScriptOptions::default()
        }
    }

    fn validation_field(e: ScriptError) -> String {
        match e {
            ScriptError::Validation(Error::Validation { fields, .. }) => fields[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn character_card_json_keeps_the_card_key_order() {
        let result = generate_script(&persona("a"), &ScriptOptions::default()).unwrap();
        assert_eq!(result.format, ScriptFormat::CharacterCard);
        assert_eq!(result.script_id, result.character_card.id);
        let keys: Vec<&str> = [
            "\"id\"",
            "\"identity\"",
            "\"psychological_profile\"",
            "\"communication_style\"",
            "\"knowledge_boundaries\"",
            "\"guidelines\"",
            "\"provenance\"",
        ]
        .into_iter()
        .collect();
        let positions: Vec<usize> = keys.iter().map(|k| result.output.find(k).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{}", result.output);
        let back: CharacterCard = serde_json::from_str(&result.output).unwrap();
        assert_eq!(back, result.character_card);
        assert!(result.privacy_audit.passed);
    }

    #[test]
    fn yaml_card() {
        let opts = ScriptOptions {
            yaml: true,
            ..ScriptOptions::default()
        };
        let result = generate_script(&persona("a"), &opts).unwrap();
        assert!(
            result
                .output
                .starts_with(&format!("id: {}\nidentity:\n  name: Maya Okafor\n", result.script_id)),
            "{}",
            result.output
        );
        assert!(result.output.find("\nprovenance:").unwrap() > result.output.find("\nguidelines:").unwrap());
        let back: CharacterCard = yaml_serde::from_str(&result.output).unwrap();
        assert_eq!(back, result.character_card);
    }

    #[test]
    fn system_prompt_and_template_formats() {
        let prompt = generate_script(&persona("a"), &options(ScriptFormat::SystemPrompt)).unwrap();
        assert!(
            prompt
                .output
                .starts_with("You are Maya Okafor, The Road-Warrior Seller.\n")
        );
        let template = generate_script(&persona("a"), &options(ScriptFormat::Template)).unwrap();
        assert!(template.output.contains("Role-play brief: Maya Okafor"));
        let custom = ScriptOptions {
            template: Some("{{identity.name}}: {{psychological_profile.goals}}".into()),
            ..options(ScriptFormat::Template)
        };
        assert_eq!(
            generate_script(&other_persona("b"), &custom).unwrap().output,
            "Jonas Berg: - seeks work-life harmony\n- goal-oriented"
        );
    }

    #[test]
    fn scripts_are_byte_identical_across_runs() {
        for format in [
            ScriptFormat::CharacterCard,
            ScriptFormat::SystemPrompt,
            ScriptFormat::Template,
        ] {
            let a = generate_script(&persona("a"), &options(format)).unwrap();
            let b = generate_script(&persona("a"), &options(format)).unwrap();
            assert_eq!(a.output, b.output);
            assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
        }
    }

    #[test]
    fn leaks_block_the_script() {
        let mut p = persona("a");
        p.title = "I spend my evenings typing up notes".into();
        let Err(ScriptError::PrivacyAuditFailed(audit)) = generate_script(&p, &ScriptOptions::default()) else {
            panic!("expected the audit to block");
        };
        assert_eq!(audit.leakages[0].kind, "sequence_overlap");
        assert_eq!(audit.error_details()["threshold"], 0.1);
        // … unless the caller accepts that much leakage
        let lax = ScriptOptions {
            max_leakage_score: 0.5,
            ..ScriptOptions::default()
        };
        assert!(generate_script(&p, &lax).is_ok());

        let mut p = persona("a");
        p.demographics.insert("location".into(), "maya@example.org".into());
        let err = generate_script(&p, &options(ScriptFormat::SystemPrompt)).unwrap_err();
        assert!(
            err.to_string().starts_with("privacy audit failed: leakage score 0.500"),
            "{err}"
        );
    }

    #[test]
    fn options_are_validated() {
        let p = persona("a");
        let bad = |o: ScriptOptions| validation_field(generate_script(&p, &o).unwrap_err());
        assert_eq!(
            bad(ScriptOptions {
                max_leakage_score: 1.5,
                ..ScriptOptions::default()
            }),
            "max_leakage_score"
        );
        assert_eq!(
            bad(ScriptOptions {
                max_leakage_score: f64::NAN,
                ..ScriptOptions::default()
            }),
            "max_leakage_score"
        );
        assert_eq!(
            bad(ScriptOptions {
                yaml: true,
                ..options(ScriptFormat::SystemPrompt)
            }),
            "yaml"
        );
        assert_eq!(
            bad(ScriptOptions {
                template: Some("x".into()),
                ..ScriptOptions::default()
            }),
            "template"
        );
        assert_eq!(
            bad(ScriptOptions {
                template: Some("{{nope}}".into()),
                ..options(ScriptFormat::Template)
            }),
            "template"
        );
    }

    #[test]
    fn requests_are_validated() {
        let parse = |v: serde_json::Value| ScriptRequest::parse(v)?.validate();
        let field = |r: Result<ValidatedScriptRequest, Error>| match r.unwrap_err() {
            Error::Validation { fields, .. } => fields[0].field.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(field(parse(json!({}))), "persona");
        assert_eq!(
            field(parse(json!({"persona_id": "persona-1", "persona": {}}))),
            "persona"
        );
        assert_eq!(
            field(parse(json!({"persona_id": "persona-1", "format": "jinja"}))),
            "format"
        );
        assert_eq!(
            field(parse(json!({"persona_id": "persona-1", "max_leakage_score": -0.1}))),
            "max_leakage_score"
        );
        let ok = parse(json!({"persona": {"name": "Alex Chen", "goals": ["Learn Rust"]}, "format": "jinja2_template"}))
            .unwrap();
        assert_eq!(ok.options.format, ScriptFormat::Template);
        let ScriptSource::Inline(p) = ok.source else {
            panic!("inline expected")
        };
        assert_eq!(p.name, "Alex Chen");
        let stored = parse(json!({"persona_id": "persona-1", "yaml": true})).unwrap();
        assert_eq!(stored.source, ScriptSource::Stored("persona-1".into()));
        assert!(stored.options.yaml);
    }
}
