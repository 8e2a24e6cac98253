//! The generation options of a run's `config` object (API, experiments) or CLI flags, with
//! their defaults from `[generation]`. Every key listed in [`KNOWN_KEYS`] changes the output;
//! any other key is refused, so that nothing is silently ignored.

use crate::config::GenerationDefaults;
use crate::error::FieldError;
use serde_json::{Map, Value};
use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};

/// The keys a `config` object may hold.
/// `interviewers` is read by ingestion (speakers who only ask; see docs/ingest.md); `fallback`
/// by the LLM providers (`local` or `fail`; see docs/providers.md).
pub const KNOWN_KEYS: &[&str] = &[
    "detail_level",
    "complexity",
    "min_segment_size",
    "min_claims",
    "interviewers",
    "fallback",
];
pub use crate::config::DETAIL_LEVELS;
pub const COMPLEXITIES: &[&str] = &["simple", "moderate", "complex"];
/// Upper bound of `min_segment_size` and `min_claims` (higher would drop every persona).
pub const MAX_MINIMUM: u64 = 1_000;

/// How many claims per list (goals, pain points, behaviours, motivations) and quotes a persona gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailLevel {
    Brief,
    Standard,
    Detailed,
}

impl DetailLevel {
    /// (most items per list, items filled with claims without distinctive terms).
    pub fn items(self) -> (usize, usize) {
        match self {
            DetailLevel::Brief => (3, 2),
            DetailLevel::Standard => (5, 3),
            DetailLevel::Detailed => (8, 4),
        }
    }
}

/// How long a claim may be before it is cut to its clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Complexity {
    Simple,
    Moderate,
    Complex,
}

impl Complexity {
    pub fn max_claim_words(self) -> usize {
        match self {
            Complexity::Simple => 20,
            Complexity::Moderate => 40,
            Complexity::Complex => 60,
        }
    }
}

/// The options in effect for one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerationOptions {
    pub detail_level: DetailLevel,
    pub complexity: Complexity,
    /// Segments with fewer participants give no persona (merged away or dropped, with a warning).
    pub min_segment_size: usize,
    /// Personas with fewer goals + pain points + behaviours + motivations are dropped, with a warning.
    pub min_claims: usize,
}

impl Default for GenerationOptions {
    fn default() -> Self {
        GenerationOptions {
            detail_level: DetailLevel::Standard,
            complexity: Complexity::Moderate,
            min_segment_size: 2,
            min_claims: 2,
        }
    }
}

impl GenerationOptions {
    /// Whether `min_claims` or `min_segment_size` is below its default: the run asks for every
    /// persona however thin, so none is dropped for soundness and the last one is always kept.
    pub fn asks_for_every_persona(&self) -> bool {
        let defaults = GenerationOptions::default();
        self.min_claims < defaults.min_claims || self.min_segment_size < defaults.min_segment_size
    }
}

fn parse_detail_level(s: &str) -> Option<DetailLevel> {
    match s {
        "brief" => Some(DetailLevel::Brief),
        "standard" => Some(DetailLevel::Standard),
        "detailed" => Some(DetailLevel::Detailed),
        _ => None,
    }
}

fn parse_complexity(s: &str) -> Option<Complexity> {
    match s {
        "simple" => Some(Complexity::Simple),
        "moderate" => Some(Complexity::Moderate),
        "complex" => Some(Complexity::Complex),
        _ => None,
    }
}

/// A `min_segment_size` or `min_claims` value: an integer (`3.0` counts, as in JSON Schema)
/// from 1 to [`MAX_MINIMUM`].
fn minimum_of(value: &Value) -> Option<u64> {
    crate::domain::values::integer(value)
        .and_then(|n| u64::try_from(n).ok())
        .filter(|n| (1..=MAX_MINIMUM).contains(n))
}

/// The problems of a `config` object, one per key (field named `config.<key>`).
pub fn check(config: &Map<String, Value>) -> Vec<FieldError> {
    let mut fields = Vec::new();
    for (key, value) in config {
        let field = format!("config.{key}");
        let problem = match key.as_str() {
            "detail_level" => value
                .as_str()
                .and_then(parse_detail_level)
                .is_none()
                .then(|| format!("must be one of {}", DETAIL_LEVELS.join(", "))),
            "complexity" => value
                .as_str()
                .and_then(parse_complexity)
                .is_none()
                .then(|| format!("must be one of {}", COMPLEXITIES.join(", "))),
            "min_segment_size" | "min_claims" => minimum_of(value)
                .is_none()
                .then(|| format!("must be an integer from 1 to {MAX_MINIMUM}")),
            "interviewers" => match value {
                Value::String(_) => None,
                Value::Array(items) if items.iter().all(Value::is_string) => None,
                _ => Some("must be a list of names or a comma-separated string".to_string()),
            },
            "fallback" => {
                (!matches!(value.as_str(), Some("local" | "fail"))).then(|| "must be \"local\" or \"fail\"".to_string())
            }
            _ => Some(format!(
                "is not a known generation option (known: {})",
                KNOWN_KEYS.join(", ")
            )),
        };
        if let Some(message) = problem {
            fields.push(FieldError::new(field, message));
        }
    }
    fields
}

