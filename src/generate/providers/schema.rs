//! The persona reply schema: the field names, list caps and string caps that the parser
//! ([`super::parse`]) reads, written once here and turned into the JSON Schema every provider is
//! sent in its own structured-output form, and into the template shown in the system prompt.
//!
//! The caps keep a reply inside `llm.max_output_tokens`: 4 claim lists of 5 × 200 characters, 5
//! quotes of 300, 6 demographics and the short fields come to about 7,500 characters of JSON
//! (~1,900 tokens) at most.

use serde_json::{Map, Value, json};

/// Longest name, title and summary, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 60;
pub(crate) const MAX_TITLE_CHARS: usize = 80;
pub(crate) const MAX_SUMMARY_CHARS: usize = 400;
/// Longest goal, pain point, motivation or behaviour.
pub(crate) const MAX_CLAIM_CHARS: usize = 200;
pub(crate) const MAX_QUOTE_CHARS: usize = 300;
/// Items kept per claim list; the parser drops any beyond.
pub(crate) const MAX_CLAIMS: usize = 5;
pub(crate) const MAX_QUOTES: usize = 5;
pub(crate) const MAX_DEMOGRAPHICS: usize = 6;
pub(crate) const MAX_EVIDENCE_IDS: usize = 4;

/// The name under which the schema is sent (OpenAI `json_schema.name`, Anthropic's tool name).
pub(crate) const SCHEMA_NAME: &str = "persona";

/// The text fields every persona has, with their cap and the placeholder shown in the template.
pub(crate) const TEXT_FIELDS: [(&str, usize, &str); 3] = [
    ("name", MAX_NAME_CHARS, "a realistic full name"),
    ("title", MAX_TITLE_CHARS, "a short descriptive title"),
    ("summary", MAX_SUMMARY_CHARS, "one or two sentences on who this is"),
];

/// The claim lists, in persona order, with the placeholder shown in the template.
pub(crate) const CLAIM_LISTS: [(&str, &str); 4] = [
    ("goals", "what they want to achieve"),
    ("pain_points", "what gets in their way"),
    ("motivations", "why they care"),
    ("behaviours", "what they do"),
];

/// The quote list's key and placeholder.
pub(crate) const QUOTES: (&str, &str) = ("quotes", "exact words copied from one excerpt");

/// Demographics are a list of attribute/value pairs: strict schemas cannot have free keys.
pub(crate) const DEMOGRAPHICS: &str = "demographics";
pub(crate) const DEMOGRAPHIC_PLACEHOLDERS: (&str, &str) = ("attribute", "value as a string");

/// Values a model writes when it copies the template instead of filling it in: the template's
/// placeholders, JSON type names and schema words.
pub(crate) fn placeholders() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = vec![
        "string",
        "str",
        "text",
        "value",
        "null",
        "none",
        "n/a",
        "todo",
        "tbd",
        "example",
        "...",
        "…",
        "evidence",
        "e1",
        DEMOGRAPHIC_PLACEHOLDERS.0,
        DEMOGRAPHIC_PLACEHOLDERS.1,
        QUOTES.1,
    ];
    all.extend(
        TEXT_FIELDS
            .iter()
            .flat_map(|(key, _, placeholder)| [*key, *placeholder]),
    );
    all.extend(CLAIM_LISTS.iter().flat_map(|(key, placeholder)| [*key, *placeholder]));
    all
}

/// Whether `value` is a template placeholder rather than content (case, spaces, angle brackets
/// and a final full stop aside).
pub(crate) fn is_placeholder(value: &str) -> bool {
    let folded = value
        .trim()
        .trim_matches(|c| c == '<' || c == '>' || c == '"' || c == '\'' || c == '[' || c == ']')
        .trim_end_matches('.')
        .trim()
        .to_lowercase();
    folded.is_empty() || placeholders().iter().any(|p| p.trim_end_matches('.') == folded)
}

fn text(max_chars: usize, description: &str) -> Value {
    json!({"type": "string", "maxLength": max_chars, "description": description})
}

fn claim_item(max_chars: usize, description: &str) -> Value {
    json!({
        "type": "object",
        "properties": {
            "text": text(max_chars, description),
            "evidence": {
                "type": "array",
                "items": {"type": "string", "description": "an excerpt id such as E3"},
                "maxItems": MAX_EVIDENCE_IDS,
                "description": "ids of the excerpts that support it",
            },
        },
        "required": ["text", "evidence"],
        "additionalProperties": false,
    })
}

