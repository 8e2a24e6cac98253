//! JSON, JSONL and YAML: a list of records (one per participant or per response), each a tree
//! of fields. Fields are flattened to column paths (`demographics/role`, `answers/answer`) and
//! classified like CSV columns; values are located by JSON pointer (JSON, YAML) or line (JSONL).

mod issues;
mod record;

use record::RecordRef;

use super::error::IngestError;
use super::fields::{self, Role, ValueStats};
use super::records::FileRecords;
use issues::read_issues;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

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

/// Keys (compacted) of a speaker in chat logs and message lists.
const SPEAKER_KEYS: &[&str] = &["role", "speaker", "author", "from", "sender"];

/// Speakers (lowercase) whose messages are not participant evidence: the other side of a chat
/// or interview, like interviewer turns in transcripts.
const NON_PARTICIPANT_SPEAKERS: &[&str] = &["assistant", "system", "bot", "agent", "ai", "interviewer", "moderator"];

/// Speakers (lowercase) of the participant's side of a chat.
const PARTICIPANT_SPEAKERS: &[&str] = &[
    "user",
    "human",
    "customer",
    "participant",
    "client",
    "respondent",
    "interviewee",
];

/// Whether the records are a chat log: every speaker field holds a chat role (`user`,
/// `assistant`, `system`, …, any case), and either the participant's side speaks (`user`,
/// `customer`) or a bot role is written the way chat exports write it (`assistant`, `system`).
/// A survey whose `role` is a job title (`Nurse`, or `Moderator` and `Assistant` alone) is not
/// one, and keeps every answer.
fn is_chat_log(records: &[RecordRef]) -> bool {
    #[derive(Default)]
    struct Seen {
        participant_side: bool,
        export_style: bool,
    }
    fn scan(value: &Value, seen: &mut Seen) -> bool {
        match value {
            Value::Object(map) => map.iter().all(|(key, value)| match value {
                Value::String(speaker) if SPEAKER_KEYS.contains(&fields::compact(key).as_str()) => {
                    let written = speaker.trim();
                    let speaker = written.to_lowercase();
                    let participant_side = PARTICIPANT_SPEAKERS.contains(&speaker.as_str());
                    seen.participant_side |= participant_side;
                    seen.export_style |= matches!(written, "assistant" | "system" | "bot" | "ai" | "tool" | "function");
                    participant_side
                        || NON_PARTICIPANT_SPEAKERS.contains(&speaker.as_str())
                        || matches!(speaker.as_str(), "tool" | "function" | "model")
                }
                other => scan(other, seen),
            }),
            Value::Array(items) => items.iter().all(|item| scan(item, seen)),
            _ => true,
        }
    }
    let mut seen = Seen::default();
    records.iter().all(|r| scan(r.value, &mut seen)) && (seen.participant_side || seen.export_style)
}

/// Keys (compacted) never read, at any depth: form and tracking metadata (`metadata.browser`,
/// Typeform's `hidden` and `calculated`), which describe the submission rather than the person
/// and would otherwise dominate segmentation.
const LEFT_OUT_KEYS: &[&str] = &[
    "metadata",
    "meta",
    "hidden",
    "calculated",
    "variables",
    "tracking",
    "useragent",
    "browser",
    "referer",
    "referrer",
    "networkid",
    "ip",
    "ipaddress",
    "landedat",
    "submittedat",
];

/// Fields (compacted) naming the participant when no participant field exists: a chat's
/// conversation, a form response's token.
const FALLBACK_PARTICIPANT_FIELDS: &[&str] = &["conversationid", "threadid", "chatid", "sessionid", "token"];

/// Typeform answer types whose values are contact details, links or dates: never read.
const LEFT_OUT_ANSWER_TYPES: &[&str] = &["email", "phone_number", "url", "file_url", "payment", "date"];

/// Longest participant id accepted from a field found by name.
const MAX_ID_CHARS: usize = 100;

