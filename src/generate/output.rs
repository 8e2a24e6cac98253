//! A run's output folder: `<output_dir>/<YYYYMMDD_HHMMSS>-<8 hex>/` with `metadata.json`,
//! `personas.json` and `personas/NN/persona.{json,md}`. Every file is written to a temporary
//! name and renamed into place, so a crash never leaves a half-written file.

use super::types::{GroundingStats, TokenUsage};
use crate::domain::persona::normalise_whitespace;
use crate::domain::{EvidenceField, Persona, SkippedFile, SourceFile};
use crate::error::Error;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// `metadata.json`: what a run was asked, what it read and what it produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMetadata {
    /// UTC, RFC 3339 with `Z`.
    pub generated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment_id: Option<String>,
    pub provider: String,
    pub model: String,
    pub count_requested: usize,
    pub count_produced: usize,
    pub seed: u64,
    /// The generation options of the request (its `config` object).
    #[serde(default)]
    pub config: serde_json::Map<String, serde_json::Value>,
    /// The data path as given to the run.
    pub data_path: String,
    pub participants: usize,
    pub utterances: usize,
    pub sources: Vec<SourceFile>,
    #[serde(default)]
    pub skipped: Vec<SkippedFile>,
    /// Who was read as a participant or not, label merges, blank respondents, skipped columns.
    #[serde(default)]
    pub ingest: crate::domain::IngestReport,
    #[serde(default)]
    pub warnings: Vec<String>,
    pub duration_ms: u64,
    #[serde(default)]
    pub usage: TokenUsage,
    #[serde(default)]
    pub grounding: GroundingStats,
    /// The version of persona that produced the run.
    pub version: String,
    /// The run's quality summary, once computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<serde_json::Value>,
    /// Why the run failed: a failed run's folder holds only `metadata.json`, with what the run
    /// read and spent before it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Creates a fresh run folder `<output_dir>/<YYYYMMDD_HHMMSS>-<8 hex>/` (UTC). The random
/// suffix, and `create_dir` refusing existing folders, keep concurrent runs apart.
pub fn create_run_dir(output_dir: &Path, now: DateTime<Utc>) -> io::Result<PathBuf> {
    std::fs::create_dir_all(output_dir)?;
    let stamp = now.format("%Y%m%d_%H%M%S");
    loop {
        let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
        let path = output_dir.join(format!("{stamp}-{suffix}"));
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Writes a run's output into a new folder under `output_dir` and returns the folder.
/// `metadata.json` is written last, so a folder with it is complete.
pub fn write_run_output(output_dir: &Path, personas: &[Persona], metadata: &RunMetadata) -> Result<PathBuf, Error> {
    let now = crate::domain::time::parse_rfc3339(&metadata.generated_at).unwrap_or_else(Utc::now);
    let folder = create_run_dir(output_dir, now).map_err(|e| write_error(output_dir, e))?;
    for (i, persona) in personas.iter().enumerate() {
        let dir = folder.join("personas").join(format!("{:02}", i + 1));
        std::fs::create_dir_all(&dir).map_err(|e| write_error(&dir, e))?;
        write_json(&dir.join("persona.json"), persona)?;
        write_atomic(&dir.join("persona.md"), render_markdown(persona).as_bytes())?;
    }
    write_json(&folder.join("personas.json"), &personas)?;
    write_json(&folder.join("metadata.json"), metadata)?;
    Ok(folder)
}

fn write_error(path: &Path, e: io::Error) -> Error {
    Error::Internal(format!("cannot write {}: {e}", path.display()))
}

fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), Error> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it over `path`.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = path.with_file_name(format!(
        ".{name}.tmp-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        write_error(path, e)
    })
}

