//! JSON, JSONL and YAML: a list of records (one per participant or per response), each a tree
//! of fields. Fields are flattened to column paths (`demographics/role`, `answers/answer`) and
//! classified like CSV columns; values are located by JSON pointer (JSON, YAML) or line (JSONL).

use super::IngestError;
use super::fields::{self, Role, ValueStats};
use super::records::FileRecords;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;

/// Keys (compacted) under which a document's records are usually found, in order of preference.
const RECORD_KEYS: &[&str] = &[
    "responses",
    "participants",
    "respondents",
    "interviews",
    "records",
    "data",
    "results",
    "items",
    "users",
    "entries",
    "rows",
    "submissions",
];

/// Longest participant id accepted from a field found by name.
const MAX_ID_CHARS: usize = 100;

/// One record: a participant or one of their responses.
struct RecordRef<'v> {
    value: &'v Value,
    /// JSON pointer of the record (`/responses/3`), or `""` for the document itself.
    pointer: String,
    /// Where every value of the record is located instead of a pointer (JSONL: `line N`).
    location: Option<String>,
    /// The record's key when records are an object keyed by participant id.
    key: Option<String>,
    /// Column name for a record that is a bare string (an array of strings).
    scalar_column: &'v str,
}

pub(crate) fn parse_json(file: &str, id_prefix: &str, text: &str) -> Result<FileRecords, IngestError> {
    let root: Value = serde_json::from_str(text).map_err(|e| json_error(file, &e, 0))?;
    let mut warnings = Vec::new();
    let records = find_records(&root, &mut warnings).map_err(|message| IngestError::invalid(file, None, message))?;
    let mut out = read_records(id_prefix, &records);
    out.warnings.extend(warnings);
    Ok(out)
}

pub(crate) fn parse_yaml(file: &str, id_prefix: &str, text: &str) -> Result<FileRecords, IngestError> {
    let mut value: yaml_serde::Value = yaml_serde::from_str(text).map_err(|e| yaml_error(file, &e))?;
    value.apply_merge().map_err(|e| yaml_error(file, &e))?;
    let root = yaml_to_json(value);
    if root.is_null() {
        return Err(IngestError::invalid(file, None, "empty file"));
    }
    let mut warnings = Vec::new();
    let records = find_records(&root, &mut warnings).map_err(|message| IngestError::invalid(file, None, message))?;
    let mut out = read_records(id_prefix, &records);
    out.warnings.extend(warnings);
    Ok(out)
}

/// One JSON value per line; blank lines are skipped; a bad line fails the file.
pub(crate) fn parse_jsonl(file: &str, id_prefix: &str, text: &str) -> Result<FileRecords, IngestError> {
    let mut values = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = index as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line).map_err(|e| json_error(file, &e, line_number - 1))?;
        if !value.is_object() && !value.is_string() {
            return Err(IngestError::invalid(
                file,
                Some(line_number),
                "expected a JSON object (one record per line)",
            ));
        }
        values.push((line_number, value));
    }
    let records: Vec<RecordRef> = values
        .iter()
        .map(|(line, value)| RecordRef {
            value,
            pointer: String::new(),
            location: Some(format!("line {line}")),
            key: None,
            scalar_column: "text",
        })
        .collect();
    Ok(read_records(id_prefix, &records))
}

/// Finds the document's records: a top-level array; an object holding one under a key like
/// `responses` or `participants` (or an object of records keyed by participant id); else the
/// first array of objects anywhere; else the object itself is one participant.
fn find_records<'v>(root: &'v Value, warnings: &mut Vec<String>) -> Result<Vec<RecordRef<'v>>, String> {
    let records = match root {
        Value::Array(items) => records_in_array(items, "", "text", warnings),
        Value::Object(map) => {
            // `{"participant_id": "P1", "answers": [...]}` or `{"participant": {"id": …}, …}`.
            let names_a_participant = map.iter().any(|(key, value)| {
                fields::is_specific_participant_field(key) && (is_scalar(value) || value.is_object())
            });
            let under_known_key = || {
                let keyed: Vec<(String, &String, &Value)> =
                    map.iter().map(|(k, v)| (fields::compact(k), k, v)).collect();
                let exact = RECORD_KEYS
                    .iter()
                    .find_map(|&wanted| keyed.iter().find(|(c, _, v)| c == wanted && holds_records(v)));
                let suffixed = || {
                    keyed
                        .iter()
                        .find(|(c, _, v)| RECORD_KEYS.iter().any(|r| c.ends_with(r)) && holds_records(v))
                };
                exact.or_else(suffixed).map(|(_, key, value)| (*key, *value))
            };
            if names_a_participant {
                vec![single(root)]
            } else if let Some((key, value)) = under_known_key() {
                let pointer = format!("/{}", escape_pointer(key));
                match value {
                    Value::Array(items) => records_in_array(items, &pointer, key, warnings),
                    Value::Object(entries) => records_in_map(entries, &pointer),
                    _ => unreachable!("holds_records accepts arrays and objects only"),
                }
            } else if let Some((pointer, items)) = first_array_of_objects(map, String::new()) {
                records_in_array(items, &pointer, "text", warnings)
            } else {
                vec![single(root)]
            }
        }
        _ => return Err("expected an array of records or an object".to_string()),
    };
    if records.is_empty() {
        return Err("no records found".to_string());
    }
    Ok(records)
}