pub(crate) fn parse_json(file: &str, id_prefix: &str, text: &str) -> Result<FileRecords, IngestError> {
    let root: Value = serde_json::from_str(text).map_err(|e| json_error(file, &e, 0))?;
    let mut warnings = Vec::new();
    let records = find_records(&root, &mut warnings).map_err(|message| IngestError::invalid(file, None, message))?;
    let mut out = read_issues(&records).unwrap_or_else(|| read_records(id_prefix, &records));
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
    let mut out = read_issues(&records).unwrap_or_else(|| read_records(id_prefix, &records));
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
    Ok(read_issues(&records).unwrap_or_else(|| read_records(id_prefix, &records)))
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

/// How a value's answer type constrains its role (Typeform answers); `Free` elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Kind {
    #[default]
    Free,
    /// Any other Typeform answer: classified by its ref alone.
    Answer,
    /// A long-text answer: the participant's words.
    Open,
    /// A choice, number or yes/no: picked, not written, so never text.
    Closed,
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
    kind: Kind,
}

/// What [`walk`] did not visit.
#[derive(Default)]
struct LeftOut {
    /// The records are a chat log ([`is_chat_log`]): only then are messages left out by speaker.
    chat: bool,
    /// Messages by a non-participant speaker (`role: assistant`).
    turns: usize,
    /// Those speakers, lowercase.
    speakers: BTreeSet<String>,
    /// Column paths of the speaker fields that marked them (`role`, `messages/role`).
    speaker_columns: HashSet<String>,
}

/// The speaker field and speaker (lowercase) of a message by a non-participant
/// (`{"role": "assistant", "content": …}`).
fn non_participant_speaker(map: &Map<String, Value>) -> Option<(&str, String)> {
    map.iter().find_map(|(key, value)| {
        let Value::String(speaker) = value else { return None };
        let speaker = speaker.trim().to_lowercase();
        let named = SPEAKER_KEYS.contains(&fields::compact(key).as_str());
        (named && NON_PARTICIPANT_SPEAKERS.contains(&speaker.as_str())).then_some((key.as_str(), speaker))
    })
}

/// A Typeform answer (`{"field": {"ref": …}, "type": "choice", "choice": {"label": …}}`): the
/// field's ref (or id), the value, its pointer below the answer, and its kind; `None` as the
/// value for answers that are left out (e-mail, phone, URL, date).
struct Answer<'v> {
    key: &'v str,
    value: Option<(Cow<'v, str>, String, Kind)>,
}

fn typeform_answer(map: &Map<String, Value>) -> Option<Answer<'_>> {
    let field = map.get("field")?.as_object()?;
    let key = [field.get("ref"), field.get("id")]
        .into_iter()
        .flatten()
        .find_map(|v| v.as_str().filter(|s| !s.trim().is_empty()))?;
    let answer_type = map.get("type")?.as_str()?;
    let raw = map.get(answer_type)?;
    if LEFT_OUT_ANSWER_TYPES.contains(&answer_type) {
        return Some(Answer { key, value: None });
    }
    let here = format!("/{}", escape_pointer(answer_type));
    let value = match (answer_type, raw) {
        ("choice", Value::Object(choice)) => ["label", "other"].into_iter().find_map(|name| {
            let text = choice.get(name)?.as_str()?;
            Some((Cow::Borrowed(text), format!("{here}/{name}"), Kind::Closed))
        }),
        ("choices", Value::Object(choices)) => {
            let mut picked: Vec<&str> = choices
                .get("labels")
                .and_then(Value::as_array)
                .map(|labels| labels.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            picked.extend(choices.get("other").and_then(Value::as_str));
            let pointer = if choices.contains_key("labels") {
                format!("{here}/labels")
            } else {
                format!("{here}/other")
            };
            (!picked.is_empty()).then(|| (Cow::Owned(picked.join(", ")), pointer, Kind::Closed))
        }
        ("number" | "boolean", _) => scalar_text(raw).map(|v| (v, here, Kind::Closed)),
        ("text", _) => {
            let long = field.get("type").and_then(Value::as_str) == Some("long_text");
            scalar_text(raw).map(|v| (v, here, if long { Kind::Open } else { Kind::Answer }))
        }
        _ => scalar_text(raw).map(|v| (v, here, Kind::Answer)),
    };
    Some(Answer { key, value })
}

