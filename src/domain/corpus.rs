//! What ingestion produces: participants, their verbatim utterances, and the files read.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One person in the research data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub id: String,
    /// Short categorical facts (role, age, location, …), keyed by normalised column name.
    pub attributes: BTreeMap<String, String>,
}

/// One verbatim piece of what a participant said or wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utterance {
    pub participant_id: String,
    /// Index into [`Corpus::sources`].
    pub source: usize,
    /// Human-readable place in the source: `line 14`, or a JSON pointer such as `/responses/3/answers/1`.
    pub location: String,
    /// The participant's words exactly as they appear in the file (whitespace aside).
    pub text: String,
    /// The survey column's question or the interviewer's question just asked, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
}

/// A file that was read into the corpus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SourceFile {
    /// Path relative to the data root (the file name when a single file was given).
    pub path: String,
    /// `csv`, `tsv`, `json`, `jsonl`, `yaml`, `markdown`, `text` or `subtitles`.
    pub format: String,
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the raw bytes.
    pub sha256: String,
    pub participants: usize,
    pub utterances: usize,
}

/// A file that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

/// Everything read from a data path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Corpus {
    /// Sorted by id; ids are unique across files (the same id in two files is the same person).
    pub participants: Vec<Participant>,
    /// In reading order: files sorted by path, then position within each file.
    pub utterances: Vec<Utterance>,
    pub sources: Vec<SourceFile>,
    pub skipped: Vec<SkippedFile>,
    pub warnings: Vec<String>,
    /// Who was read as a participant or not, and what was left out, for `persona inspect` and
    /// the run's metadata.
    #[serde(default)]
    pub report: IngestReport,
}

/// What ingestion decided beyond the participants' words: who is not a participant and why,
/// which speaker labels were taken for one person, which rows and columns were left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestReport {
    /// Interviewers and staff (captioners, note takers) whose lines are not evidence.
    pub non_participants: Vec<NonParticipant>,
    /// Labels read as one person (`ALICE:`, `Alice (typed):`, `<v Alice:>` → `Alice`).
    pub label_merges: Vec<LabelMerge>,
    /// Respondents who wrote nothing a persona could quote (all files).
    pub blank_respondents: usize,
    /// Per file: rows or records left out, and why.
    pub blank_rows: Vec<BlankRows>,
    /// Columns (or fields) not read as a trait or as text, and why.
    pub skipped_columns: Vec<SkippedColumn>,
    /// Lines that are not anybody's words: researchers' pasted notes, recording timestamps,
    /// interview openings and closings.
    pub staff_lines: usize,
    /// Utterances whose Markdown or HTML markup was reduced to text.
    pub markup_reduced: usize,
}

/// A speaker (in one file) whose lines were left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NonParticipant {
    pub file: String,
    pub speaker: String,
    /// `interviewer` or `staff`.
    pub role: String,
    /// Turns or lines left out.
    pub lines: usize,
    pub reason: String,
}

/// Speaker labels taken for one participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LabelMerge {
    /// The id kept.
    pub id: String,
    /// The other labels, as written.
    pub merged: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BlankRows {
    pub file: String,
    pub rows: usize,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SkippedColumn {
    pub file: String,
    pub column: String,
    pub reason: String,
}

impl Corpus {
    pub fn source_path(&self, utterance: &Utterance) -> &str {
        self.sources
            .get(utterance.source)
            .map(|s| s.path.as_str())
            .unwrap_or("")
    }
}
