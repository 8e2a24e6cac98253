//! Reading a model's reply: find the JSON object (plain, fenced, or surrounded by prose), then
//! check its shape field by field, so that an invalid reply can be sent back with a precise
//! reason ("goals[2].text: expected a string").
//!
//! Lenient where it costs nothing: a claim or quote given as a plain string (no evidence), an
//! evidence list given as one id, ids written `e3`, `[E3]`, `3` or `{"id": "E3"}`, numbers or
//! booleans as demographic values, `behaviors` for `behaviours`, and a persona wrapped in
//! `{"persona": …}` or `{"personas": [ … ]}`. Grounding decides later what survives.

use super::schema::{self, CLAIM_LISTS, DEMOGRAPHICS, MAX_CLAIMS, MAX_DEMOGRAPHICS, MAX_QUOTES, QUOTES, TEXT_FIELDS};
use serde_json::{Map, Value};

/// A goal, pain point, behaviour or quote as the model wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DraftClaim {
    pub text: String,
    /// Excerpt ids as cited, normalised to `E<n>` where they look like one.
    pub evidence: Vec<String>,
}

/// A persona as the model wrote it, shape-checked but not yet grounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DraftPersona {
    pub name: String,
    pub title: String,
    pub summary: String,
    /// In the model's order.
    pub demographics: Vec<(String, String)>,
    pub goals: Vec<DraftClaim>,
    pub pain_points: Vec<DraftClaim>,
    pub motivations: Vec<DraftClaim>,
    pub behaviours: Vec<DraftClaim>,
    pub quotes: Vec<DraftClaim>,
}

impl DraftPersona {
    /// Goals, pain points, motivations and behaviours, keyed as in the schema.
    pub fn claim_lists(&self) -> [(&'static str, &[DraftClaim]); 4] {
        [
            (CLAIM_LISTS[0].0, &self.goals),
            (CLAIM_LISTS[1].0, &self.pain_points),
            (CLAIM_LISTS[2].0, &self.motivations),
            (CLAIM_LISTS[3].0, &self.behaviours),
        ]
    }
}

/// At most this many `{` are tried as the start of the object in a prose reply.
const MAX_CANDIDATES: usize = 64;

/// Finds the persona object in a reply and checks its shape; a reply that copies the template's
/// placeholders instead of writing a persona is invalid too.
pub(crate) fn parse_persona(reply: &str) -> Result<DraftPersona, String> {
    let object = extract_object(reply)?;
    let draft = validate(unwrap_container(object))?;
    reject_placeholders(&draft)?;
    Ok(draft)
}

/// Names the first field whose value is one of the template's placeholders ("string", "one or
/// two sentences on who this is", …): a model that echoes the template has written no persona.
fn reject_placeholders(draft: &DraftPersona) -> Result<(), String> {
    let echo = |path: String, value: &str| -> Result<(), String> {
        if schema::is_placeholder(value) {
            Err(format!(
                "{path}: {value:?} is the template's placeholder; write the persona's own value"
            ))
        } else {
            Ok(())
        }
    };
    for ((key, _, _), value) in TEXT_FIELDS.iter().zip([&draft.name, &draft.title, &draft.summary]) {
        echo(key.to_string(), value)?;
    }
    for (key, value) in &draft.demographics {
        if schema::is_placeholder(key) && schema::is_placeholder(value) {
            return Err(format!(
                "{DEMOGRAPHICS}.{key}: {value:?} is the template's placeholder; write the persona's own value"
            ));
        }
    }
    let lists = draft.claim_lists();
    for (key, claims) in lists.iter().copied().chain([(QUOTES.0, draft.quotes.as_slice())]) {
        for (i, claim) in claims.iter().enumerate() {
            echo(format!("{key}[{i}].text"), &claim.text)?;
        }
    }
    Ok(())
}

/// The JSON object of a reply: the whole reply, a fenced block, or the first balanced
/// `{…}` that parses.
pub(crate) fn extract_object(reply: &str) -> Result<Map<String, Value>, String> {
    let trimmed = reply.trim();
    if trimmed.is_empty() {
        return Err("the reply was empty".to_string());
    }
    if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
        return as_object(value);
    }
    for block in fenced_blocks(trimmed) {
        if let Ok(Value::Object(object)) = serde_json::from_str::<Value>(block) {
            return Ok(object);
        }
    }
    let starts: Vec<usize> = trimmed
        .match_indices('{')
        .map(|(i, _)| i)
        .take(MAX_CANDIDATES)
        .collect();
    for &start in &starts {
        if let Some(end) = balanced_end(&trimmed[start..])
            && let Ok(Value::Object(object)) = serde_json::from_str::<Value>(&trimmed[start..start + end])
        {
            return Ok(object);
        }
    }
    // Nothing parsed: report why the outermost candidate is not JSON (often a cut-off reply).
    match starts.first() {
        Some(&start) => {
            let candidate = match balanced_end(&trimmed[start..]) {
                Some(end) => &trimmed[start..start + end],
                None => &trimmed[start..],
            };
            let error = serde_json::from_str::<Value>(candidate).err().map(|e| e.to_string());
            Err(format!(
                "the reply is not valid JSON: {}",
                error.unwrap_or_else(|| "unbalanced braces".into())
            ))
        }
        None => Err("the reply contains no JSON object".to_string()),
    }
}

