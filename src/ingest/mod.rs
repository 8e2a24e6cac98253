//! Ingestion: reads a file or a folder of research data (CSV, TSV, JSON, JSONL, YAML, Markdown
//! and plain-text transcripts) into a [`Corpus`] of participants, their attributes and their
//! verbatim utterances. How each format is read is documented in `docs/ingest.md`.
//!
//! In a folder, files are read in sorted order of their path relative to the folder; hidden
//! files and folders are skipped; a file that cannot be used is listed in [`Corpus::skipped`]
//! with its reason and the others are still read. Sizes are checked from file metadata before
//! anything is read.

mod confined;
mod decode;
pub mod download;
mod error;
mod fields;
mod format;
pub mod inspect;
mod interviewers;
mod markup;
mod records;
mod speakers;
mod structured;
mod subtitles;
mod tabular;
mod transcript;

pub use error::IngestError;
use format::extension_of;
pub use format::{Format, supported_extensions};

use crate::config::StorageSettings;
use crate::domain::{
    BlankRows, Corpus, IngestReport, LabelMerge, NonParticipant, Participant, SkippedColumn, SkippedFile, SourceFile,
    Utterance,
};
use confined::read_limited;
use records::FileRecords;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io;
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

/// The researcher's say in who speaks (`--interviewer`, `ingest.interviewers`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOptions {
    /// Speakers who are interviewers, as labelled in the data (compared without case, trailing
    /// colons or `(typed)`-style suffixes). When given, they replace interviewer detection.
    pub interviewers: Vec<String>,
}

/// The interviewers a run names: its config's `interviewers` (a list, or a comma-separated
/// string: `--interviewer`, a job's `config`, an experiment's config), else
/// `ingest.interviewers`.
pub fn interviewers_of(
    options: &serde_json::Map<String, serde_json::Value>,
    settings: &crate::config::Settings,
) -> Vec<String> {
    let named: Vec<String> = match options.get("interviewers") {
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|v| v.as_str()).map(str::to_string).collect(),
        Some(serde_json::Value::String(list)) => list.split(',').map(str::to_string).collect(),
        _ => Vec::new(),
    };
    let named: Vec<String> = named
        .into_iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    if named.is_empty() {
        settings.ingest.interviewers.clone()
    } else {
        named
    }
}

/// Leaves out of a corpus already read (a dataset) the speakers a researcher names as
/// interviewers: their utterances and entries, listed in the report.
pub fn exclude_interviewers(mut corpus: Corpus, names: &[String]) -> Corpus {
    if names.is_empty() {
        return corpus;
    }
    let wanted: Vec<String> = names.iter().map(|n| speakers::label_key(n)).collect();
    let ids: Vec<String> = corpus
        .participants
        .iter()
        .map(|p| p.id.clone())
        .filter(|id| wanted.contains(&speakers::label_key(id)))
        .collect();
    for id in ids {
        let lines = speakers::remove_speaker(&mut corpus.utterances, &id, None);
        corpus.participants.retain(|p| p.id != id);
        corpus.report.non_participants.push(NonParticipant {
            file: "(every file)".to_string(),
            speaker: id,
            role: "interviewer".to_string(),
            lines,
            reason: NAMED_BY_RESEARCHER.to_string(),
        });
    }
    for (i, source) in corpus.sources.iter_mut().enumerate() {
        source.utterances = corpus.utterances.iter().filter(|u| u.source == i).count();
    }
    corpus
}

const NAMED_BY_RESEARCHER: &str = "named as an interviewer by the researcher (--interviewer, ingest.interviewers)";

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
    load_path_with(path, limits, &IngestOptions::default())
}

