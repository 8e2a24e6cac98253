//! The library's error type. The HTTP layer maps each variant to a status and an error code of
//! the envelope (`api::error`); the CLI prints the message on one line.

use serde::Serialize;

/// One bad field of a request or input, for `validation_error` details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input cannot be used (missing file, path outside the data directory, bad file). → 400
    #[error("{message}")]
    InvalidInput {
        message: String,
        details: serde_json::Value,
    },
    /// Well-formed but wrong values (types, ranges). → 422
    #[error("{message}")]
    Validation { message: String, fields: Vec<FieldError> },
    #[error("{resource} {id} not found")]
    NotFound { resource: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    Unavailable(String),
    /// An LLM provider failed or answered unusably (after retries); the message names the
    /// provider and what to check, never a key.
    #[error("{message}")]
    Provider { provider: String, message: String },
    /// The operation was cancelled on request (a cancelled job).
    #[error("cancelled")]
    Cancelled,
    /// Anything unexpected. The message is logged, never shown to API clients.
    #[error("{0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidInput {
            message: message.into(),
            details: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Error::Validation {
            message: format!("{field}: {message}"),
            fields: vec![FieldError { field, message }],
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Error::Internal(e.to_string())
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        // Disk full, read-only, I/O and corruption are the storage's faults, not bugs: 503
        // naming the fault (see store::health, which records them).
        if let Some(fault) = StorageFault::of_sqlite(&e) {
            log::warn!("database: {e}");
            return fault.error();
        }
        Error::Internal(format!("database: {e}"))
    }
}

impl From<r2d2::Error> for Error {
    fn from(e: r2d2::Error) -> Self {
        Error::Unavailable(format!("database unavailable: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Internal(format!("i/o: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Internal(format!("json: {e}"))
    }
}

/// Why writes fail: storage faults, not bugs (see `store::health`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFault {
    DiskFull,
    ReadOnly,
    Io,
    Corrupt,
    /// The file was deleted or another file put in its place: writes would go to a file nobody
    /// will open again. Only a restart clears it.
    Replaced,
}

impl StorageFault {
    /// The fault behind an SQLite error, if it is one.
    pub fn of_sqlite(e: &rusqlite::Error) -> Option<StorageFault> {
        match e.sqlite_error_code()? {
            rusqlite::ErrorCode::DiskFull => Some(StorageFault::DiskFull),
            rusqlite::ErrorCode::ReadOnly => Some(StorageFault::ReadOnly),
            rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::CannotOpen => Some(StorageFault::Io),
            rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase => Some(StorageFault::Corrupt),
            _ => None,
        }
    }

    /// What clients and probes are told (the first words are how [`StorageFault::of_error`]
    /// recognises it again).
    pub fn message(self) -> &'static str {
        match self {
            StorageFault::DiskFull => "storage fault: the disk is full; writes fail until space is freed",
            StorageFault::ReadOnly => "storage fault: the database file is read-only; writes fail until it is writable",
            StorageFault::Io => "storage fault: the disk reports I/O errors; writes fail",
            StorageFault::Corrupt => {
                "storage fault: the database file is corrupt; restore it from a backup (see docs/operations.md)"
            }
            StorageFault::Replaced => {
                "storage fault: the database file was deleted or replaced while the server runs; writes are \
                 refused so that nothing is acknowledged into a lost file; restart the server"
            }
        }
    }

    /// The error a request gets: 503 `unavailable` with [`StorageFault::message`].
    pub fn error(self) -> Error {
        Error::Unavailable(self.message().to_string())
    }

    /// The fault an error stands for, when it was made by [`StorageFault::error`].
    pub fn of_error(e: &Error) -> Option<StorageFault> {
        let Error::Unavailable(message) = e else {
            return None;
        };
        [
            StorageFault::DiskFull,
            StorageFault::ReadOnly,
            StorageFault::Io,
            StorageFault::Corrupt,
            StorageFault::Replaced,
        ]
        .into_iter()
        .find(|fault| message == fault.message())
    }
}