/// The schema of a `config` object as [`check`] accepts it: the known options, each with its
/// values, and no other key. Callers add their own keys (an experiment's settings) before
/// building it.
pub fn config_schema() -> ObjectBuilder {
    let names = |values: &[&str]| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values.to_vec()))
    };
    let minimum = || {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX_MINIMUM))
    };
    let interviewers = OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("detail_level", names(DETAIL_LEVELS))
        .property("complexity", names(COMPLEXITIES))
        .property("min_segment_size", minimum())
        .property("min_claims", minimum())
        .property("interviewers", interviewers)
        .property("fallback", names(&["local", "fail"]))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .description(Some(
            "Generation options (at most 16 KiB of JSON): `detail_level`, `complexity`, \
             `min_segment_size`, `min_claims`, `interviewers`, `fallback`; see docs/api.md.",
        ))
}

/// Fills the keys a request left out with the configured defaults, so that the run's
/// `metadata.json` records every option in effect.
pub fn with_defaults(config: &Map<String, Value>, defaults: &GenerationDefaults) -> Map<String, Value> {
    let mut out = config.clone();
    let mut default = |key: &str, value: Value| {
        out.entry(key.to_string()).or_insert(value);
    };
    default("detail_level", Value::from(defaults.detail_level.clone()));
    default("complexity", Value::from("moderate"));
    default("min_segment_size", Value::from(defaults.min_segment_size));
    default("min_claims", Value::from(defaults.min_claims));
    out
}

/// The options of a checked `config` object; keys left out (or invalid, which [`check`]
/// refuses before a run starts) take the built-in defaults.
pub fn parse(config: &Map<String, Value>) -> GenerationOptions {
    let mut options = GenerationOptions::default();
    if let Some(level) = config
        .get("detail_level")
        .and_then(Value::as_str)
        .and_then(parse_detail_level)
    {
        options.detail_level = level;
    }
    if let Some(c) = config
        .get("complexity")
        .and_then(Value::as_str)
        .and_then(parse_complexity)
    {
        options.complexity = c;
    }
    let minimum = |key: &str| config.get(key).and_then(minimum_of).map(|n| n as usize);
    if let Some(n) = minimum("min_segment_size") {
        options.min_segment_size = n;
    }
    if let Some(n) = minimum("min_claims") {
        options.min_claims = n;
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn known_keys_parse_and_unknown_keys_are_named() {
        let ok = map(json!({"detail_level": "brief", "complexity": "simple", "min_claims": 3}));
        assert!(check(&ok).is_empty());
        let o = parse(&ok);
        assert_eq!(o.detail_level, DetailLevel::Brief);
        assert_eq!(o.complexity, Complexity::Simple);
        assert_eq!(o.min_claims, 3);
        assert_eq!(o.min_segment_size, 2);
        let bad = check(&map(
            json!({"detail_level": "huge", "tone": "x", "min_claims": 0, "complexity": 1}),
        ));
        let fields: Vec<&str> = bad.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "config.detail_level",
                "config.tone",
                "config.min_claims",
                "config.complexity"
            ]
        );
        assert!(bad[1].message.contains("not a known generation option"));
    }

    #[test]
    fn the_documented_config_schema_lists_every_known_key_and_integral_numbers_count() {
        let schema = serde_json::to_value(config_schema().build()).unwrap();
        let documented: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(documented, KNOWN_KEYS);
        assert_eq!(schema["additionalProperties"], json!(false));
        assert!(check(&map(json!({"min_claims": 903.0}))).is_empty());
        assert_eq!(parse(&map(json!({"min_segment_size": 4.0}))).min_segment_size, 4);
        assert_eq!(check(&map(json!({"min_claims": 2.5}))).len(), 1);
    }

    #[test]
    fn defaults_fill_only_missing_keys() {
        let defaults = GenerationDefaults {
            detail_level: "detailed".into(),
            ..GenerationDefaults::default()
        };
        let filled = with_defaults(&map(json!({"min_claims": 4})), &defaults);
        assert_eq!(filled["detail_level"], "detailed");
        assert_eq!(filled["min_claims"], 4);
        assert_eq!(parse(&filled).detail_level, DetailLevel::Detailed);
    }
}