/// [`load_path`] with the researcher's options (interviewers named by hand).
pub fn load_path_with(path: &Path, limits: &IngestLimits, options: &IngestOptions) -> Result<Corpus, IngestError> {
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
        return load_folder(path, &shown, limits, options);
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
    let bytes = read_limited(path, &name, limits.max_file_bytes, limits.confine_to.as_deref())?;
    let records = parse_file(&name, format, &bytes)?;
    let mut corpus = CorpusBuilder::default();
    corpus.add(name.clone(), format, &bytes, records);
    corpus.finish(&name, options)
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
    corpus.finish(name, &IngestOptions::default())
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

fn load_folder(
    root: &Path,
    shown: &str,
    limits: &IngestLimits,
    options: &IngestOptions,
) -> Result<Corpus, IngestError> {
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
        let result = read_limited(&file.path, &file.relative, limits.max_file_bytes, confine).and_then(|bytes| {
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
    corpus.finish(shown, options)
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
        let mut path = entry.path();
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
                Ok(m) if confine.is_some() => {
                    // Confined reads open without following links: read the link's target.
                    match fs::canonicalize(&path) {
                        Ok(target) if confine.is_some_and(|root| target.starts_with(root)) => path = target,
                        _ => {
                            skipped.push(SkippedFile {
                                path: relative,
                                reason: "symbolic link leading out of the data directory (not followed)".to_string(),
                            });
                            continue;
                        }
                    }
                    m
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
    report: IngestReport,
    /// The file each participant id was first seen in, for counting blank respondents by file.
    first_source: BTreeMap<String, usize>,
    /// Ids each file gave (before labels were merged), for the files' participant counts.
    ids_of_source: Vec<Vec<String>>,
    /// Nick changes logged in chat transcripts: (old, new).
    renamed: Vec<(String, String)>,
    /// Interviewers named by each transcript's header, by source.
    header_interviewers: BTreeMap<usize, Vec<String>>,
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
            left_out,
            skipped_columns,
            header_interviewers,
            renamed,
            ..
        } = records;
        self.renamed.extend(renamed);
        if !header_interviewers.is_empty() {
            self.header_interviewers.insert(source, header_interviewers);
        }
        for id in &ids {
            self.first_source.entry(id.clone()).or_insert(source);
        }
        self.ids_of_source.push(ids.clone());
        for l in left_out {
            self.report.non_participants.push(NonParticipant {
                file: path.clone(),
                speaker: l.speaker,
                role: l.role.to_string(),
                lines: l.lines,
                reason: l.reason,
            });
        }
        for (column, reason) in skipped_columns {
            self.report.skipped_columns.push(SkippedColumn {
                file: path.clone(),
                column,
                reason,
            });
        }
        for (id, file_attributes) in ids.iter().zip(attributes) {
            let merged = self.participants.entry(id.clone()).or_default();
            for (key, value) in file_attributes {
                merged.entry(key).or_insert(value);
            }
        }
        let before = self.utterances.len();
        for u in utterances {
            // Markup is reduced before a sentence can become evidence; an image alone says nothing.
            let reduced = markup::reduce(&u.text);
            if reduced.markup_removed {
                self.report.markup_reduced += 1;
            }
            let text = match reduced.text {
                std::borrow::Cow::Borrowed(_) => u.text,
                std::borrow::Cow::Owned(reduced) => reduced,
            };
            if text.trim().is_empty() {
                continue;
            }
            self.utterances.push(Utterance {
                question: u.question,
                participant_id: ids[u.participant].clone(),
                source,
                location: u.location,
                text,
            });
        }
        let utterance_count = self.utterances.len() - before;
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

    fn finish(mut self, root: &str, options: &IngestOptions) -> Result<Corpus, IngestError> {
        self.skipped.sort_by(|a, b| a.path.cmp(&b.path));
        self.merge_renamed_nicks();
        for (id, merged) in speakers::merge_labels(&mut self.participants, &mut self.utterances, &self.sources) {
            self.warnings.push(format!(
                "speaker labels {} read as one person, {id:?}",
                merged.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join(", ")
            ));
            self.report.label_merges.push(LabelMerge { id, merged });
        }
        // Staff first: an announcer's or narrator's opening is not an interviewer's.
        let staff_from = self.report.non_participants.len();
        speakers::exclude_staff(&mut self.utterances, &self.sources, &mut self.report);
        for n in &self.report.non_participants[staff_from..] {
            self.warnings.push(format!(
                "{}: {:?} read as staff and left out ({})",
                n.file, n.speaker, n.reason
            ));
        }
        if options.interviewers.is_empty() {
            self.exclude_detected_interviewers();
        } else {
            self.exclude_named_interviewers(&options.interviewers);
        }
        self.report.staff_lines = speakers::remove_staff_lines(&mut self.utterances, &self.sources);
        interviewers::scope_voice_labels(&mut self.participants, &mut self.utterances, &self.sources);
        self.exclude_blank_respondents();
        self.recount_sources();
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
            report: self.report,
        })
    }

    /// Folds a chat nick's later names (`"old is now known as new"`) into the first one.
    fn merge_renamed_nicks(&mut self) {
        for (old, new) in std::mem::take(&mut self.renamed) {
            if old == new || !self.participants.contains_key(&old) {
                continue;
            }
            if let Some(attributes) = self.participants.remove(&new) {
                let kept = self.participants.entry(old.clone()).or_default();
                for (key, value) in attributes {
                    kept.entry(key).or_insert(value);
                }
                for u in self.utterances.iter_mut().filter(|u| u.participant_id == new) {
                    u.participant_id = old.clone();
                }
                self.warnings.push(format!(
                    "chat nick {new:?} read as {old:?} (\"{old} is now known as {new}\")"
                ));
                self.report.label_merges.push(LabelMerge {
                    id: old,
                    merged: vec![new],
                });
            }
        }
    }

    /// Finds and leaves out the interviewers when the options name none, with a warning each.
    fn exclude_detected_interviewers(&mut self) {
        let before = self.report.non_participants.len();
        let interviewers = interviewers::exclude(&mut self.participants, &mut self.utterances, &mut self.sources);
        self.note_folder_interviewers(&interviewers);
        self.warnings.extend(interviewers);
        let voices =
            interviewers::exclude_questioning_voices(&mut self.participants, &mut self.utterances, &mut self.sources);
        self.note_folder_interviewers(&voices);
        self.warnings.extend(voices);
        speakers::exclude_header_interviewers(
            &mut self.utterances,
            &self.sources,
            &self.header_interviewers,
            &mut self.report,
        );
        speakers::exclude_interviewers(&mut self.utterances, &self.sources, &mut self.report);
        for n in &self.report.non_participants[before..] {
            if n.role == "interviewer" && !n.reason.starts_with("labelled") {
                self.warnings.push(format!(
                    "{}: {:?} read as the interviewer and left out ({})",
                    n.file, n.speaker, n.reason
                ));
            }
        }
    }

    /// Lists the speakers the folder-wide rules left out (their warnings name them first).
    fn note_folder_interviewers(&mut self, warnings: &[String]) {
        for warning in warnings {
            let speaker = warning.split('"').nth(1).unwrap_or_default().to_string();
            self.report.non_participants.push(NonParticipant {
                file: "(every transcript)".to_string(),
                speaker,
                role: "interviewer".to_string(),
                lines: 0,
                reason: warning.clone(),
            });
        }
    }

    /// The researcher's list of interviewers: their lines are left out in every file.
    fn exclude_named_interviewers(&mut self, names: &[String]) {
        let wanted: Vec<String> = names.iter().map(|n| speakers::label_key(n)).collect();
        let ids: Vec<String> = self
            .participants
            .keys()
            .filter(|id| wanted.contains(&speakers::label_key(id)))
            .cloned()
            .collect();
        for id in ids {
            let lines = speakers::remove_speaker(&mut self.utterances, &id, None);
            self.participants.remove(&id);
            self.report.non_participants.push(NonParticipant {
                file: "(every file)".to_string(),
                speaker: id,
                role: "interviewer".to_string(),
                lines,
                reason: NAMED_BY_RESEARCHER.to_string(),
            });
        }
    }

    /// Respondents with nothing a persona could quote (a survey session that answered no open
    /// question, an issue with an empty body) are not people of the study: left out, counted by
    /// file. Interviewers and staff left out above are not counted.
    fn exclude_blank_respondents(&mut self) {
        if self.utterances.is_empty() {
            return;
        }
        let speaking: std::collections::HashSet<&str> =
            self.utterances.iter().map(|u| u.participant_id.as_str()).collect();
        let left_out: std::collections::HashSet<&str> = self
            .report
            .non_participants
            .iter()
            .map(|n| n.speaker.as_str())
            .collect();
        let silent: Vec<String> = self
            .participants
            .keys()
            .filter(|id| !speaking.contains(id.as_str()))
            .cloned()
            .collect();
        let mut by_file: BTreeMap<usize, usize> = BTreeMap::new();
        for id in &silent {
            self.participants.remove(id);
            if left_out.contains(id.as_str()) {
                continue;
            }
            if let Some(&source) = self.first_source.get(id) {
                *by_file.entry(source).or_default() += 1;
            }
        }
        for (source, rows) in by_file {
            let file = self.sources[source].path.clone();
            let reason = match self.sources[source].format.as_str() {
                "csv" | "tsv" => "answered no open question (no text in any file)",
                "json" | "jsonl" | "yaml" => "record with no text (no text in any file)",
                _ => "no text in any file",
            };
            self.warnings
                .push(format!("{file}: {rows} respondent(s) left out: {reason}"));
            self.report.blank_respondents += rows;
            self.report.blank_rows.push(BlankRows {
                file,
                rows,
                reason: reason.to_string(),
            });
        }
    }

    /// The files' participant and utterance counts after speakers were merged and left out.
    fn recount_sources(&mut self) {
        let mut speaking: Vec<std::collections::BTreeSet<&str>> = vec![Default::default(); self.sources.len()];
        let mut counts = vec![0usize; self.sources.len()];
        for u in &self.utterances {
            speaking[u.source].insert(u.participant_id.as_str());
            counts[u.source] += 1;
        }
        for (i, source) in self.sources.iter_mut().enumerate() {
            let mut ids = speaking[i].clone();
            for id in &self.ids_of_source[i] {
                if self.participants.contains_key(id) {
                    ids.insert(id.as_str());
                }
            }
            source.participants = ids.len();
            source.utterances = counts[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confined::{open_confined, resolves_inside_to};
    use std::fs::File;

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

    /// A data directory and, next to it, a secret outside it (both canonical).
    #[cfg(unix)]
    fn root_and_secret() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("data");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::create_dir_all(base.join("elsewhere")).unwrap();
        let secret = base.join("elsewhere/secret.csv");
        fs::write(&secret, "participant_id,quote\nP9,secret\n").unwrap();
        (dir, root, secret)
    }

    /// What a swap between any check and the open leaves on disk: the open itself refuses it.
    #[cfg(unix)]
    #[test]
    fn open_confined_refuses_links_out_as_the_file_or_as_a_folder_on_its_path() {
        use std::os::unix::fs::symlink;
        let (_dir, root, secret) = root_and_secret();
        fs::write(root.join("sub/inside.csv"), "a\n").unwrap();
        assert!(open_confined(&root.join("sub/inside.csv"), &root).unwrap().is_some());

        // The file itself is a link out.
        symlink(&secret, root.join("final.csv")).unwrap();
        assert!(open_confined(&root.join("final.csv"), &root).unwrap().is_none());
        // A folder on the path is a link out: the last component is a regular file.
        symlink(secret.parent().unwrap(), root.join("folder")).unwrap();
        assert!(open_confined(&root.join("folder/secret.csv"), &root).unwrap().is_none());
        // Links that stay inside are still refused as the last component (never followed)...
        symlink(root.join("sub/inside.csv"), root.join("alias.csv")).unwrap();
        assert!(open_confined(&root.join("alias.csv"), &root).unwrap().is_none());
        // ...and as a folder on the path they are fine.
        symlink(root.join("sub"), root.join("sub-alias")).unwrap();
        assert!(
            open_confined(&root.join("sub-alias/inside.csv"), &root)
                .unwrap()
                .is_some()
        );

        // Through the reader: a clear error naming the file, nothing read.
        let e = read_limited(&root.join("final.csv"), "final.csv", 1024, Some(&root)).unwrap_err();
        assert_eq!(
            e,
            IngestError::OutsideDataDir {
                file: "final.csv".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "final.csv: leads outside the data directory; it is not read"
        );
        // A FIFO swapped in is refused without blocking on it.
        let fifo = root.join("pipe.csv");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = read_limited(&fifo, "pipe.csv", 1024, Some(&root)).unwrap_err();
            assert!(e.to_string().contains("not a regular file"), "{e}");
        }
    }

    /// The check without `/proc`: the path, resolved after the open, must be the file opened.
    #[cfg(unix)]
    #[test]
    fn without_proc_the_resolved_path_must_be_the_opened_file_inside_the_root() {
        use std::os::unix::fs::symlink;
        let (_dir, root, secret) = root_and_secret();
        let inside = root.join("sub/inside.csv");
        fs::write(&inside, "a\n").unwrap();
        // Held open, as by the reader, so that its inode cannot be reused.
        let handle = File::open(&inside).unwrap();
        let opened = handle.metadata().unwrap();
        assert!(resolves_inside_to(&inside, &root, &opened));
        // Swapped after the open for another file: not the file opened.
        fs::remove_file(&inside).unwrap();
        fs::write(&inside, "b\n").unwrap();
        assert!(!resolves_inside_to(&inside, &root, &opened));
        // The file opened was outside (a folder swapped back in after the open): refused.
        let outside = File::open(&secret).unwrap().metadata().unwrap();
        symlink(secret.parent().unwrap(), root.join("folder")).unwrap();
        assert!(!resolves_inside_to(&root.join("folder/secret.csv"), &root, &outside));
        // A hard link inside the root is the file's name there: read (documented).
        fs::hard_link(&secret, root.join("hard.csv")).unwrap();
        assert!(open_confined(&root.join("hard.csv"), &root).unwrap().is_some());
    }
}