/// The persona reply as a strict JSON Schema (every property required, no other properties):
/// the form OpenAI's `strict` structured outputs, llama.cpp, vLLM and Ollama accept.
pub fn persona_schema() -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (key, max_chars, description) in TEXT_FIELDS {
        properties.insert(key.into(), text(max_chars, description));
        required.push(key);
    }
    let (attribute, value) = DEMOGRAPHIC_PLACEHOLDERS;
    properties.insert(
        DEMOGRAPHICS.into(),
        json!({
            "type": "array",
            "maxItems": MAX_DEMOGRAPHICS,
            "items": {
                "type": "object",
                "properties": {"attribute": text(40, attribute), "value": text(80, value)},
                "required": ["attribute", "value"],
                "additionalProperties": false,
            },
        }),
    );
    required.push(DEMOGRAPHICS);
    for (key, description) in CLAIM_LISTS {
        properties.insert(
            key.into(),
            json!({"type": "array", "maxItems": MAX_CLAIMS, "items": claim_item(MAX_CLAIM_CHARS, description)}),
        );
        required.push(key);
    }
    properties.insert(
        QUOTES.0.into(),
        json!({"type": "array", "maxItems": MAX_QUOTES, "items": claim_item(MAX_QUOTE_CHARS, QUOTES.1)}),
    );
    required.push(QUOTES.0);
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// The schema without the keywords Gemini's `responseSchema` (an OpenAPI subset) refuses.
pub fn gemini_schema() -> Value {
    let mut schema = persona_schema();
    strip_keyword(&mut schema, "additionalProperties");
    schema
}

fn strip_keyword(value: &mut Value, keyword: &str) {
    match value {
        Value::Object(map) => {
            map.remove(keyword);
            map.values_mut().for_each(|v| strip_keyword(v, keyword));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip_keyword(v, keyword)),
        _ => {}
    }
}

/// The template shown in the system prompt: one example of every field, placeholders for values.
pub(crate) fn template() -> String {
    let mut lines = vec!["{".to_string()];
    for (key, _, placeholder) in TEXT_FIELDS {
        lines.push(format!("  \"{key}\": \"{placeholder}\","));
    }
    let (attribute, value) = DEMOGRAPHIC_PLACEHOLDERS;
    lines.push(format!(
        "  \"{DEMOGRAPHICS}\": [{{\"attribute\": \"{attribute}\", \"value\": \"{value}\"}}],"
    ));
    for (i, (key, placeholder)) in CLAIM_LISTS.iter().enumerate() {
        lines.push(format!(
            "  \"{key}\": [{{\"text\": \"{placeholder}\", \"evidence\": [\"E{}\"]}}],",
            i + 1
        ));
    }
    lines.push(format!(
        "  \"{}\": [{{\"text\": \"{}\", \"evidence\": [\"E2\"]}}]",
        QUOTES.0, QUOTES.1
    ));
    lines.push("}".to_string());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_is_strict_and_caps_every_list_and_string() {
        fn check(value: &Value, path: &str) {
            let Some(map) = value.as_object() else { return };
            match map.get("type").and_then(Value::as_str) {
                Some("object") if map.contains_key("properties") => {
                    assert_eq!(map["additionalProperties"], false, "{path}");
                    let keys: Vec<&String> = map["properties"].as_object().unwrap().keys().collect();
                    let required: Vec<&str> = map["required"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r.as_str().unwrap())
                        .collect();
                    assert_eq!(keys.len(), required.len(), "{path}: strict needs every key required");
                    for (key, sub) in map["properties"].as_object().unwrap() {
                        check(sub, &format!("{path}.{key}"));
                    }
                }
                Some("array") => {
                    assert!(map["maxItems"].as_u64().is_some(), "{path}");
                    check(&map["items"], &format!("{path}[]"));
                }
                Some("string") if !path.ends_with(".evidence[]") => {
                    assert!(map["maxLength"].as_u64().is_some(), "{path}");
                }
                _ => {}
            }
        }
        check(&persona_schema(), "$");
        assert!(!gemini_schema().to_string().contains("additionalProperties"));
    }

    #[test]
    fn the_template_is_json_and_all_placeholder() {
        let template: Value = serde_json::from_str(&template()).unwrap();
        let schema = persona_schema();
        let keys: Vec<&String> = template.as_object().unwrap().keys().collect();
        let schema_keys: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys, schema_keys);
        for (key, _, _) in TEXT_FIELDS {
            assert!(is_placeholder(template[key].as_str().unwrap()), "{key}");
        }
        assert!(is_placeholder("String"));
        assert!(is_placeholder(" One or two sentences on who this is. "));
        assert!(is_placeholder("<name>"));
        assert!(!is_placeholder("Maya Okafor"));
        assert!(!is_placeholder("Plans dinners for the family"));
    }
}