fn as_object(value: Value) -> Result<Map<String, Value>, String> {
    match value {
        Value::Object(object) => Ok(object),
        Value::Array(mut items) if items.len() == 1 && items[0].is_object() => as_object(items.remove(0)),
        other => Err(format!("expected a JSON object, got {}", kind_of(&other))),
    }
}

/// The contents of ``` fenced blocks, without the language tag.
fn fenced_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        let body_start = after.find('\n').map(|i| i + 1).unwrap_or(0);
        let body = &after[body_start..];
        let Some(close) = body.find("```") else {
            blocks.push(body);
            break;
        };
        blocks.push(&body[..close]);
        rest = &body[close + 3..];
    }
    blocks
}

/// Byte length of the balanced `{…}` at the start of `text`, minding strings and escapes.
fn balanced_end(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// `{"persona": {…}}` and `{"personas": [{…}]}` hold the persona one level down.
fn unwrap_container(mut object: Map<String, Value>) -> Map<String, Value> {
    if object.len() == 1 {
        if let Some(Value::Object(inner)) = object.get("persona") {
            return inner.clone();
        }
        if let Some(Value::Array(items)) = object.get_mut("personas")
            && items.len() == 1
            && let Value::Object(inner) = items.remove(0)
        {
            return inner;
        }
    }
    object
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn demographic_value(path: &str, value: &Value) -> Result<Option<String>, String> {
    Ok(match value {
        Value::Null => None,
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => return Err(format!("{path}: expected a string, got {}", kind_of(other))),
    })
}

/// Demographics as an object of attribute → value, or (the schema's form) a list of
/// `{"attribute", "value"}` pairs.
fn demographics(object: &Map<String, Value>) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut push = |key: &str, value: Option<String>| {
        if let Some(value) = value
            && !key.trim().is_empty()
            && !value.is_empty()
        {
            pairs.push((key.trim().to_string(), value));
        }
    };
    match object.get(DEMOGRAPHICS) {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                push(key, demographic_value(&format!("{DEMOGRAPHICS}.{key}"), value)?);
            }
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("{DEMOGRAPHICS}[{i}]");
                let Value::Object(pair) = item else {
                    return Err(format!(
                        "{path}: expected an object with \"attribute\" and \"value\", got {}",
                        kind_of(item)
                    ));
                };
                let key = match pair.get("attribute") {
                    Some(Value::String(key)) => key.clone(),
                    None | Some(Value::Null) => return Err(format!("{path}.attribute: missing")),
                    Some(other) => return Err(format!("{path}.attribute: expected a string, got {}", kind_of(other))),
                };
                let value = pair.get("value").unwrap_or(&Value::Null);
                push(&key, demographic_value(&format!("{path}.value"), value)?);
            }
        }
        Some(other) => return Err(format!("{DEMOGRAPHICS}: expected an object, got {}", kind_of(other))),
    }
    pairs.truncate(MAX_DEMOGRAPHICS);
    Ok(pairs)
}

fn required_text(object: &Map<String, Value>, key: &str) -> Result<String, String> {
    match object.get(key) {
        None | Some(Value::Null) => Err(format!("{key}: missing")),
        Some(Value::String(s)) if s.trim().is_empty() => Err(format!("{key}: is empty")),
        Some(Value::String(s)) => Ok(s.trim().to_string()),
        Some(other) => Err(format!("{key}: expected a string, got {}", kind_of(other))),
    }
}

