//! Personas as clients and files give them: the canonical JSON, or partial, peer-style
//! dictionaries. Every field is optional (strings default to empty, lists to empty); list fields
//! accept `null` or a single string; demographic values may be numbers or booleans; the peer's
//! aliases `painPoints`/`frustrations`, `behaviors` and `quote` are understood. `id` and `name`
//! are optional too, so that completeness can report them missing instead of the request
//! failing; evidence entries must have the canonical shape.

use crate::domain::{Evidence, Persona};
use crate::error::Error;
use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use utoipa::ToSchema;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};

/// A persona given inline (API body or file); converts into [`Persona`].
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(default)]
pub struct PersonaInput {
    pub id: String,
    pub name: String,
    pub title: String,
    pub summary: String,
    /// Values may be strings, numbers or booleans (`"age": 34`); `null` values are dropped.
    #[serde(deserialize_with = "lenient_demographics")]
    #[schema(schema_with = demographics_schema)]
    pub demographics: BTreeMap<String, String>,
    /// Strings (numbers and booleans are taken as text; `null` items are dropped); so for every list.
    #[serde(deserialize_with = "string_list")]
    #[schema(schema_with = list_schema)]
    pub goals: Vec<String>,
    #[serde(alias = "painPoints", alias = "frustrations", deserialize_with = "string_list")]
    #[schema(schema_with = list_schema)]
    pub pain_points: Vec<String>,
    #[serde(alias = "behaviors", deserialize_with = "string_list")]
    #[schema(schema_with = list_schema)]
    pub behaviours: Vec<String>,
    /// What works for them (praise, what they value).
    #[serde(alias = "positives", deserialize_with = "string_list")]
    #[schema(schema_with = list_schema)]
    pub motivations: Vec<String>,
    #[serde(alias = "quote", deserialize_with = "string_list")]
    #[schema(schema_with = list_schema)]
    pub quotes: Vec<String>,
    #[serde(deserialize_with = "string_list")]
    #[schema(schema_with = list_schema)]
    pub participants: Vec<String>,
    #[serde(deserialize_with = "crate::domain::values::optional_integral_usize")]
    #[schema(maximum = 4_294_967_295_u32)]
    pub segment_size: Option<usize>,
    pub evidence: Option<Vec<Evidence>>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub experiment_id: Option<String>,
    pub run_id: Option<String>,
    pub created_at: Option<String>,
    /// Earlier quality scores (ignored when scoring; kept on the persona).
    #[schema(value_type = Option<Object>)]
    pub quality: Option<serde_json::Map<String, Value>>,
}

impl From<PersonaInput> for Persona {
    fn from(p: PersonaInput) -> Persona {
        Persona {
            motivations: p.motivations,
            segment_size: p.segment_size.unwrap_or(p.participants.len()),
            id: p.id,
            name: p.name,
            title: p.title,
            summary: p.summary,
            demographics: p.demographics,
            goals: p.goals,
            pain_points: p.pain_points,
            behaviours: p.behaviours,
            quotes: p.quotes,
            participants: p.participants,
            evidence: p.evidence.unwrap_or_default(),
            provider: p.provider.unwrap_or_default(),
            model: p.model.unwrap_or_default(),
            experiment_id: p.experiment_id,
            run_id: p.run_id,
            created_at: p.created_at,
            quality: p.quality.map(Value::Object),
        }
    }
}

/// Personas from a parsed JSON document: an array of personas, a single persona object, or an
/// object with a `personas` array (the shape of a job result). Errors name the bad item.
pub fn personas_from_json(doc: Value) -> Result<Vec<Persona>, String> {
    let items = match doc {
        Value::Array(items) => items,
        Value::Object(mut map) => match map.remove("personas") {
            Some(Value::Array(items)) => items,
            Some(other) => {
                map.insert("personas".into(), other);
                vec![Value::Object(map)]
            }
            None => vec![Value::Object(map)],
        },
        other => {
            return Err(format!(
                "expected a persona object or an array of personas, found {}",
                json_kind(&other)
            ));
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            if !item.is_object() {
                return Err(format!("persona {i}: expected an object, found {}", json_kind(&item)));
            }
            PersonaInput::deserialize(item)
                .map(Persona::from)
                .map_err(|e| format!("persona {i}: {e}"))
        })
        .collect()
}

