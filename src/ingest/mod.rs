//! Ingestion: reads a file or a folder of research data (CSV, TSV, JSON, JSONL, YAML, Markdown
//! and plain-text transcripts) into a [`Corpus`] of participants, their attributes and their
//! verbatim utterances. How each format is read is documented in `docs/ingest.md`.
//!
//! In a folder, files are read in sorted order of their path relative to the folder; hidden
//! files and folders are skipped; a file that cannot be used is listed in [`Corpus::skipped`]
//! with its reason and the others are still read. Sizes are checked from file metadata before
//! anything is read.

mod decode;
mod error;
mod fields;
mod interviewers;
mod records;
mod structured;
mod subtitles;
mod tabular;
mod transcript;

pub use error::IngestError;

use crate::config::StorageSettings;
use crate::domain::{Corpus, Participant, SkippedFile, SourceFile, Utterance};
use records::FileRecords;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Size limits of one ingestion (`storage.max_file_bytes`, `storage.max_total_bytes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestLimits {
    pub max_file_bytes: u64,
    pub max_total_bytes: u64,
    /// The folder reads must stay in (the server's data directory, canonical): a symbolic link
    /// inside a folder that leads out of it is skipped. `None` (the CLI) follows links anywhere.
    pub confine_to: Option<PathBuf>,
}

impl IngestLimits {
    pub fn from_settings(s: &StorageSettings) -> Self {
        IngestLimits {
            max_file_bytes: s.max_file_bytes,
            max_total_bytes: s.max_total_bytes,
            confine_to: None,
        }
    }
}

impl Default for IngestLimits {
    /// The configuration defaults: 100 MiB per file, 1 GiB in total.
    fn default() -> Self {
        Self::from_settings(&StorageSettings::default())
    }
}

/// A supported input format, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Tsv,
    Json,
    Jsonl,
    Yaml,
    Markdown,
    Text,
    /// WebVTT and SubRip captions (`.vtt`, `.srt`).
    Subtitles,
}

const EXTENSIONS: &[(&str, Format)] = &[
    ("csv", Format::Csv),
    ("tsv", Format::Tsv),
    ("txt", Format::Text),
    ("text", Format::Text),
    ("md", Format::Markdown),
    ("markdown", Format::Markdown),
    ("json", Format::Json),
    ("jsonl", Format::Jsonl),
    ("ndjson", Format::Jsonl),
    ("yaml", Format::Yaml),
    ("yml", Format::Yaml),
    ("vtt", Format::Subtitles),
    ("srt", Format::Subtitles),
];

/// The file extensions read (lowercase, without the dot; matched case-insensitively).
pub fn supported_extensions() -> &'static [&'static str] {
    &[
        "csv", "tsv", "txt", "text", "md", "markdown", "json", "jsonl", "ndjson", "yaml", "yml", "vtt", "srt",
    ]
}

/// `.csv, .tsv, …` for messages.
pub(crate) fn supported_list() -> String {
    supported_extensions()
        .iter()
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Format {
    /// The format of a file name, from its extension (case-insensitive).
    pub fn from_file_name(name: &str) -> Option<Format> {
        let extension = extension_of(name)?.to_ascii_lowercase();
        EXTENSIONS
            .iter()
            .find(|(candidate, _)| *candidate == extension)
            .map(|&(_, format)| format)
    }

    /// The name recorded in [`SourceFile::format`].
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Yaml => "yaml",
            Format::Markdown => "markdown",
            Format::Text => "text",
            Format::Subtitles => "subtitles",
        }
    }
}

fn extension_of(name: &str) -> Option<&str> {
    let (stem, extension) = name.rsplit_once('.')?;
    (!stem.is_empty() && !extension.is_empty()).then_some(extension)
}

/// `unsupported format (.xyz)`, as listed for a skipped file.
fn unsupported_reason(name: &str) -> String {
    match extension_of(name) {
        Some(extension) => format!("unsupported format (.{extension})"),
        None => "unsupported format (no extension)".to_string(),
    }
}

fn unsupported(file: &str) -> IngestError {
    IngestError::UnsupportedFormat {
        file: file.to_string(),
        extension: extension_of(last_component(file)).map_or_else(|| "no extension".to_string(), |e| format!(".{e}")),
    }
}

fn last_component(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Reads a file or a folder (recursively) into a corpus.
///
/// Source paths are relative to the folder, with `/` separators, or the file's name when a file
/// is given. A bad file given directly is an error; in a folder it is skipped and listed with
/// its reason, and the load fails only if no usable file remains or none holds participant text.
pub fn load_path(path: &Path, limits: &IngestLimits) -> Result<Corpus, IngestError> {
    // Inside the server's data directory, messages name the path as clients gave it, not where
    // the server keeps its files.
    let shown = match limits
        .confine_to
        .as_deref()
        .and_then(|root| path.strip_prefix(root).ok())
    {
        Some(inside) if inside.as_os_str().is_empty() => ".".to_string(),
        Some(inside) => display_path(inside),
        None => display_path(path),
    };
    let metadata = fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => IngestError::NotFound { path: shown.clone() },
        _ => IngestError::Unreadable {
            file: shown.clone(),
            message: e.to_string(),
        },
    })?;
    if metadata.is_dir() {
        return load_folder(path, &shown, limits);
    }
    if !metadata.is_file() {
        return Err(IngestError::Unreadable {
            file: shown,
            message: "not a regular file or folder".to_string(),
        });
    }
    let name = path
        .file_name()
        .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
    let format = Format::from_file_name(&name).ok_or_else(|| unsupported(&name))?;
    check_single_size(&name, metadata.len(), limits)?;
    let bytes = read_limited(path, &name, limits.max_file_bytes)?;
    let records = parse_file(&name, format, &bytes)?;
    let mut corpus = CorpusBuilder::default();
    corpus.add(name.clone(), format, &bytes, records);
    corpus.finish(&name)
}

/// Reads one uploaded file (format from `file_name`'s extension) into a corpus, exactly as
/// [`load_path`] would read it from disk.
pub fn load_bytes(file_name: &str, bytes: &[u8], limits: &IngestLimits) -> Result<Corpus, IngestError> {
    let name = last_component(file_name).trim();
    let format = Format::from_file_name(name).ok_or_else(|| unsupported(name))?;
    check_single_size(name, bytes.len() as u64, limits)?;
    let records = parse_file(name, format, bytes)?;
    let mut corpus = CorpusBuilder::default();
    corpus.add(name.to_string(), format, bytes, records);
    corpus.finish(name)
}

fn check_single_size(name: &str, size: u64, limits: &IngestLimits) -> Result<(), IngestError> {
    if size > limits.max_file_bytes {
        return Err(IngestError::FileTooLarge {
            file: name.to_string(),
            size,
            limit: limits.max_file_bytes,
        });
    }
    if size > limits.max_total_bytes {
        return Err(IngestError::TotalTooLarge {
            file: name.to_string(),
            total: size,
            limit: limits.max_total_bytes,
        });
    }
    Ok(())
}

/// The path as the user wrote it, without trailing separators.
fn display_path(path: &Path) -> String {
    let shown = path.to_string_lossy();
    let trimmed = shown.trim_end_matches(['/', '\\']);
    if trimmed.is_empty() {
        shown.into_owned()
    } else {
        trimmed.to_string()
    }
}

/// A file found in a folder, before it is read.
struct Found {
    relative: String,
    path: PathBuf,
    size: u64,
}

fn load_folder(root: &Path, shown: &str, limits: &IngestLimits) -> Result<Corpus, IngestError> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let confine = limits.confine_to.as_deref();
    walk(root, "", confine, &mut found, &mut skipped).map_err(|e| IngestError::Unreadable {
        file: shown.to_string(),
        message: e.to_string(),
    })?;
    found.sort_by(|a, b| a.relative.cmp(&b.relative));

    // Decide everything that metadata can decide before reading a byte.
    let mut to_read = Vec::with_capacity(found.len());
    let mut total = 0u64;
    for file in found {
        let Some(format) = Format::from_file_name(&file.relative) else {
            skipped.push(SkippedFile {
                reason: unsupported_reason(last_component(&file.relative)),
                path: file.relative,
            });
            continue;
        };
        if file.size > limits.max_file_bytes {
            let e = IngestError::FileTooLarge {
                file: file.relative.clone(),
                size: file.size,
                limit: limits.max_file_bytes,
            };
            skipped.push(SkippedFile {
                path: file.relative,
                reason: e.reason(),
            });
            continue;
        }
        total += file.size;
        if total > limits.max_total_bytes {
            return Err(IngestError::TotalTooLarge {
                file: file.relative,
                total,
                limit: limits.max_total_bytes,
            });
        }
        to_read.push((file, format));
    }

    let mut corpus = CorpusBuilder {
        skipped,
        ..CorpusBuilder::default()
    };
    let mut read_total = 0u64;
    for (file, format) in to_read {
        let result = read_limited(&file.path, &file.relative, limits.max_file_bytes).and_then(|bytes| {
            read_total += bytes.len() as u64;
            if read_total > limits.max_total_bytes {
                // The file grew after its size was checked.
                return Err(IngestError::TotalTooLarge {
                    file: file.relative.clone(),
                    total: read_total,
                    limit: limits.max_total_bytes,
                });
            }
            let records = parse_file(&file.relative, format, &bytes)?;
            Ok((bytes, records))
        });
        match result {
            Ok((bytes, records)) => corpus.add(file.relative, format, &bytes, records),
            Err(e @ IngestError::TotalTooLarge { .. }) => return Err(e),
            Err(e) => corpus.skipped.push(SkippedFile {
                path: file.relative,
                reason: e.reason(),
            }),
        }
    }
    corpus.finish(shown)
}

/// Collects regular files under `dir` (following symbolic links to files, not to folders, and
/// with `confine` only those that stay inside it), skipping names that start with `.`.
fn walk(
    dir: &Path,
    prefix: &str,
    confine: Option<&Path>,
    found: &mut Vec<Found>,
    skipped: &mut Vec<SkippedFile>,
) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let path = entry.path();
        let file_type = entry.file_type()?;
        let metadata = if file_type.is_symlink() {
            match fs::metadata(&path) {
                Ok(m) if m.is_dir() => {
                    skipped.push(SkippedFile {
                        path: relative,
                        reason: "symbolic link to a folder (not followed)".to_string(),
                    });
                    continue;
                }
                Ok(_)
                    if confine
                        .is_some_and(|root| !fs::canonicalize(&path).is_ok_and(|target| target.starts_with(root))) =>
                {
                    skipped.push(SkippedFile {
                        path: relative,
                        reason: "symbolic link leading out of the data directory (not followed)".to_string(),
                    });
                    continue;
                }
                Ok(m) => m,
                Err(e) => {
                    skipped.push(SkippedFile {
                        path: relative,
                        reason: format!("cannot read: {e}"),
                    });
                    continue;
                }
            }
        } else if file_type.is_dir() {
            if let Err(e) = walk(&path, &relative, confine, found, skipped) {
                skipped.push(SkippedFile {
                    path: relative,
                    reason: format!("cannot read folder: {e}"),
                });
            }
            continue;
        } else {
            entry.metadata()?
        };
        if !metadata.is_file() {
            skipped.push(SkippedFile {
                path: relative,
                reason: "not a regular file".to_string(),
            });
            continue;
        }
        found.push(Found {
            relative,
            path,
            size: metadata.len(),
        });
    }
    Ok(())
}

/// Reads at most `limit` bytes; a file that turns out larger (it grew since its size was
/// checked) is rejected without reading the rest.
fn read_limited(path: &Path, file: &str, limit: u64) -> Result<Vec<u8>, IngestError> {
    let unreadable = |e: io::Error| IngestError::Unreadable {
        file: file.to_string(),
        message: e.to_string(),
    };
    let handle = File::open(path).map_err(unreadable)?;
    let size_hint = handle.metadata().map(|m| m.len()).unwrap_or(0).min(limit);
    let mut bytes = Vec::with_capacity(usize::try_from(size_hint).unwrap_or(0));
    handle
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(IngestError::FileTooLarge {
            file: file.to_string(),
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// Decodes and parses one file. `file` is its path relative to the data root. CSV and TSV that
/// are not valid UTF-8 are read as Windows-1252 (as spreadsheet programs save them), with a
/// warning; other formats must be UTF-8 (or UTF-16 with a byte-order mark).
fn parse_file(file: &str, format: Format, bytes: &[u8]) -> Result<FileRecords, IngestError> {
    let decoded = decode::decode(file, bytes, matches!(format, Format::Csv | Format::Tsv))?;
    let mut records = parse_text(file, format, &decoded.text)?;
    records.warnings.extend(decoded.warning);
    Ok(records)
}

fn parse_text(file: &str, format: Format, text: &str) -> Result<FileRecords, IngestError> {
    // Rows without a participant id are named after the file: its relative path without the
    // extension keeps same-named files in different folders apart.
    let id_prefix = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let name = last_component(file);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    match format {
        Format::Csv => tabular::parse(file, id_prefix, text, false),
        Format::Tsv => tabular::parse(file, id_prefix, text, true),
        Format::Json => structured::parse_json(file, id_prefix, text),
        Format::Jsonl => structured::parse_jsonl(file, id_prefix, text),
        Format::Yaml => structured::parse_yaml(file, id_prefix, text),
        Format::Markdown => transcript::parse(file, stem, text, true),
        Format::Text => transcript::parse(file, stem, text, false),
        Format::Subtitles => subtitles::parse(file, stem, text),
    }
}

/// Joins files into one corpus: participants by id across files (the first non-empty value of
/// an attribute wins, files being read in sorted order), utterances in reading order.
#[derive(Default)]
struct CorpusBuilder {
    participants: BTreeMap<String, BTreeMap<String, String>>,
    utterances: Vec<Utterance>,
    sources: Vec<SourceFile>,
    skipped: Vec<SkippedFile>,
    warnings: Vec<String>,
    /// Files read that held no participant text, with why.
    no_text: Vec<(String, String)>,
}

impl CorpusBuilder {
    fn add(&mut self, path: String, format: Format, bytes: &[u8], records: FileRecords) {
        let source = self.sources.len();
        let FileRecords {
            ids,
            attributes,
            utterances,
            warnings,
            no_text_reason,
            ..
        } = records;
        for (id, file_attributes) in ids.iter().zip(attributes) {
            let merged = self.participants.entry(id.clone()).or_default();
            for (key, value) in file_attributes {
                merged.entry(key).or_insert(value);
            }
        }
        let utterance_count = utterances.len();
        self.utterances.extend(utterances.into_iter().map(|u| Utterance {
            question: None,
            participant_id: ids[u.participant].clone(),
            source,
            location: u.location,
            text: u.text,
        }));
        self.warnings
            .extend(warnings.into_iter().map(|w| format!("{path}: {w}")));
        if let Some(reason) = no_text_reason {
            self.warnings
                .push(format!("{path}: {reason}; read for participant attributes only"));
            self.no_text.push((path.clone(), reason));
        }
        self.sources.push(SourceFile {
            path,
            format: format.as_str().to_string(),
            bytes: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(bytes)),
            participants: ids.len(),
            utterances: utterance_count,
        });
    }

    fn finish(mut self, root: &str) -> Result<Corpus, IngestError> {
        self.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        let interviewers = interviewers::exclude(&mut self.participants, &mut self.utterances, &mut self.sources);
        self.warnings.extend(interviewers);
        let voices =
            interviewers::exclude_questioning_voices(&mut self.participants, &mut self.utterances, &mut self.sources);
        self.warnings.extend(voices);
        interviewers::scope_voice_labels(&mut self.participants, &mut self.utterances, &self.sources);
        if self.sources.is_empty() {
            return Err(IngestError::NoUsableFiles {
                root: root.to_string(),
                failures: self.skipped,
            });
        }
        if self.utterances.is_empty() {
            let single = self.sources.len() == 1 && self.sources[0].path == root;
            let reasons = self
                .no_text
                .into_iter()
                .map(|(path, reason)| if single { reason } else { format!("{path}: {reason}") })
                .collect();
            return Err(IngestError::NoText {
                root: root.to_string(),
                reasons,
            });
        }
        Ok(Corpus {
            participants: self
                .participants
                .into_iter()
                .map(|(id, attributes)| Participant { id, attributes })
                .collect(),
            utterances: self.utterances,
            sources: self.sources,
            skipped: self.skipped,
            warnings: self.warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension_case_insensitive() {
        assert_eq!(Format::from_file_name("a.CSV"), Some(Format::Csv));
        assert_eq!(Format::from_file_name("x/y.Markdown"), Some(Format::Markdown));
        assert_eq!(Format::from_file_name("b.ndjson"), Some(Format::Jsonl));
        assert_eq!(Format::from_file_name("c.yml"), Some(Format::Yaml));
        assert_eq!(Format::from_file_name("d.pdf"), None);
        assert_eq!(Format::from_file_name("README"), None);
        for extension in supported_extensions() {
            assert!(
                Format::from_file_name(&format!("f.{extension}")).is_some(),
                "{extension}"
            );
        }
        assert_eq!(unsupported_reason("notes.PDF"), "unsupported format (.PDF)");
        assert_eq!(unsupported_reason("LICENSE"), "unsupported format (no extension)");
    }

    #[test]
    fn default_limits_are_the_configuration_defaults() {
        let limits = IngestLimits::default();
        assert_eq!(limits.max_file_bytes, 100 * 1024 * 1024);
        assert_eq!(limits.max_total_bytes, 1024 * 1024 * 1024);
    }

    #[test]
    fn load_bytes_reads_an_upload_and_rejects_bad_ones() {
        let limits = IngestLimits::default();
        let corpus = load_bytes(
            "uploads/interviews.csv",
            b"participant_id,quote\nP1,The calendar sync drops my bookings every week.\n",
            &limits,
        )
        .unwrap();
        assert_eq!(corpus.sources[0].path, "interviews.csv");
        assert_eq!(corpus.utterances[0].participant_id, "P1");
        let e = load_bytes("x.pdf", b"%PDF", &limits).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("x.pdf: unsupported format (.pdf); supported: .csv"),
            "{e}"
        );
        let tiny = IngestLimits {
            max_file_bytes: 4,
            max_total_bytes: 100,
            confine_to: None,
        };
        assert!(matches!(
            load_bytes("a.txt", b"hello", &tiny),
            Err(IngestError::FileTooLarge { size: 5, limit: 4, .. })
        ));
    }
}