fn validate(object: Map<String, Value>) -> Result<DraftPersona, String> {
    let [name, title, summary] = TEXT_FIELDS.map(|(key, _, _)| required_text(&object, key));
    let (name, title, summary) = (name?, title?, summary?);
    let demographics = demographics(&object)?;
    let list = |index: usize, aliases: &[&str]| -> Result<Vec<DraftClaim>, String> {
        let mut items = claims(&object, CLAIM_LISTS[index].0, aliases)?;
        items.truncate(MAX_CLAIMS);
        Ok(items)
    };
    let mut quotes = claims(&object, QUOTES.0, &[])?;
    quotes.truncate(MAX_QUOTES);
    Ok(DraftPersona {
        name,
        title,
        summary,
        demographics,
        goals: list(0, &[])?,
        pain_points: list(1, &[])?,
        motivations: list(2, &[])?,
        behaviours: list(3, &["behaviors"])?,
        quotes,
    })
}

fn claims(object: &Map<String, Value>, key: &str, aliases: &[&str]) -> Result<Vec<DraftClaim>, String> {
    let found = std::iter::once(key)
        .chain(aliases.iter().copied())
        .find_map(|k| object.get(k).map(|v| (k, v)));
    let Some((key, value)) = found else {
        return Ok(Vec::new());
    };
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => return Err(format!("{key}: expected a list, got {}", kind_of(other))),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| claim(item, &format!("{key}[{i}]")))
        .collect()
}

fn claim(item: &Value, path: &str) -> Result<DraftClaim, String> {
    match item {
        Value::String(text) => Ok(DraftClaim {
            text: text.trim().to_string(),
            evidence: Vec::new(),
        }),
        Value::Object(object) => {
            let text = match object.get("text").or_else(|| object.get("quote")) {
                None | Some(Value::Null) => return Err(format!("{path}.text: missing")),
                Some(Value::String(s)) => s.trim().to_string(),
                Some(other) => return Err(format!("{path}.text: expected a string, got {}", kind_of(other))),
            };
            let evidence = match object.get("evidence") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(ids)) => ids
                    .iter()
                    .enumerate()
                    .map(|(j, id)| excerpt_id(id).ok_or_else(|| bad_id(&format!("{path}.evidence[{j}]"), id)))
                    .collect::<Result<_, _>>()?,
                Some(single) => vec![excerpt_id(single).ok_or_else(|| bad_id(&format!("{path}.evidence"), single))?],
            };
            Ok(DraftClaim { text, evidence })
        }
        other => Err(format!(
            "{path}: expected an object with \"text\" and \"evidence\", got {}",
            kind_of(other)
        )),
    }
}

fn bad_id(path: &str, value: &Value) -> String {
    format!("{path}: expected an excerpt id such as \"E3\", got {}", kind_of(value))
}

