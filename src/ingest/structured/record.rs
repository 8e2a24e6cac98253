//! A record of a structured file as the readers see it, with where it is in the file.

use serde_json::Value;

/// One record: a participant or one of their responses.
pub(super) struct RecordRef<'v> {
    pub(super) value: &'v Value,
    /// JSON pointer of the record (`/responses/3`), or `""` for the document itself.
    pub(super) pointer: String,
    /// Where every value of the record is located instead of a pointer (JSONL: `line N`).
    pub(super) location: Option<String>,
    /// The record's key when records are an object keyed by participant id.
    pub(super) key: Option<String>,
    /// Column name for a record that is a bare string (an array of strings).
    pub(super) scalar_column: &'v str,
}