fn single(value: &Value) -> RecordRef<'_> {
    RecordRef {
        value,
        pointer: String::new(),
        location: None,
        key: None,
        scalar_column: "text",
    }
}

fn is_scalar(value: &Value) -> bool {
    matches!(value, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

fn holds_records(value: &Value) -> bool {
    match value {
        Value::Array(items) => {
            items.iter().any(Value::is_object) || (!items.is_empty() && items.iter().all(Value::is_string))
        }
        Value::Object(entries) => !entries.is_empty() && entries.values().all(Value::is_object),
        _ => false,
    }
}

fn records_in_array<'v>(
    items: &'v [Value],
    pointer: &str,
    scalar_column: &'v str,
    warnings: &mut Vec<String>,
) -> Vec<RecordRef<'v>> {
    let objects = items.iter().any(Value::is_object);
    let mut skipped = 0usize;
    let records: Vec<RecordRef> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| {
            let keep = if objects { item.is_object() } else { item.is_string() };
            skipped += usize::from(!keep && !item.is_null());
            keep
        })
        .map(|(i, item)| RecordRef {
            value: item,
            pointer: format!("{pointer}/{i}"),
            location: None,
            key: None,
            scalar_column,
        })
        .collect();
    if skipped > 0 {
        warnings.push(format!(
            "{skipped} item(s) of {} are not records and were left out",
            if pointer.is_empty() {
                "the top-level list"
            } else {
                pointer
            }
        ));
    }
    records
}

fn records_in_map<'v>(entries: &'v Map<String, Value>, pointer: &str) -> Vec<RecordRef<'v>> {
    entries
        .iter()
        .map(|(key, value)| RecordRef {
            value,
            pointer: format!("{pointer}/{}", escape_pointer(key)),
            location: None,
            key: Some(key.clone()),
            scalar_column: "text",
        })
        .collect()
}

/// The first array holding objects, in document order, searching nested objects.
fn first_array_of_objects(map: &Map<String, Value>, pointer: String) -> Option<(String, &Vec<Value>)> {
    for (key, value) in map {
        let here = format!("{pointer}/{}", escape_pointer(key));
        match value {
            Value::Array(items) if items.iter().any(Value::is_object) => return Some((here, items)),
            Value::Object(inner) => {
                if let Some(found) = first_array_of_objects(inner, here) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    None
}

/// RFC 6901: `~` → `~0`, `/` → `~1`.
pub(crate) fn escape_pointer(key: &str) -> Cow<'_, str> {
    if key.contains(['~', '/']) {
        Cow::Owned(key.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(key)
    }
}

fn scalar_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

/// One scalar found by [`walk`].
struct Found<'a> {
    /// Object keys from the record down, joined with `/` (list indices left out).
    column: &'a str,
    value: &'a str,
    /// JSON pointer from the document root.
    pointer: &'a str,
    /// Inside a list.
    in_list: bool,
}

/// Calls `visit` for every scalar under `value`.
/// Column paths join object keys with `/` and leave out list indices, so that the same field of
/// every record (and every item of a list) is one column.
fn walk<'v>(value: &'v Value, column: &mut String, pointer: &mut String, in_list: bool, visit: &mut dyn FnMut(Found)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let (column_len, pointer_len) = (column.len(), pointer.len());
                if !column.is_empty() {
                    column.push('/');
                }
                column.push_str(key);
                pointer.push('/');
                pointer.push_str(&escape_pointer(key));
                walk(child, column, pointer, in_list, visit);
                column.truncate(column_len);
                pointer.truncate(pointer_len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let pointer_len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                walk(child, column, pointer, true, visit);
                pointer.truncate(pointer_len);
            }
        }
        _ => {
            if let Some(text) = scalar_text(value) {
                visit(Found {
                    column,
                    value: &text,
                    pointer,
                    in_list,
                });
            }
        }
    }
}