/// Reads the personas of a file or a run folder:
/// * a JSON file: see [`personas_from_json`];
/// * a folder: its `personas.json`, or else every `personas/*/persona.json` in folder-name order.
///
/// Errors (`Error::InvalidInput`) name the file at fault.
pub fn read_personas(path: &Path) -> Result<Vec<Persona>, Error> {
    if !path.is_dir() {
        return read_personas_file(path);
    }
    let combined = path.join("personas.json");
    if combined.is_file() {
        return read_personas_file(&combined);
    }
    let folder = path.join("personas");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&folder) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("persona.json"))
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    if files.is_empty() {
        return Err(Error::invalid(format!(
            "{}: no personas.json and no personas/*/persona.json in this folder",
            path.display()
        )));
    }
    files.sort();
    let mut personas = Vec::new();
    for file in files {
        personas.extend(read_personas_file(&file)?);
    }
    Ok(personas)
}

fn read_personas_file(path: &Path) -> Result<Vec<Persona>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::invalid(format!("{}: {e}", path.display())))?;
    let doc: Value =
        serde_json::from_str(&text).map_err(|e| Error::invalid(format!("{}: invalid JSON: {e}", path.display())))?;
    personas_from_json(doc).map_err(|e| Error::invalid(format!("{}: {e}", path.display())))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A scalar as text; `None` for null. Arrays and objects are refused.
/// The schema of a value [`scalar_text`] reads: text, or a number or boolean taken as text;
/// `null` is dropped.
fn scalar_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::Array(vec![
        Type::String,
        Type::Number,
        Type::Boolean,
        Type::Null,
    ]))
}

/// The schema of a list [`string_list`] reads: a list of scalars, one string, or `null` for none.
fn list_schema() -> Schema {
    Schema::OneOf(
        OneOfBuilder::new()
            .item(ArrayBuilder::new().items(scalar_schema()))
            .item(ObjectBuilder::new().schema_type(SchemaType::Array(vec![Type::String, Type::Null])))
            .build(),
    )
}

/// The schema of the demographics [`lenient_demographics`] reads: an object whose values are
/// scalars or lists of scalars (joined), or `null` for none.
fn demographics_schema() -> utoipa::openapi::schema::Object {
    let value = OneOfBuilder::new()
        .item(scalar_schema())
        .item(ArrayBuilder::new().items(scalar_schema()));
    ObjectBuilder::new()
        .schema_type(SchemaType::Array(vec![Type::Object, Type::Null]))
        .additional_properties(Some(AdditionalProperties::RefOr(value.into())))
        .description(Some(
            "Values may be strings, numbers or booleans (`\"age\": 34`), or lists of them; `null` values are dropped.",
        ))
        .build()
}

fn scalar_text(v: Value) -> Result<Option<String>, &'static str> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) | Value::Object(_) => Err("expected a string, number or boolean"),
    }
}

fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![s]),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match scalar_text(item) {
                    Ok(Some(s)) => out.push(s),
                    Ok(None) => {}
                    Err(e) => return Err(de::Error::custom(format!("item {i}: {e}"))),
                }
            }
            Ok(out)
        }
        other => Err(de::Error::custom(format!(
            "expected a list of strings, found {}",
            json_kind(&other)
        ))),
    }
}

