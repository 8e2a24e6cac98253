//! What ingestion made of the data, before any generation (`persona inspect`,
//! `POST /api/v1/datasets/{id}/inspect`): who was read as a participant, who as an interviewer or
//! staff and why, which labels were merged, which rows, columns and files were left out and why.

use crate::domain::{BlankRows, Corpus, LabelMerge, NonParticipant, SkippedColumn, SkippedFile, SourceFile};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InspectedParticipant {
    pub id: String,
    pub utterances: usize,
    /// The files they speak or write in.
    pub files: Vec<String>,
    pub attributes: BTreeMap<String, String>,
}

/// What ingestion makes of a dataset (see docs/ingest.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = InspectionView)]
pub struct Inspection {
    pub files: Vec<SourceFile>,
    pub participants: Vec<InspectedParticipant>,
    /// Interviewers and staff: their lines are not evidence.
    pub non_participants: Vec<NonParticipant>,
    pub label_merges: Vec<LabelMerge>,
    pub blank_respondents: usize,
    pub blank_rows: Vec<BlankRows>,
    pub skipped_columns: Vec<SkippedColumn>,
    /// Pasted notes, recording marks, interview openings and closings left out.
    pub staff_lines: usize,
    pub markup_reduced: usize,
    pub skipped_files: Vec<SkippedFile>,
    pub warnings: Vec<String>,
}

pub fn inspect(corpus: &Corpus) -> Inspection {
    let mut spoken: BTreeMap<&str, (usize, BTreeSet<&str>)> = BTreeMap::new();
    for u in &corpus.utterances {
        let entry = spoken.entry(u.participant_id.as_str()).or_default();
        entry.0 += 1;
        entry.1.insert(corpus.source_path(u));
    }
    let participants = corpus
        .participants
        .iter()
        .map(|p| {
            let (utterances, files) = spoken.remove(p.id.as_str()).unwrap_or_default();
            InspectedParticipant {
                id: p.id.clone(),
                utterances,
                files: files.into_iter().map(str::to_string).collect(),
                attributes: p.attributes.clone(),
            }
        })
        .collect();
    let report = &corpus.report;
    Inspection {
        files: corpus.sources.clone(),
        participants,
        non_participants: report.non_participants.clone(),
        label_merges: report.label_merges.clone(),
        blank_respondents: report.blank_respondents,
        blank_rows: report.blank_rows.clone(),
        skipped_columns: report.skipped_columns.clone(),
        staff_lines: report.staff_lines,
        markup_reduced: report.markup_reduced,
        skipped_files: corpus.skipped.clone(),
        warnings: corpus.warnings.clone(),
    }
}

/// Participants listed one per line before the rest are counted.
const LISTED: usize = 200;

/// The inspection as a researcher reads it.
pub fn render_text(i: &Inspection) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Files read ({}):", i.files.len());
    for f in &i.files {
        let _ = writeln!(
            out,
            "  {} ({}): {} participant(s), {} utterance(s)",
            f.path, f.format, f.participants, f.utterances
        );
    }
    let _ = writeln!(out, "\nParticipants ({}):", i.participants.len());
    for p in i.participants.iter().take(LISTED) {
        let attributes = p
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(
            out,
            "  {}: {} utterance(s) in {}",
            p.id,
            p.utterances,
            p.files.join(", ")
        );
        if !attributes.is_empty() {
            let _ = write!(out, "; {attributes}");
        }
        out.push('\n');
    }
    if i.participants.len() > LISTED {
        let _ = writeln!(out, "  … and {} more (--json lists all)", i.participants.len() - LISTED);
    }
    let _ = writeln!(
        out,
        "\nInterviewers and staff, not evidence ({}):",
        i.non_participants.len()
    );
    for n in &i.non_participants {
        let _ = writeln!(
            out,
            "  {}: {:?} as {}, {} turn(s) left out: {}",
            n.file, n.speaker, n.role, n.lines, n.reason
        );
    }
    if !i.label_merges.is_empty() {
        let _ = writeln!(out, "\nSpeaker labels read as one person:");
        for m in &i.label_merges {
            let merged = m.merged.iter().map(|l| format!("{l:?}")).collect::<Vec<_>>().join(", ");
            let _ = writeln!(out, "  {:?} ← {merged}", m.id);
        }
    }
    let _ = writeln!(out, "\nBlank respondents left out: {}", i.blank_respondents);
    for b in &i.blank_rows {
        let _ = writeln!(out, "  {}: {} ({})", b.file, b.rows, b.reason);
    }
    if !i.skipped_columns.is_empty() {
        let _ = writeln!(out, "\nColumns and fields left out:");
        for c in &i.skipped_columns {
            let _ = writeln!(out, "  {}: {:?}: {}", c.file, c.column, c.reason);
        }
    }
    let _ = writeln!(
        out,
        "\nLines that are nobody's words (notes, timestamps, openings, closings): {}",
        i.staff_lines
    );
    let _ = writeln!(
        out,
        "Utterances with Markdown/HTML reduced to text: {}",
        i.markup_reduced
    );
    if !i.skipped_files.is_empty() {
        let _ = writeln!(out, "\nFiles skipped:");
        for s in &i.skipped_files {
            let _ = writeln!(out, "  {}: {}", s.path, s.reason);
        }
    }
    if !i.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings:");
        for w in &i.warnings {
            let _ = writeln!(out, "  {w}");
        }
    }
    out
}