/// The field naming the participant: the most specific name found in any record, among scalar
/// fields of the record or of an object directly inside it (`participant: {id: …}`).
fn find_participant_field(records: &[RecordRef]) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for record in records {
        let Value::Object(map) = record.value else { continue };
        let mut consider = |path: String, value: &Value| {
            let Some(rank) = fields::participant_field_rank(&path) else {
                return;
            };
            let usable = scalar_text(value).is_some_and(|v| !v.trim().is_empty() && v.chars().count() <= MAX_ID_CHARS);
            if usable && best.as_ref().is_none_or(|(r, p)| (rank, &path) < (*r, p)) {
                best = Some((rank, path));
            }
        };
        for (key, value) in map {
            match value {
                Value::Object(inner) => {
                    for (inner_key, inner_value) in inner {
                        consider(format!("{key}/{inner_key}"), inner_value);
                    }
                }
                _ => consider(key.clone(), value),
            }
        }
    }
    best.map(|(_, path)| path)
}

fn participant_id_of(record: &RecordRef, id_field: Option<&str>) -> Option<String> {
    let field = id_field.and_then(|path| {
        let mut value = record.value;
        for part in path.split('/') {
            value = value.get(part)?;
        }
        scalar_text(value)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    });
    field.or_else(|| record.key.clone())
}

#[derive(Default)]
struct Column {
    stats: ValueStats,
    role: Option<Role>,
    key: String,
}