fn lenient_demographics<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(BTreeMap::new()),
        Value::Object(map) => {
            let mut out = BTreeMap::new();
            for (key, value) in map {
                let text = match value {
                    Value::Array(items) => {
                        let parts: Result<Vec<_>, _> = items.into_iter().map(scalar_text).collect();
                        let parts = parts.map_err(|e| de::Error::custom(format!("demographics.{key}: {e}")))?;
                        Some(parts.into_iter().flatten().collect::<Vec<_>>().join(", "))
                    }
                    other => scalar_text(other).map_err(|e| de::Error::custom(format!("demographics.{key}: {e}")))?,
                };
                if let Some(text) = text {
                    out.insert(key, text);
                }
            }
            Ok(out)
        }
        other => Err(de::Error::custom(format!(
            "demographics: expected an object, found {}",
            json_kind(&other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn peer_style_dicts_are_accepted() {
        let personas = personas_from_json(json!({
            "id": "persona-001", "name": "Alex Chen",
            "demographics": {"age": 34, "occupation": "Engineer", "remote": true, "tools": ["Jira", "Slack"], "x": null},
            "goals": "Ship faster", "painPoints": ["Slow builds", null], "behaviors": null, "quote": "It works."
        }))
        .unwrap();
        let p = &personas[0];
        assert_eq!(p.id, "persona-001");
        assert_eq!(p.demographics["age"], "34");
        assert_eq!(p.demographics["remote"], "true");
        assert_eq!(p.demographics["tools"], "Jira, Slack");
        assert!(!p.demographics.contains_key("x"));
        assert_eq!(p.goals, ["Ship faster"]);
        assert_eq!(p.pain_points, ["Slow builds"]);
        assert!(p.behaviours.is_empty());
        assert_eq!(p.quotes, ["It works."]);
        assert_eq!(p.title, "");
    }

    #[test]
    fn canonical_personas_round_trip() {
        let original = crate::quality::testing::persona("a");
        let value = serde_json::to_value(&original).unwrap();
        assert_eq!(personas_from_json(value).unwrap(), vec![original.clone()]);
        let wrapped = json!({"personas": [original.clone(), original.clone()], "personas_count": 2});
        assert_eq!(personas_from_json(wrapped).unwrap().len(), 2);
    }

    #[test]
    fn files_and_run_folders() {
        let dir = tempfile::tempdir().unwrap();
        let a = crate::quality::testing::persona("a");
        let b = crate::quality::testing::other_persona("b");
        for (sub, p) in [("02", &b), ("01", &a)] {
            std::fs::create_dir_all(dir.path().join("personas").join(sub)).unwrap();
            std::fs::write(
                dir.path().join("personas").join(sub).join("persona.json"),
                serde_json::to_string(p).unwrap(),
            )
            .unwrap();
        }
        // per-persona files, in folder order
        assert_eq!(read_personas(dir.path()).unwrap(), vec![a.clone(), b.clone()]);
        // personas.json wins
        std::fs::write(dir.path().join("personas.json"), serde_json::to_string(&[&b]).unwrap()).unwrap();
        assert_eq!(read_personas(dir.path()).unwrap(), vec![b.clone()]);
        assert_eq!(read_personas(&dir.path().join("personas.json")).unwrap(), vec![b]);

        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "[{\"goals\": 3}]").unwrap();
        let err = read_personas(&bad).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}: persona 0:", bad.display())), "{err}");
        std::fs::write(&bad, "{oops").unwrap();
        assert!(read_personas(&bad).unwrap_err().to_string().contains("invalid JSON"));
        let missing = dir.path().join("missing.json");
        assert!(
            read_personas(&missing)
                .unwrap_err()
                .to_string()
                .starts_with(&missing.display().to_string())
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(
            read_personas(empty.path())
                .unwrap_err()
                .to_string()
                .contains("no personas.json")
        );
    }

    #[test]
    fn errors_name_the_item_and_field() {
        let err = personas_from_json(json!([{"name": "A B"}, {"goals": [{"x": 1}]}])).unwrap_err();
        assert!(err.starts_with("persona 1: item 0: expected a string"), "{err}");
        let err = personas_from_json(json!([{"demographics": {"age": {"min": 3}}}])).unwrap_err();
        assert!(err.contains("demographics.age"), "{err}");
        let err = personas_from_json(json!([3])).unwrap_err();
        assert_eq!(err, "persona 0: expected an object, found a number");
        let err = personas_from_json(json!("x")).unwrap_err();
        assert!(err.contains("found a string"), "{err}");
    }
}
