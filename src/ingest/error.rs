//! Why a file or a data path could not be read. Every message is one line that names the file
//! (relative to the data root) and, where known, the line.

use crate::domain::SkippedFile;
use crate::error::Error;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// The data path given does not exist.
    #[error("no such file or directory: {path}")]
    NotFound { path: String },

    /// The file could not be opened or read (permissions, a vanished file, …).
    #[error("{file}: cannot read: {message}")]
    Unreadable { file: String, message: String },

    /// The file, when opened, was not inside the data directory (a symbolic link, or a folder
    /// on its path swapped for one, leading out of it); nothing was read.
    #[error("{file}: leads outside the data directory; it is not read")]
    OutsideDataDir { file: String },

    /// The file's extension is not one of [`super::format::supported_extensions`].
    #[error(
        "{file}: unsupported format ({extension}); supported: {}",
        super::format::supported_list()
    )]
    UnsupportedFormat { file: String, extension: String },

    /// The file is larger than `storage.max_file_bytes`; it was not read.
    #[error("{file}: {size} bytes is over the per-file limit of {limit} bytes (storage.max_file_bytes)")]
    FileTooLarge { file: String, size: u64, limit: u64 },

    /// The files together are larger than `storage.max_total_bytes`; nothing past the limit was read.
    #[error(
        "{file}: the data adds up to {total} bytes, over the total limit of {limit} bytes (storage.max_total_bytes)"
    )]
    TotalTooLarge { file: String, total: u64, limit: u64 },

    /// The file's content is unusable: bad encoding, empty, unparseable, no records.
    #[error("{file}: {}", line_prefixed(*.line, message))]
    Invalid {
        file: String,
        /// 1-based line, where the problem has one.
        line: Option<u64>,
        message: String,
    },

    /// Every file of a folder was skipped; each one's reason is listed.
    #[error("{root}: no usable files ({})", list_failures(failures))]
    NoUsableFiles { root: String, failures: Vec<SkippedFile> },

    /// Files were read, but none held anything a participant said or wrote.
    #[error("{root}: no participant text found ({})", reasons.join("; "))]
    NoText { root: String, reasons: Vec<String> },
}

fn line_prefixed(line: Option<u64>, message: &str) -> String {
    match line {
        Some(line) => format!("line {line}: {message}"),
        None => message.to_string(),
    }
}

fn list_failures(failures: &[SkippedFile]) -> String {
    if failures.is_empty() {
        return format!(
            "the folder holds no supported files; supported: {}",
            super::format::supported_list()
        );
    }
    failures
        .iter()
        .map(|f| format!("{}: {}", f.path, f.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

impl IngestError {
    pub(crate) fn invalid(file: &str, line: Option<u64>, message: impl Into<String>) -> Self {
        IngestError::Invalid {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }

    /// The file (or data path) the error is about, relative to the data root.
    pub fn file(&self) -> &str {
        match self {
            IngestError::NotFound { path } => path,
            IngestError::Unreadable { file, .. }
            | IngestError::OutsideDataDir { file }
            | IngestError::UnsupportedFormat { file, .. }
            | IngestError::FileTooLarge { file, .. }
            | IngestError::TotalTooLarge { file, .. }
            | IngestError::Invalid { file, .. } => file,
            IngestError::NoUsableFiles { root, .. } | IngestError::NoText { root, .. } => root,
        }
    }

    /// The 1-based line the problem is on, where it has one.
    pub fn line(&self) -> Option<u64> {
        match self {
            IngestError::Invalid { line, .. } => *line,
            _ => None,
        }
    }

    /// The message without the leading `file: `, as listed for a skipped file.
    pub fn reason(&self) -> String {
        let message = self.to_string();
        let prefix = format!("{}: ", self.file());
        match message.strip_prefix(&prefix) {
            Some(rest) => rest.to_string(),
            None => message,
        }
    }

    pub fn is_too_large(&self) -> bool {
        matches!(
            self,
            IngestError::FileTooLarge { .. } | IngestError::TotalTooLarge { .. }
        )
    }
}

impl From<IngestError> for Error {
    fn from(e: IngestError) -> Self {
        if e.is_too_large() {
            return Error::PayloadTooLarge(e.to_string());
        }
        let mut details = json!({ "file": e.file(), "line": e.line() });
        match &e {
            IngestError::NoUsableFiles { failures, .. } => {
                details["files"] = json!(
                    failures
                        .iter()
                        .map(|f| json!({ "file": f.path, "reason": f.reason }))
                        .collect::<Vec<_>>()
                );
            }
            IngestError::NoText { reasons, .. } => details["reasons"] = json!(reasons),
            _ => {}
        }
        Error::InvalidInput {
            message: e.to_string(),
            details,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_name_file_and_line() {
        let e = IngestError::invalid("interviews.csv", Some(7), "invalid UTF-8");
        assert_eq!(e.to_string(), "interviews.csv: line 7: invalid UTF-8");
        assert_eq!(e.reason(), "line 7: invalid UTF-8");
        let e = IngestError::NoUsableFiles {
            root: "data".into(),
            failures: vec![
                SkippedFile {
                    path: "a.csv".into(),
                    reason: "empty file".into(),
                },
                SkippedFile {
                    path: "b.json".into(),
                    reason: "line 3: expected value".into(),
                },
            ],
        };
        assert_eq!(
            e.to_string(),
            "data: no usable files (a.csv: empty file; b.json: line 3: expected value)"
        );
    }

    #[test]
    fn converts_to_library_errors_with_details() {
        let e: Error = IngestError::invalid("a.json", Some(3), "expected value").into();
        match e {
            Error::InvalidInput { message, details } => {
                assert_eq!(message, "a.json: line 3: expected value");
                assert_eq!(details, json!({"file": "a.json", "line": 3}));
            }
            other => panic!("unexpected {other:?}"),
        }
        let e: Error = IngestError::FileTooLarge {
            file: "big.csv".into(),
            size: 10,
            limit: 5,
        }
        .into();
        assert!(matches!(e, Error::PayloadTooLarge(m) if m.contains("big.csv") && m.contains("10 bytes")));
        let e: Error = IngestError::NotFound { path: "nope".into() }.into();
        assert!(matches!(e, Error::InvalidInput { message, .. } if message == "no such file or directory: nope"));
    }
}