/// Calls `visit` for every scalar under `value`.
/// Column paths join object keys with `/` and leave out list indices, so that the same field of
/// every record (and every item of a list) is one column. Left out: [`LEFT_OUT_KEYS`], messages
/// by non-participant speakers (counted in `left_out`); Typeform answers are read as one field
/// named by their ref (`answers/role`).
fn walk<'v>(
    value: &'v Value,
    column: &mut String,
    pointer: &mut String,
    in_list: bool,
    left_out: &mut LeftOut,
    visit: &mut dyn FnMut(Found),
) {
    match value {
        Value::Object(map) => {
            if let Some((key, speaker)) = non_participant_speaker(map).filter(|_| left_out.chat) {
                left_out.turns += 1;
                left_out.speakers.insert(speaker);
                let path = if column.is_empty() {
                    key.to_string()
                } else {
                    format!("{column}/{key}")
                };
                left_out.speaker_columns.insert(path);
                return;
            }
            if let Some(answer) = typeform_answer(map) {
                if let Some((text, below, kind)) = answer.value {
                    let path = if column.is_empty() {
                        answer.key.to_string()
                    } else {
                        format!("{column}/{}", answer.key)
                    };
                    visit(Found {
                        column: &path,
                        value: &text,
                        pointer: &format!("{pointer}{below}"),
                        in_list: false,
                        kind,
                    });
                }
                return;
            }
            for (key, child) in map {
                if LEFT_OUT_KEYS.contains(&fields::compact(key).as_str()) {
                    continue;
                }
                let (column_len, pointer_len) = (column.len(), pointer.len());
                if !column.is_empty() {
                    column.push('/');
                }
                column.push_str(key);
                pointer.push('/');
                pointer.push_str(&escape_pointer(key));
                walk(child, column, pointer, in_list, left_out, visit);
                column.truncate(column_len);
                pointer.truncate(pointer_len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let pointer_len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                walk(child, column, pointer, true, left_out, visit);
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
                    kind: Kind::Free,
                });
            }
        }
    }
}

/// An e-mail address, an IP address or a Unix timestamp (10 or 13 digits): contact or
/// tracking data, not a trait.
fn is_contact_or_tracking(value: &str) -> bool {
    let email = value
        .split_once('@')
        .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.') && !value.contains(char::is_whitespace));
    let whole = value.split_once('.').map_or(value, |(whole, _)| whole);
    let epoch = matches!(whole.len(), 10 | 13)
        && whole.starts_with('1')
        && whole.bytes().all(|b| b.is_ascii_digit())
        && value.parse::<f64>().is_ok();
    email || epoch || value.parse::<IpAddr>().is_ok()
}