fn read_records(id_prefix: &str, records: &[RecordRef]) -> FileRecords {
    let mut out = FileRecords::default();
    let id_field = find_participant_field(records);
    let mut columns: Vec<(String, Column)> = Vec::new();
    let mut column_index: HashMap<String, usize> = HashMap::new();
    let mut record_participant = Vec::with_capacity(records.len());
    let mut column_buf = String::new();
    let mut pointer_buf = String::new();

    // First pass: whose record it is, and what each field looks like.
    for (number, record) in records.iter().enumerate() {
        let id = participant_id_of(record, id_field.as_deref())
            .unwrap_or_else(|| format!("{id_prefix}-record{}", number + 1));
        let participant = out.participant(&id);
        record_participant.push(participant);
        let mut observe = |found: Found| {
            let Found {
                column, value, in_list, ..
            } = found;
            let column = if column.is_empty() {
                record.scalar_column
            } else {
                column
            };
            if Some(column) == id_field.as_deref() {
                return;
            }
            let value = value.trim();
            if value.is_empty() {
                return;
            }
            let index = *column_index.entry(column.to_string()).or_insert_with(|| {
                columns.push((column.to_string(), Column::default()));
                columns.len() - 1
            });
            let stats = &mut columns[index].1.stats;
            stats.in_list |= in_list;
            stats.observe(participant, value);
        };
        column_buf.clear();
        pointer_buf.clear();
        walk(record.value, &mut column_buf, &mut pointer_buf, false, &mut observe);
    }

    // Classify; attribute keys are the field's own name unless two fields share it.
    let mut leaf_count: HashMap<String, usize> = HashMap::new();
    for (path, column) in &mut columns {
        let role = fields::classify(&path.replace('/', "_"), &column.stats);
        column.role = Some(role);
        if role == Role::Attribute {
            let leaf = fields::snake_case(path.rsplit('/').next().unwrap_or(path));
            *leaf_count.entry(leaf).or_default() += 1;
        }
    }
    for (path, column) in &mut columns {
        let leaf = fields::snake_case(path.rsplit('/').next().unwrap_or(path));
        column.key = if leaf_count.get(&leaf).copied().unwrap_or(0) > 1 {
            fields::snake_case(path)
        } else {
            leaf
        };
    }

    // Second pass: attributes and utterances in document order.
    for (record, &participant) in records.iter().zip(&record_participant) {
        let mut emit = |found: Found| {
            let Found {
                column, value, pointer, ..
            } = found;
            let column = if column.is_empty() {
                record.scalar_column
            } else {
                column
            };
            let Some(&index) = column_index.get(column) else { return };
            let column = &columns[index].1;
            match column.role {
                Some(Role::Attribute) => out.set_attribute(participant, &column.key, value),
                Some(Role::Text) => {
                    let location = match &record.location {
                        Some(location) => location.clone(),
                        None => pointer.to_string(),
                    };
                    out.add_utterance(participant, location, value);
                }
                _ => {}
            }
        };
        column_buf.clear();
        pointer_buf.clear();
        pointer_buf.push_str(&record.pointer);
        walk(record.value, &mut column_buf, &mut pointer_buf, false, &mut emit);
    }

    if out.utterances.is_empty() {
        let list = |role: Role| {
            columns
                .iter()
                .filter(|(_, c)| c.role == Some(role))
                .map(|(path, _)| path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut reason = "no field holds free text".to_string();
        let (attributes, ignored) = (list(Role::Attribute), list(Role::Ignore));
        if !attributes.is_empty() {
            reason.push_str(&format!("; attributes: {attributes}"));
        }
        if !ignored.is_empty() {
            reason.push_str(&format!("; left out: {ignored}"));
        }
        out.no_text_reason = Some(reason);
    }
    out
}

/// serde_json's message without its ` at line L column C` suffix; `line_offset` is added to the
/// line it reports (JSONL parses one line at a time).
fn json_error(file: &str, e: &serde_json::Error, line_offset: u64) -> IngestError {
    let message = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = message.strip_suffix(&suffix).unwrap_or(&message).to_string();
    let line = (e.line() > 0).then(|| e.line() as u64 + line_offset);
    IngestError::invalid(file, line, message)
}

fn yaml_error(file: &str, e: &yaml_serde::Error) -> IngestError {
    let message = e.to_string();
    let message = match message.find(" at line ") {
        Some(end) => message[..end].to_string(),
        None => message,
    };
    IngestError::invalid(file, e.location().map(|l| l.line() as u64), message)
}

/// YAML's data model as JSON: non-string keys become strings, tags are dropped, non-finite
/// floats become strings.
fn yaml_to_json(value: yaml_serde::Value) -> Value {
    use yaml_serde::Value as Yaml;
    match value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(n.to_string()), Value::Number)
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Yaml::Mapping(mapping) => {
            let mut map = Map::with_capacity(mapping.len());
            for (key, value) in mapping {
                let key = match yaml_to_json(key) {
                    Value::String(s) => s,
                    Value::Null => "null".to_string(),
                    other => other.to_string(),
                };
                map.insert(key, yaml_to_json(value));
            }
            Value::Object(map)
        }
        Yaml::Tagged(tagged) => yaml_to_json(tagged.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_under_a_known_key_with_nested_lists_and_demographics() {
        let text = r#"{
          "survey": {"name": "Q3 research", "total": 2},
          "participants": [
            {"id": "P1", "demographics": {"role": "Nurse", "age": 34},
             "quotes": ["Handover notes are always late.", "I double-check every dose by hand."]},
            {"id": "P2", "demographics": {"role": "Doctor", "age": 51},
             "quotes": ["Paging interrupts every ward round."]}
          ]
        }"#;
        let records = parse_json("s.json", "s", text).unwrap();
        assert_eq!(records.ids, ["P1", "P2"]);
        assert_eq!(records.attributes[0]["role"], "Nurse");
        assert_eq!(records.attributes[1]["age"], "51");
        assert_eq!(
            records.texts(),
            [
                (
                    "P1".into(),
                    "/participants/0/quotes/0".into(),
                    "Handover notes are always late.".into()
                ),
                (
                    "P1".into(),
                    "/participants/0/quotes/1".into(),
                    "I double-check every dose by hand.".into()
                ),
                (
                    "P2".into(),
                    "/participants/1/quotes/0".into(),
                    "Paging interrupts every ward round.".into()
                ),
            ]
        );
    }

    #[test]
    fn pointer_escaping_and_keyed_records() {
        assert_eq!(escape_pointer("a/b~c"), "a~1b~0c");
        let text = r#"{"participants": {"P/1": {"pain points": ["Invoices take a week to approve."]}}}"#;
        let records = parse_json("k.json", "k", text).unwrap();
        assert_eq!(records.ids, ["P/1"]);
        assert_eq!(records.utterances[0].location, "/participants/P~11/pain points/0");
    }

    #[test]
    fn a_single_object_is_one_participant() {
        let text = r#"{"participant_id": "P9", "role": "Chef",
                       "answers": [{"question": "What slows you down?", "answer": "Ordering stock by phone every morning."}]}"#;
        let records = parse_json("one.json", "one", text).unwrap();
        assert_eq!(records.ids, ["P9"]);
        assert_eq!(records.attributes[0]["role"], "Chef");
        assert_eq!(
            records.texts(),
            [(
                "P9".into(),
                "/answers/0/answer".into(),
                "Ordering stock by phone every morning.".into()
            )]
        );
    }

    #[test]
    fn an_object_about_one_participant_keeps_its_responses() {
        let text = r#"{"participant": {"id": "P4", "role": "Chef"},
                       "responses": [{"question": "What is hard?", "answer": "Ordering stock by phone every morning."},
                                     {"question": "Tools?", "answer": "A paper diary and a very old tablet."}]}"#;
        let records = parse_json("p4.json", "p4", text).unwrap();
        assert_eq!(records.ids, ["P4"]);
        assert_eq!(records.attributes[0]["role"], "Chef");
        assert_eq!(records.utterances.len(), 2);
        assert_eq!(records.utterances[1].location, "/responses/1/answer");
    }

    #[test]
    fn arrays_of_strings_are_anonymous_records() {
        let text = r#"{"responses": ["Too slow to load.", "Love the new dashboard layout."]}"#;
        let records = parse_json("c.json", "c", text).unwrap();
        assert_eq!(records.ids, ["c-record1", "c-record2"]);
        assert_eq!(records.utterances[1].location, "/responses/1");
        // Without a records key, an object is one participant and its list their words.
        let text = r#"{"comments": ["Too slow to load.", "Love the new dashboard layout."]}"#;
        let records = parse_json("c.json", "c", text).unwrap();
        assert_eq!(records.ids, ["c-record1"]);
        assert_eq!(records.utterances.len(), 2);
    }

    #[test]
    fn json_errors_name_the_line() {
        let e = parse_json("b.json", "b", "[\n  {\"a\": 1},\n  ,\n]").unwrap_err();
        assert_eq!(e.to_string(), "b.json: line 3: expected value");
        let e = parse_json("n.json", "n", "42").unwrap_err();
        assert_eq!(e.to_string(), "n.json: expected an array of records or an object");
        let e = parse_json("e.json", "e", "[]").unwrap_err();
        assert_eq!(e.to_string(), "e.json: no records found");
    }

    #[test]
    fn jsonl_locations_and_bad_lines() {
        let text = "{\"user_id\": \"U1\", \"comment\": \"The search is useless for old tickets.\"}\n\n\
                    {\"user_id\": \"U2\", \"comment\": \"Exports time out on big accounts.\"}\n";
        let records = parse_jsonl("f.jsonl", "f", text).unwrap();
        assert_eq!(records.utterances[1].location, "line 3");
        assert_eq!(records.ids, ["U1", "U2"]);
        let e = parse_jsonl("f.jsonl", "f", "{\"a\": \"x\"}\n{\"a\": oops}\n").unwrap_err();
        assert_eq!(e.line(), Some(2));
        assert!(e.to_string().starts_with("f.jsonl: line 2: expected value"), "{e}");
        let e = parse_jsonl("f.jsonl", "f", "[1, 2]\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.jsonl: line 1: expected a JSON object (one record per line)"
        );
    }

    #[test]
    fn yaml_reads_like_json() {
        let text = "responses:\n  - participant: P1\n    role: Nurse\n    feedback: |\n      Handover notes are late\n      and incomplete.\n  - participant: P2\n    role: Doctor\n    feedback: Paging interrupts rounds constantly.\n";
        let records = parse_yaml("y.yaml", "y", text).unwrap();
        assert_eq!(records.ids, ["P1", "P2"]);
        assert_eq!(records.utterances[0].location, "/responses/0/feedback");
        assert_eq!(records.utterances[0].text, "Handover notes are late\nand incomplete.");
        assert_eq!(records.attributes[1]["role"], "Doctor");
        let e = parse_yaml("bad.yaml", "bad", "a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.line().is_some(), "{e}");
    }
}
