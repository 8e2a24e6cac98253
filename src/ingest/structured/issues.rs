//! Issue tracker exports (GitHub, GitLab, Jira) among structured files: the author of each issue
//! is the participant, its title and body their words.

use super::record::RecordRef;
use crate::ingest::markup;
use crate::ingest::records::FileRecords;
use serde_json::Value;
use std::collections::BTreeSet;

/// The value at a `/`-separated path of object keys.
fn at_path<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('/').try_fold(value, |v, key| v.get(key))
}

/// The first of `paths` holding a value that is not null.
fn first_of<'v>(value: &'v Value, paths: &[&'static str]) -> Option<(&'static str, &'v Value)> {
    paths
        .iter()
        .find_map(|&p| at_path(value, p).filter(|v| !v.is_null()).map(|v| (p, v)))
}

const ISSUE_TITLES: &[&str] = &["title", "fields/summary", "summary"];
const ISSUE_BODIES: &[&str] = &["body", "description", "fields/description", "content"];
const ISSUE_AUTHORS: &[&str] = &[
    "author",
    "user",
    "fields/reporter",
    "reporter",
    "creator",
    "fields/creator",
    "submitter",
];
/// Fields only an issue tracker's record has.
const ISSUE_MARKS: &[&str] = &[
    "number",
    "iid",
    "key",
    "state",
    "html_url",
    "web_url",
    "labels",
    "fields/status",
    "issuetype",
    "fields/issuetype",
];

/// An account that is not a person: GitHub's `is_bot` / `type: Bot`, `…[bot]`, `…-bot`, `app/…`.
fn is_bot_account(author: &Value, login: &str) -> bool {
    let flagged = author.get("is_bot").and_then(Value::as_bool) == Some(true)
        || author
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("bot"));
    let lower = login.to_lowercase();
    flagged
        || lower.ends_with("[bot]")
        || lower.ends_with("-bot")
        || lower.ends_with("_bot")
        || lower.starts_with("app/")
        || lower == "bot"
        || lower.starts_with("bot-")
}

/// The author's account name: `author.login` (GitHub), `author.username` (GitLab),
/// `fields.reporter.displayName` (Jira), or a plain string.
fn author_name(author: &Value) -> Option<String> {
    let name = match author {
        Value::String(s) => Some(s.as_str()),
        Value::Object(map) => ["login", "username", "name", "displayName", "emailAddress", "key"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str).filter(|s| !s.trim().is_empty())),
        _ => None,
    }?;
    Some(name.trim().to_string()).filter(|n| !n.is_empty())
}

/// An issue tracker's export (GitHub, GitLab, Jira): each issue's author is the participant and
/// its title and body are their words; bots' issues and empty bodies are left out; labels are
/// an attribute; numbers, states and dates are the tracker's metadata. `None` if the records
/// are not issues.
pub(super) fn read_issues(records: &[RecordRef]) -> Option<FileRecords> {
    if !is_issue_export(records) {
        return None;
    }
    let mut out = FileRecords::default();
    let mut counts = LeftOutIssues::default();
    let mut columns: BTreeSet<String> = BTreeSet::new();
    for record in records {
        if let Some(map) = record.value.as_object() {
            columns.extend(map.keys().cloned());
        }
        read_issue(record, &mut out, &mut counts);
    }
    skip_metadata_columns(&mut out, columns);
    counts.warn(&mut out);
    if out.utterances.is_empty() {
        out.no_text_reason = Some("no issue with a body by a person".to_string());
    }
    Some(out)
}

/// At least 80 % of the records look like issues (title, author, body and a tracker's field).
fn is_issue_export(records: &[RecordRef]) -> bool {
    let issue_like = records
        .iter()
        .filter(|r| {
            r.value.is_object()
                && first_of(r.value, ISSUE_TITLES).is_some_and(|(_, v)| v.is_string())
                && first_of(r.value, ISSUE_AUTHORS).is_some()
                && first_of(r.value, ISSUE_MARKS).is_some()
                && first_of(r.value, ISSUE_BODIES).is_some_and(|(_, v)| v.is_string() || v.is_null())
        })
        .count();
    !records.is_empty() && issue_like * 10 >= records.len() * 8
}