/// `E3`, `e3`, `[E3]`, `E03`, `3`, `{"id": "E3"}` → `E3`; other strings are kept as written
/// (grounding counts them as invalid references).
fn excerpt_id(value: &Value) -> Option<String> {
    let raw = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Object(object) => return object.get("id").and_then(excerpt_id),
        _ => return None,
    };
    let trimmed = raw.trim().trim_start_matches('[').trim_end_matches(']').trim();
    let digits = trimmed
        .strip_prefix('E')
        .or_else(|| trimmed.strip_prefix('e'))
        .unwrap_or(trimmed);
    match digits.parse::<u64>() {
        Ok(n) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => Some(format!("E{n}")),
        _ => Some(trimmed.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERSONA: &str = r#"{"name": "Maya Okafor", "title": "The Seller", "summary": "Sells.",
        "demographics": {"role": "Sales", "age": 34, "remote": true, "pets": null},
        "goals": [{"text": "Close deals", "evidence": ["E1", "e2", "[E3]", 4, {"id": "E05"}, "X9"]}],
        "pain_points": ["Slow CRM"],
        "behaviors": [{"text": "Works offline", "evidence": "E2"}],
        "quotes": [{"quote": "I live in my car", "evidence": ["E1"]}]}"#;

    #[test]
    fn plain_json_is_read_with_lenient_shapes() {
        let p = parse_persona(PERSONA).unwrap();
        assert_eq!(p.name, "Maya Okafor");
        assert_eq!(
            p.demographics,
            vec![
                ("role".to_string(), "Sales".to_string()),
                ("age".to_string(), "34".to_string()),
                ("remote".to_string(), "true".to_string())
            ]
        );
        assert_eq!(p.goals[0].evidence, vec!["E1", "E2", "E3", "E4", "E5", "X9"]);
        assert_eq!(
            p.pain_points,
            vec![DraftClaim {
                text: "Slow CRM".into(),
                evidence: vec![]
            }]
        );
        assert_eq!(p.behaviours[0].evidence, vec!["E2"]);
        assert_eq!(p.quotes[0].text, "I live in my car");
    }

    #[test]
    fn fenced_and_noisy_replies_are_found() {
        let fenced = format!("Here you go:\n```json\n{PERSONA}\n```\nHope this helps!");
        assert_eq!(parse_persona(&fenced).unwrap().name, "Maya Okafor");
        let prose = format!("Sure {{as asked}}: {PERSONA} -- let me know {{if}} you need more.");
        assert_eq!(parse_persona(&prose).unwrap().name, "Maya Okafor");
        let braces_in_strings = r#"Result: {"name": "A {B}", "title": "t } {", "summary": "s \" }"} trailing"#;
        assert_eq!(parse_persona(braces_in_strings).unwrap().title, "t } {");
        let wrapped = format!("{{\"personas\": [{PERSONA}]}}");
        assert_eq!(parse_persona(&wrapped).unwrap().name, "Maya Okafor");
    }

    #[test]
    fn bad_shapes_name_the_field() {
        let err = |text: &str| parse_persona(text).unwrap_err();
        assert_eq!(err(""), "the reply was empty");
        assert_eq!(err("no json here"), "the reply contains no JSON object");
        assert!(err(r#"{"name": "A", "title": "#).starts_with("the reply is not valid JSON: "));
        assert_eq!(err(r#"{"title": "t", "summary": "s"}"#), "name: missing");
        assert_eq!(
            err(r#"{"name": 3, "title": "t", "summary": "s"}"#),
            "name: expected a string, got a number"
        );
        let base = r#""name": "A", "title": "t", "summary": "s""#;
        assert_eq!(
            err(&format!(
                r#"{{{base}, "goals": [{{"text": "a"}}, "b", {{"text": 7}}]}}"#
            )),
            "goals[2].text: expected a string, got a number"
        );
        assert_eq!(
            err(&format!(r#"{{{base}, "goals": {{"text": "a"}}}}"#)),
            "goals: expected a list, got an object"
        );
        assert_eq!(
            err(&format!(
                r#"{{{base}, "quotes": [{{"text": "a", "evidence": [true]}}]}}"#
            )),
            "quotes[0].evidence[0]: expected an excerpt id such as \"E3\", got a boolean"
        );
        assert_eq!(
            err(&format!(r#"{{{base}, "demographics": {{"age": [1]}}}}"#)),
            "demographics.age: expected a string, got a list"
        );
        assert_eq!(err("[1, 2]"), "expected a JSON object, got a list");
    }

    #[test]
    fn the_schema_form_parses_with_motivations_and_list_caps() {
        let goals: Vec<String> = (0..9)
            .map(|i| format!(r#"{{"text": "Goal number {i}", "evidence": ["E1"]}}"#))
            .collect();
        let reply = format!(
            r#"{{"name": "Maya", "title": "The Seller", "summary": "Sells things.",
            "demographics": [{{"attribute": "role", "value": "Sales"}}, {{"attribute": "age", "value": 34}}],
            "goals": [{}], "pain_points": [], "motivations": [{{"text": "Pride in the work", "evidence": ["E2"]}}],
            "behaviours": [], "quotes": []}}"#,
            goals.join(",")
        );
        let p = parse_persona(&reply).unwrap();
        assert_eq!(
            p.demographics,
            vec![("role".into(), "Sales".into()), ("age".into(), "34".into())]
        );
        assert_eq!(p.goals.len(), MAX_CLAIMS, "lists beyond the schema's cap are cut");
        assert_eq!(p.motivations[0].evidence, vec!["E2"]);
        assert_eq!(
            parse_persona(r#"{"name": "A", "title": "t", "summary": "s", "demographics": [{"value": "x"}]}"#)
                .unwrap_err(),
            "demographics[0].attribute: missing"
        );
    }

    #[test]
    fn an_echo_of_the_template_is_invalid() {
        let echo = schema::template();
        assert_eq!(
            parse_persona(&echo).unwrap_err(),
            "name: \"a realistic full name\" is the template's placeholder; write the persona's own value"
        );
        let typed = r#"{"name": "string", "title": "string", "summary": "One or two sentences on who this is",
            "goals": [{"text": "I will eat four meals per day", "evidence": ["E1"]}]}"#;
        assert!(parse_persona(typed).unwrap_err().starts_with("name: \"string\""));
        let claim = r#"{"name": "Ana Silva", "title": "The Cook", "summary": "Cooks for four.",
            "goals": [{"text": "string", "evidence": ["E1"]}]}"#;
        assert!(
            parse_persona(claim)
                .unwrap_err()
                .starts_with("goals[0].text: \"string\"")
        );
    }
}