/// The field naming the participant: the most specific name found in any record, among scalar
/// fields of the record or of an object directly inside it (`participant: {id: …}`).
fn find_participant_field(records: &[RecordRef]) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for record in records {
        let Value::Object(map) = record.value else { continue };
        let mut consider = |path: String, value: &Value| {
            let fallback = || {
                let compact = fields::compact(&path);
                let rank = FALLBACK_PARTICIPANT_FIELDS.iter().position(|&f| f == compact)?;
                Some(usize::MAX / 2 + rank)
            };
            let Some(rank) = fields::participant_field_rank(&path).or_else(fallback) else {
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
    let fallback = || {
        let map = record.value.as_object()?;
        FALLBACK_PARTICIPANT_FIELDS.iter().find_map(|&wanted| {
            let (_, value) = map.iter().find(|(key, _)| fields::compact(key) == wanted)?;
            scalar_text(value)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty() && v.chars().count() <= MAX_ID_CHARS)
        })
    };
    field.or_else(fallback).or_else(|| record.key.clone())
}

#[derive(Default)]
struct Column {
    stats: ValueStats,
    role: Option<Role>,
    key: String,
    kind: Kind,
    values: usize,
    /// Values that are e-mail or IP addresses or Unix timestamps.
    contact_or_tracking: usize,
    max_chars: usize,
}

/// The fields seen across the records, in first-seen order, by column path.
#[derive(Default)]
struct Columns {
    list: Vec<(String, Column)>,
    index: HashMap<String, usize>,
}

impl Columns {
    fn entry(&mut self, path: &str) -> &mut Column {
        let index = *self.index.entry(path.to_string()).or_insert_with(|| {
            self.list.push((path.to_string(), Column::default()));
            self.list.len() - 1
        });
        &mut self.list[index].1
    }

    fn get(&self, path: &str) -> Option<&Column> {
        self.index.get(path).map(|&index| &self.list[index].1)
    }

    /// The column paths given `role`, comma-separated.
    fn with_role(&self, role: Role) -> String {
        self.list
            .iter()
            .filter(|(_, c)| c.role == Some(role))
            .map(|(path, _)| path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The column a scalar belongs to; a record that is one scalar has its own column name.
fn column_of<'a>(record: &'a RecordRef, found: &Found<'a>) -> &'a str {
    if found.column.is_empty() {
        record.scalar_column
    } else {
        found.column
    }
}

/// Walks one record, calling `visit` with every scalar (`pointer_from` starts its pointers).
fn walk_record(
    record: &RecordRef,
    pointer_from: &str,
    buffers: &mut (String, String),
    left_out: &mut LeftOut,
    visit: &mut dyn FnMut(Found),
) {
    let (column_buf, pointer_buf) = buffers;
    column_buf.clear();
    pointer_buf.clear();
    pointer_buf.push_str(pointer_from);
    walk(record.value, column_buf, pointer_buf, false, left_out, visit);
}

/// Two passes over the records: first what each field looks like, then, with every field
/// classified, the attributes and utterances in document order.
fn read_records(id_prefix: &str, records: &[RecordRef]) -> FileRecords {
    let mut out = FileRecords::default();
    let chat = is_chat_log(records);
    let (mut columns, record_participant, seen_left_out) = observe_columns(id_prefix, records, chat, &mut out);
    classify_columns(&mut columns, &seen_left_out);
    let left_out = emit_records(records, &record_participant, &columns, chat, &mut out);
    explain_left_out(&mut out, &left_out, &columns);
    out
}

/// First pass: whose record each is (its participant), and what each field looks like.
fn observe_columns(
    id_prefix: &str,
    records: &[RecordRef],
    chat: bool,
    out: &mut FileRecords,
) -> (Columns, Vec<usize>, LeftOut) {
    let id_field = find_participant_field(records);
    let mut columns = Columns::default();
    let mut record_participant = Vec::with_capacity(records.len());
    let mut buffers = (String::new(), String::new());
    let mut seen_left_out = LeftOut {
        chat,
        ..LeftOut::default()
    };
    for (number, record) in records.iter().enumerate() {
        let id = participant_id_of(record, id_field.as_deref())
            .unwrap_or_else(|| format!("{id_prefix}-record{}", number + 1));
        let participant = out.participant(&id);
        record_participant.push(participant);
        let mut observe = |found: Found| {
            let column = column_of(record, &found);
            if Some(column) == id_field.as_deref() {
                return;
            }
            let value = found.value.trim();
            if value.is_empty() {
                return;
            }
            let column = columns.entry(column);
            column.stats.in_list |= found.in_list;
            column.stats.observe(participant, value);
            column.kind = found.kind;
            column.values += 1;
            column.contact_or_tracking += usize::from(is_contact_or_tracking(value));
            column.max_chars = column.max_chars.max(value.chars().count());
        };
        walk_record(record, "", &mut buffers, &mut seen_left_out, &mut observe);
    }
    (columns, record_participant, seen_left_out)
}

/// Gives every column its role and its attribute key: the field's own name unless two
/// attribute fields share it, then its whole path.
fn classify_columns(columns: &mut Columns, seen_left_out: &LeftOut) {
    let mut leaf_count: HashMap<String, usize> = HashMap::new();
    for (path, column) in &mut columns.list {
        let role = column_role(path, column, seen_left_out);
        column.role = Some(role);
        if role == Role::Attribute {
            let leaf = fields::snake_case(path.rsplit('/').next().unwrap_or(path));
            *leaf_count.entry(leaf).or_default() += 1;
        }
    }
    for (path, column) in &mut columns.list {
        let leaf = fields::snake_case(path.rsplit('/').next().unwrap_or(path));
        column.key = if leaf_count.get(&leaf).copied().unwrap_or(0) > 1 {
            fields::snake_case(path)
        } else {
            leaf
        };
    }
}

fn column_role(path: &str, column: &Column, seen_left_out: &LeftOut) -> Role {
    // A Typeform answer is named by its ref alone (`answers/q1` is not an answer text).
    let name = match column.kind {
        Kind::Free => path.replace('/', "_"),
        _ => path.rsplit('/').next().unwrap_or(path).to_string(),
    };
    let mut role = fields::classify(&name, &column.stats);
    // Closed answers were picked from a list: short ones describe the person, none are words.
    if column.kind == Kind::Closed && role == Role::Text {
        role = if column.max_chars <= 80 {
            Role::Attribute
        } else {
            Role::Ignore
        };
    }
    if column.kind == Kind::Open {
        role = Role::Text;
    }
    // A speaker field (`role: user` once assistant messages are left out) is not a trait.
    let speaker = seen_left_out.speaker_columns.contains(path);
    if speaker || (column.contact_or_tracking * 5 >= column.values * 4 && role != Role::Text) {
        role = Role::Ignore;
    }
    role
}

/// Second pass: attributes and utterances in document order; returns what was left out.
fn emit_records(
    records: &[RecordRef],
    record_participant: &[usize],
    columns: &Columns,
    chat: bool,
    out: &mut FileRecords,
) -> LeftOut {
    let mut buffers = (String::new(), String::new());
    let mut left_out = LeftOut {
        chat,
        ..LeftOut::default()
    };
    for (record, &participant) in records.iter().zip(record_participant) {
        let mut emit = |found: Found| {
            let Some(column) = columns.get(column_of(record, &found)) else {
                return;
            };
            match column.role {
                Some(Role::Attribute) => out.set_attribute(participant, &column.key, found.value),
                Some(Role::Text) => {
                    let location = match &record.location {
                        Some(location) => location.clone(),
                        None => found.pointer.to_string(),
                    };
                    out.add_utterance(participant, location, found.value);
                }
                _ => {}
            }
        };
        walk_record(record, &record.pointer, &mut buffers, &mut left_out, &mut emit);
    }
    left_out
}

/// The warning for left-out messages, and why a file without utterances has none.
fn explain_left_out(out: &mut FileRecords, left_out: &LeftOut, columns: &Columns) {
    let speakers = || left_out.speakers.iter().cloned().collect::<Vec<_>>().join(", ");
    if left_out.turns > 0 {
        out.warnings.push(format!(
            "{} message(s) by {} left out (not participant evidence)",
            left_out.turns,
            speakers()
        ));
    }
    if out.utterances.is_empty() && left_out.turns > 0 {
        out.no_text_reason = Some(format!("only {} messages found", speakers()));
    } else if out.utterances.is_empty() {
        let mut reason = "no field holds free text".to_string();
        let (attributes, ignored) = (columns.with_role(Role::Attribute), columns.with_role(Role::Ignore));
        if !attributes.is_empty() {
            reason.push_str(&format!("; attributes: {attributes}"));
        }
        if !ignored.is_empty() {
            reason.push_str(&format!("; left out: {ignored}"));
        }
        out.no_text_reason = Some(reason);
    }
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

    #[test]
    fn chat_log_lines_by_assistants_and_systems_are_left_out() {
        let text = concat!(
            r#"{"user_id": "U1", "role": "system", "content": "You are a helpful budgeting assistant.", "channel": "web"}"#,
            "\n",
            r#"{"user_id": "U1", "role": "Assistant", "content": "Hi! What can I help you with today?", "channel": "web"}"#,
            "\n",
            r#"{"user_id": "U1", "role": "user", "content": "My income arrives in lumps every few months.", "channel": "web"}"#,
            "\n",
            r#"{"user_id": "U2", "speaker": "BOT", "content": "Welcome back to the app, how are you?", "channel": "ios"}"#,
            "\n",
            r#"{"user_id": "U2", "speaker": "customer", "content": "I need reminders before school fees leave the account.", "channel": "ios"}"#,
            "\n",
        );
        let records = parse_jsonl("chat.jsonl", "chat", text).unwrap();
        assert_eq!(records.ids, ["U1", "U2"]);
        assert_eq!(
            records.texts(),
            [
                (
                    "U1".into(),
                    "line 3".into(),
                    "My income arrives in lumps every few months.".into()
                ),
                (
                    "U2".into(),
                    "line 5".into(),
                    "I need reminders before school fees leave the account.".into()
                ),
            ]
        );
        // The speaker field is not a trait; the channel is.
        assert_eq!(records.attributes[0].get("role"), None);
        assert_eq!(records.attributes[1].get("speaker"), None);
        assert_eq!(records.attributes[1]["channel"], "ios");
        assert_eq!(
            records.warnings,
            ["3 message(s) by assistant, bot, system left out (not participant evidence)"]
        );
    }

    #[test]
    fn message_lists_leave_out_other_speakers_and_keep_pointers() {
        let text = r#"[
          {"conversation_id": "c1", "messages": [
            {"from": "interviewer", "text": "What is the hardest part of budgeting for you?"},
            {"from": "participant", "text": "Splitting bills with four flatmates is always messy."},
            {"author": "AI", "text": "Thanks, could you tell me more about that?"},
            {"from": "participant", "text": "Someone always forgets to pay their share of the wifi."}]},
          {"conversation_id": "c2", "messages": [
            {"sender": "moderator", "text": "Tell me about your week."},
            {"sender": "agent", "text": "Our agent will follow up on that soon."},
            {"from": "participant", "text": "I keep a jar in the kitchen for pocket money."}]}
        ]"#;
        let records = parse_json("conv.json", "conv", text).unwrap();
        // Without a participant field, the conversation id names the participant.
        assert_eq!(records.ids, ["c1", "c2"]);
        assert_eq!(
            records.texts(),
            [
                (
                    "c1".into(),
                    "/0/messages/1/text".into(),
                    "Splitting bills with four flatmates is always messy.".into()
                ),
                (
                    "c1".into(),
                    "/0/messages/3/text".into(),
                    "Someone always forgets to pay their share of the wifi.".into()
                ),
                (
                    "c2".into(),
                    "/1/messages/2/text".into(),
                    "I keep a jar in the kitchen for pocket money.".into()
                ),
            ]
        );
        assert!(
            records.attributes.iter().all(|a| a.is_empty()),
            "{:?}",
            records.attributes
        );
        assert_eq!(
            records.warnings,
            ["4 message(s) by agent, ai, interviewer, moderator left out (not participant evidence)"]
        );

        // Only the assistant's side: no participant text, said so.
        let text =
            "{\"user_id\": \"U1\", \"role\": \"assistant\", \"content\": \"How can I help you today with budgets?\"}\n";
        let records = parse_jsonl("bot.jsonl", "bot", text).unwrap();
        assert!(records.utterances.is_empty());
        assert_eq!(records.no_text_reason.as_deref(), Some("only assistant messages found"));
    }

    #[test]
    fn a_role_that_is_a_job_is_still_an_attribute() {
        let text = r#"[{"participant_id": "P1", "role": "Nurse", "quote": "Handover notes are always late."},
                       {"participant_id": "P2", "role": "Doctor", "quote": "Paging interrupts every ward round."}]"#;
        let records = parse_json("r.json", "r", text).unwrap();
        assert_eq!(records.attributes[0]["role"], "Nurse");
        assert_eq!(records.utterances.len(), 2);
        assert!(records.warnings.is_empty());
        // Job titles that are also chat roles: still a survey, every answer kept.
        let text = r#"[{"participant_id": "P1", "role": "Moderator", "quote": "I approve forum posts every morning."},
                       {"participant_id": "P2", "role": "Assistant", "quote": "I book the travel for my team."},
                       {"participant_id": "P3", "role": "Agent (real estate)", "quote": "Viewings fill my Saturdays."}]"#;
        let records = parse_json("r.json", "r", text).unwrap();
        assert_eq!(records.utterances.len(), 3);
        assert_eq!(records.attributes[1]["role"], "Assistant");
        assert!(records.warnings.is_empty(), "{:?}", records.warnings);
        let yaml = "- participant_id: P1\n  role: Moderator\n  quote: I approve forum posts every morning.\n\
                    - participant_id: P2\n  role: Assistant\n  quote: I book the travel for my team.\n";
        assert_eq!(parse_yaml("r.yaml", "r", yaml).unwrap().utterances.len(), 2);
    }

    const TYPEFORM: &str = r#"{"total_items": 2, "page_count": 1, "items": [
      {"landing_id": "a01x", "token": "a01x", "response_id": "a01x",
       "landed_at": "2024-03-02T09:01:11Z", "submitted_at": "2024-03-02T09:06:40Z",
       "metadata": {"user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36",
                    "platform": "other", "referer": "https://x.typeform.com/to/Xk2bQ9", "network_id": "9e3779b1",
                    "browser": "default"},
       "hidden": {"plan": "pro"}, "calculated": {"score": 3},
       "answers": [
         {"field": {"id": "Kq1aZ", "type": "multiple_choice", "ref": "role"}, "type": "choice",
          "choice": {"id": "c1", "label": "Freelance designer", "ref": "rfree"}},
         {"field": {"id": "Lw2bY", "type": "long_text", "ref": "hardest_part"}, "type": "text",
          "text": "My income arrives in lumps, so I never know what a normal month looks like."},
         {"field": {"id": "Mx3cX", "type": "long_text", "ref": "routine"}, "type": "text", "text": "Spreadsheets."},
         {"field": {"id": "Oz5eV", "type": "opinion_scale", "ref": "nps"}, "type": "number", "number": 6},
         {"field": {"id": "Qb7gT", "type": "multiple_choice", "ref": "tools"}, "type": "choices",
          "choices": {"labels": ["Spreadsheet", "Banking app"]}},
         {"field": {"id": "Rc8hS", "type": "yes_no"}, "type": "boolean", "boolean": true},
         {"field": {"id": "Pa6fU", "type": "email", "ref": "email"}, "type": "email", "email": "amara@example.com"},
         {"field": {"id": "Sd9iR", "type": "date", "ref": "started"}, "type": "date", "date": "2023-01-01"}
       ]},
      {"token": "b02y", "landed_at": "2024-03-03T09:01:11Z",
       "metadata": {"user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15",
                    "platform": "mobile", "browser": "touch"},
       "answers": [
         {"field": {"id": "Kq1aZ", "type": "multiple_choice", "ref": "role"}, "type": "choice",
          "choice": {"other": "Night nurse"}},
         {"field": {"id": "Lw2bY", "type": "long_text", "ref": "hardest_part"}, "type": "text",
          "text": "Shift pay changes every month and the app cannot plan around it."},
         {"field": {"id": "Oz5eV", "type": "opinion_scale", "ref": "nps"}, "type": "number", "number": 9},
         {"field": {"id": "Rc8hS", "type": "yes_no"}, "type": "boolean", "boolean": false}
       ]}
    ]}"#;

    #[test]
    fn typeform_answers_are_keyed_by_field_ref() {
        let records = parse_json("tf.json", "tf", TYPEFORM).unwrap();
        // `response_id`, else `token`.
        assert_eq!(records.ids, ["a01x", "b02y"]);
        let first: Vec<(&str, &str)> = records.attributes[0]
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        // No metadata, hidden or calculated fields, e-mail or date answers; a field without a
        // ref is keyed by its id.
        assert_eq!(
            first,
            [
                ("nps", "6"),
                ("rc8h_s", "true"),
                ("role", "Freelance designer"),
                ("tools", "Spreadsheet, Banking app"),
            ]
        );
        assert_eq!(records.attributes[1]["role"], "Night nurse");
        assert_eq!(records.attributes[1]["rc8h_s"], "false");
        // Long-text answers are text, even when short.
        assert_eq!(
            records.texts(),
            [
                (
                    "a01x".into(),
                    "/items/0/answers/1/text".into(),
                    "My income arrives in lumps, so I never know what a normal month looks like.".into()
                ),
                ("a01x".into(), "/items/0/answers/2/text".into(), "Spreadsheets.".into()),
                (
                    "b02y".into(),
                    "/items/1/answers/1/text".into(),
                    "Shift pay changes every month and the app cannot plan around it.".into()
                ),
            ]
        );
        assert!(records.warnings.is_empty(), "{:?}", records.warnings);
    }

    #[test]
    fn tracking_fields_and_contact_values_are_not_attributes() {
        let text = r#"{"responses": [
          {"respondent_id": "R1", "browser": "Chrome", "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/121.0",
           "ip_address": "203.0.113.7", "contact": "ana@example.com", "ts": 1709373600, "remote_addr": "203.0.113.7",
           "platform": "iOS", "segment": "Pro", "feedback": "The export button is hidden behind three menus."},
          {"respondent_id": "R2", "browser": "Safari", "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X)",
           "ip_address": "198.51.100.4", "contact": "bo@example.org", "ts": 1709460000, "remote_addr": "198.51.100.4",
           "platform": "Android", "segment": "Free", "feedback": "I never find last month's invoices."}
        ]}"#;
        let records = parse_json("t.json", "t", text).unwrap();
        assert_eq!(records.ids, ["R1", "R2"]);
        let keys: Vec<&str> = records.attributes[0].keys().map(String::as_str).collect();
        // A platform asked about in the survey stays; metadata about the submission does not.
        assert_eq!(keys, ["platform", "segment"]);
        assert_eq!(records.utterances.len(), 2);
        assert_eq!(records.utterances[1].location, "/responses/1/feedback");
    }
}