/// Issues left out, by reason.
#[derive(Default)]
struct LeftOutIssues {
    empty_bodies: usize,
    bot_issues: usize,
    too_short: usize,
}

impl LeftOutIssues {
    fn warn(&self, out: &mut FileRecords) {
        let LeftOutIssues {
            empty_bodies,
            bot_issues,
            too_short,
        } = *self;
        if bot_issues > 0 {
            out.warnings.push(format!(
                "{bot_issues} issue(s) by bot accounts left out (not participant evidence)"
            ));
        }
        if empty_bodies > 0 {
            out.warnings.push(format!(
                "{empty_bodies} issue(s) with an empty body left out (nothing to quote)"
            ));
        }
        if too_short > 0 {
            out.warnings.push(format!(
                "{too_short} issue(s) of a few words left out (spam or placeholders: under 4 words of body)"
            ));
        }
    }
}

/// One issue: its author becomes a participant (unless a bot or a maintainer), its title and
/// body their utterances (unless too short to say anything), its labels an attribute.
fn read_issue(record: &RecordRef, out: &mut FileRecords, counts: &mut LeftOutIssues) {
    let value = record.value;
    let Some((_, author)) = first_of(value, ISSUE_AUTHORS) else {
        return;
    };
    let Some(login) = author_name(author) else {
        return;
    };
    if is_bot_account(author, &login) {
        counts.bot_issues += 1;
        out.leave_out(&login, "staff", "a bot account of the issue tracker");
        return;
    }
    // GitHub's REST export says who maintains the repository: their issues are the team's
    // tasks, not users' experience.
    let association = value.get("author_association").and_then(Value::as_str).unwrap_or("");
    if matches!(association, "OWNER" | "MEMBER" | "COLLABORATOR") {
        out.leave_out(&login, "staff", "a maintainer of the repository (author_association)");
        return;
    }
    let participant = out.participant(&login);
    let location = |field: &str| match &record.location {
        Some(location) => location.clone(),
        None => format!("{}/{}", record.pointer, field),
    };
    let body = first_of(value, ISSUE_BODIES).and_then(|(path, v)| v.as_str().map(|b| (path, b)));
    let Some((body_path, body)) = body.filter(|(_, b)| !b.trim().is_empty()) else {
        // Nothing but a title: no experience to quote.
        counts.empty_bodies += 1;
        return;
    };
    let title = first_of(value, ISSUE_TITLES).and_then(|(p, v)| v.as_str().map(|t| (p, t)));
    let words = |text: &str| markup::reduce(text).text.split_whitespace().count();
    let title_words = title.map_or(0, |(_, t)| words(t));
    if words(body) < 4 && title_words + words(body) < 8 {
        // `GONPXWR` / `GONPXWR`, `keren` / `mantap`: spam or a placeholder, no experience.
        counts.too_short += 1;
        return;
    }
    if let Some((path, title)) = title {
        out.add_utterance(participant, location(path), title);
    }
    out.add_utterance(participant, location(body_path), body);
    let labels = issue_labels(value);
    if !labels.is_empty() {
        out.set_attribute(participant, "labels", &labels.join("; "));
    }
}

/// Label names (`["bug"]` or `[{"name": "bug"}]`, GitHub/GitLab or Jira's `fields.labels`).
fn issue_labels(value: &Value) -> Vec<&str> {
    at_path(value, "labels")
        .or_else(|| at_path(value, "fields/labels"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|l| l.as_str().or_else(|| l.get("name").and_then(Value::as_str)))
                .collect()
        })
        .unwrap_or_default()
}

/// Reports the issue fields that were not read, and why.
fn skip_metadata_columns(out: &mut FileRecords, columns: BTreeSet<String>) {
    for column in columns {
        let reason = match column.as_str() {
            "title" | "body" | "description" | "summary" => continue,
            "labels" => continue,
            "author" | "user" | "reporter" | "creator" => "the participant (its login)",
            _ => "issue tracker metadata (ids, numbers, states, dates)",
        };
        out.skipped_columns.push((column, reason.to_string()));
    }
}