/// "age_range" -> "Age range".
fn label(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Participants listed on a card before the rest are counted instead.
const CARD_PARTICIPANTS: usize = 30;

/// A readable Markdown card: who the persona is, each claim with its evidence references
/// (`[E3]`), and the evidence itself.
pub fn render_markdown(persona: &Persona) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", persona.name);
    let _ = writeln!(md, "**{}**\n", persona.title);
    let _ = writeln!(md, "{}\n", persona.summary);
    let _ = writeln!(md, "- ID: `{}`", persona.id);
    let shown: Vec<&str> = persona
        .participants
        .iter()
        .take(CARD_PARTICIPANTS)
        .map(String::as_str)
        .collect();
    let more = persona.participants.len().saturating_sub(CARD_PARTICIPANTS);
    let _ = write!(md, "- Participants ({}): {}", persona.segment_size, shown.join(", "));
    if more > 0 {
        let _ = write!(md, " and {more} more");
    }
    md.push('\n');
    let _ = writeln!(md, "- Provider: {} ({})", persona.provider, persona.model);
    if let Some(run) = &persona.run_id {
        let _ = writeln!(md, "- Run: `{run}`");
    }
    if let Some(experiment) = &persona.experiment_id {
        let _ = writeln!(md, "- Experiment: `{experiment}`");
    }
    if let Some(created) = &persona.created_at {
        let _ = writeln!(md, "- Created: {created}");
    }
    if let Some(quality) = &persona.quality
        && let (Some(overall), Some(level)) = (quality["overall_score"].as_f64(), quality["level"].as_str())
    {
        let _ = writeln!(md, "- Quality: {overall:.2} / 100 ({level})");
    }
    md.push('\n');
    if !persona.demographics.is_empty() {
        md.push_str("## Demographics\n\n");
        for (key, value) in &persona.demographics {
            let _ = writeln!(md, "- **{}**: {}", label(key), value);
        }
        md.push('\n');
    }
    let references = |field: EvidenceField, index: usize| -> String {
        persona
            .evidence
            .iter()
            .enumerate()
            .filter(|(_, e)| e.field == field && e.index == index)
            .map(|(n, _)| format!("[E{}]", n + 1))
            .collect::<Vec<_>>()
            .join(" ")
    };
    for (field, heading) in [
        (EvidenceField::Goals, "Goals"),
        (EvidenceField::PainPoints, "Pain points"),
        (EvidenceField::Behaviours, "Behaviours"),
        (EvidenceField::Motivations, "What works for them"),
        (EvidenceField::Quotes, "Quotes"),
    ] {
        let items = persona.field_items(field);
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(md, "## {heading}\n");
        for (index, item) in items.iter().enumerate() {
            let text = normalise_whitespace(item);
            let refs = references(field, index);
            if field == EvidenceField::Quotes {
                let _ = writeln!(md, "> \"{text}\" {refs}\n");
            } else {
                let _ = writeln!(md, "- {text} {refs}");
            }
        }
        if field != EvidenceField::Quotes {
            md.push('\n');
        }
    }
    if !persona.evidence.is_empty() {
        md.push_str("## Evidence\n\n");
        for (n, e) in persona.evidence.iter().enumerate() {
            let _ = writeln!(
                md,
                "- [E{}] {} — {}, {}: \"{}\"",
                n + 1,
                e.participant_id,
                e.source,
                e.location,
                normalise_whitespace(&e.excerpt)
            );
            // The question answered decides what the excerpt means; a reader needs it too.
            if let Some(question) = &e.question {
                let _ = writeln!(md, "  (answering: \"{}\")", normalise_whitespace(question));
            }
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Evidence;
    use std::collections::BTreeMap;

    fn persona() -> Persona {
        Persona {
            motivations: vec!["The offline map works well in the car.".into()],
            id: "persona-0123456789abcdef".into(),
            name: "Maya Okafor".into(),
            title: "The Route Field Sales Rep".into(),
            summary: "Represents 2 of 4 participants (50%).".into(),
            demographics: BTreeMap::from([("age_range".to_string(), "26-40".to_string())]),
            goals: vec!["I want to log visits from my phone.".into()],
            pain_points: vec![],
            behaviours: vec![],
            quotes: vec!["The CRM  logs me out.".into()],
            participants: vec!["P1".into(), "P2".into()],
            segment_size: 2,
            evidence: vec![
                Evidence {
                    question: None,
                    field: EvidenceField::Goals,
                    index: 0,
                    participant_id: "P1".into(),
                    source: "interviews.csv".into(),
                    location: "line 2".into(),
                    excerpt: "I want to log visits from my phone.".into(),
                },
                Evidence {
                    question: Some("What works well for you?".into()),
                    field: EvidenceField::Motivations,
                    index: 0,
                    participant_id: "P1".into(),
                    source: "interviews.csv".into(),
                    location: "line 3".into(),
                    excerpt: "The offline map works well in the car.".into(),
                },
                Evidence {
                    question: None,
                    field: EvidenceField::Quotes,
                    index: 0,
                    participant_id: "P2".into(),
                    source: "interviews.csv".into(),
                    location: "line 14".into(),
                    excerpt: "The CRM  logs me out.".into(),
                },
            ],
            provider: "local".into(),
            model: "local-v1".into(),
            experiment_id: None,
            run_id: None,
            created_at: None,
            quality: None,
        }
    }

    #[test]
    fn markdown_card_links_claims_to_evidence() {
        let md = render_markdown(&persona());
        assert!(
            md.starts_with("# Maya Okafor\n\n**The Route Field Sales Rep**\n"),
            "{md}"
        );
        assert!(md.contains("- **Age range**: 26-40"), "{md}");
        assert!(
            md.contains("## Goals\n\n- I want to log visits from my phone. [E1]\n"),
            "{md}"
        );
        assert!(md.contains("> \"The CRM logs me out.\" [E3]"), "{md}");
        assert!(
            md.contains("- [E3] P2 — interviews.csv, line 14: \"The CRM logs me out.\""),
            "{md}"
        );
        assert!(
            md.contains("## What works for them\n\n- The offline map works well in the car. [E2]\n"),
            "{md}"
        );
        assert!(md.contains("  (answering: \"What works well for you?\")"), "{md}");
        assert!(!md.contains("## Pain points"));
    }

    #[test]
    fn run_folders_are_unique_and_files_complete() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let a = create_run_dir(dir.path(), now).unwrap();
        let b = create_run_dir(dir.path(), now).unwrap();
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_str().unwrap();
        assert_eq!(name.len(), "20260101_000000-0123abcd".len(), "{name}");
        assert!(name.starts_with(&now.format("%Y%m%d_%H%M%S").to_string()));
        write_atomic(&a.join("x.json"), b"{}").unwrap();
        let entries: Vec<_> = std::fs::read_dir(&a).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(
            entries,
            vec![std::ffi::OsString::from("x.json")],
            "no temporary files left"
        );
    }

    #[test]
    fn writing_into_an_unwritable_place_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let metadata: RunMetadata = serde_json::from_value(serde_json::json!({
            "generated_at": "2026-01-01T00:00:00.000Z", "provider": "local", "model": "local-v1",
            "count_requested": 1, "count_produced": 1, "seed": 1, "data_path": "d",
            "participants": 1, "utterances": 1, "sources": [], "duration_ms": 1, "version": "0"
        }))
        .unwrap();
        let err = write_run_output(&blocker, &[persona()], &metadata)
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot write") && err.contains("file"), "{err}");
    }
}
