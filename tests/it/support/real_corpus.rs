//! The real-data corpus under `tests/data/real/`: public, openly licensed research datasets as a
//! user would pass them to `persona generate --data`, each with a hand annotation saying who the
//! participants are, who only asks or transcribes, which rows are blank and which columns are
//! platform metadata. See `tests/data/real/README.md` for sources, licences and the format.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One dataset of the corpus: its data folder and its annotation.
#[derive(Debug, Clone)]
pub struct RealDataset {
    /// The folder name under `datasets/` (and the annotation's file stem).
    pub name: String,
    /// The data folder, to pass as `--data`.
    pub dir: PathBuf,
    pub annotation: Annotation,
}

/// The shape of a dataset, as a researcher would name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An interview where the interviewer rarely asks a plain question (oral histories).
    NarrativeInterview,
    /// An interview with labelled speakers taking question/answer turns.
    QaInterview,
    /// Captions (WebVTT) with voice tags.
    Captions,
    /// A survey platform's export.
    Survey,
    /// An issue tracker's export (GitHub, GitLab, Jira).
    IssueTracker,
    /// App reviews or customer feedback.
    Reviews,
    /// A chat or support log.
    Chat,
}

impl Kind {
    /// Transcripts of spoken interviews (either style).
    pub fn is_transcript(self) -> bool {
        matches!(self, Kind::NarrativeInterview | Kind::QaInterview)
    }
}

/// The hand annotation of one dataset (`annotations/<name>.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Annotation {
    /// The folder under `datasets/` this annotation describes.
    pub data: String,
    pub kind: Kind,
    /// The survey platform or export tool.
    #[serde(default)]
    pub platform: Option<String>,
    /// Where the data comes from: repository, path, commit.
    pub source: String,
    /// SPDX licence id of the data.
    pub licence: String,
    /// What is messy here, in words.
    #[serde(default)]
    pub notes: Option<String>,
    pub participants: Participants,
    /// Tabular data only.
    #[serde(default)]
    pub rows: Option<Rows>,
    #[serde(default)]
    pub evidence: Evidence,
}

/// Who is who in a dataset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Participants {
    /// How many participants a researcher counts.
    pub count: usize,
    /// Each participant once, in the form the data names them (compare case-insensitively with
    /// whitespace folded, see [`same_label`]).
    #[serde(default)]
    pub ids: Vec<String>,
    /// People whose words are never evidence, in every file.
    #[serde(default)]
    pub interviewers: Vec<String>,
    /// Captioners, moderators, bots, note-takers.
    #[serde(default)]
    pub staff: Vec<String>,
    /// One person written several ways in the raw files.
    #[serde(default)]
    pub aliases: Vec<Alias>,
    /// Roles per file where they differ across files.
    #[serde(default)]
    pub by_file: Vec<FileRoles>,
}

/// One person and the raw labels that all mean them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alias {
    pub id: String,
    pub labels: Vec<String>,
}

/// Who interviews and who is interviewed in one file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRoles {
    /// The file name relative to the data folder.
    pub file: String,
    #[serde(default)]
    pub interviewers: Vec<String>,
    #[serde(default)]
    pub participants: Vec<String>,
}

/// Facts about the rows and columns of tabular data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rows {
    /// Respondents who answered no open question: excluded and counted.
    pub blank: usize,
    #[serde(default)]
    pub id_column: Option<String>,
    /// Platform metadata columns, never demographics.
    #[serde(default)]
    pub metadata_columns: Vec<String>,
    #[serde(default)]
    pub role_column: Option<String>,
    /// The open-question columns.
    #[serde(default)]
    pub text_columns: Vec<String>,
}

/// What must never become evidence.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Verbatim strings from interviewer, staff, notes, bot or markup lines that must never appear
    /// in any claim, quote or evidence excerpt.
    #[serde(default)]
    pub forbidden: Vec<String>,
}

/// The corpus root, `tests/data/real`.
pub fn real_corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/real")
}

/// Every dataset of the corpus with its parsed annotation, sorted by name. Panics (failing the
/// test) on an annotation that does not parse or names another folder than its own.
pub fn real_datasets() -> Vec<RealDataset> {
    let root = real_corpus_root();
    let annotations = root.join("annotations");
    let mut datasets: Vec<RealDataset> = std::fs::read_dir(&annotations)
        .unwrap_or_else(|e| panic!("reading {}: {e}", annotations.display()))
        .map(|entry| entry.expect("annotation entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .map(|path| {
            let name = path.file_stem().expect("file stem").to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            let annotation: Annotation =
                toml::from_str(&text).unwrap_or_else(|e| panic!("annotation {} does not parse: {e}", path.display()));
            assert_eq!(
                annotation.data,
                name,
                "{}: `data` must name the annotation's own dataset",
                path.display()
            );
            RealDataset {
                dir: root.join("datasets").join(&name),
                name,
                annotation,
            }
        })
        .collect();
    datasets.sort_by(|a, b| a.name.cmp(&b.name));
    datasets
}

impl RealDataset {
    /// Every file under the data folder (recursively), sorted.
    pub fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(&self.dir, &mut files);
        files.sort();
        files
    }

    /// The text of every file (invalid UTF-8 replaced), for looking up annotated strings.
    pub fn texts(&self) -> Vec<(PathBuf, String)> {
        self.files()
            .into_iter()
            .map(|path| {
                let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
                (path, String::from_utf8_lossy(&bytes).into_owned())
            })
            .collect()
    }

    /// Whether `needle` occurs verbatim in any of the dataset's files.
    pub fn contains(&self, needle: &str) -> bool {
        self.texts().iter().any(|(_, text)| text.contains(needle))
    }
}

/// Whether two participant labels name the same id: case-insensitive, whitespace folded.
pub fn same_label(a: &str, b: &str) -> bool {
    fold_label(a) == fold_label(b)
}

/// A label lower-cased with runs of whitespace folded to one space and the ends trimmed.
pub fn fold_label(label: &str) -> String {
    label.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}
