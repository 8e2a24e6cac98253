//! Dataset uploads: research data sent over HTTP, streamed to the data directory under a size
//! limit, checked by the ingestion code before it is accepted, and named `dataset-…` in generate
//! requests and experiments.

use super::error::{ApiError, ErrorCode};
use super::state::AppState;
use crate::domain::IdKind;
use crate::domain::time::now_rfc3339;
use crate::error::{Error, FieldError, Result};
use crate::ingest::{self, Format, IngestError, IngestLimits};
use crate::store::Db;
use crate::store::datasets::{self, Dataset};
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

/// Folder of the data directory that holds uploads, one sub-folder per dataset.
pub const DATASETS_DIR: &str = "datasets";
/// Longest stored file name, in bytes.
const MAX_FILENAME_BYTES: usize = 200;

/// An uploaded dataset.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatasetView {
    #[schema(example = "dataset-1a2b3c4d5e6f7a8b")]
    pub dataset_id: String,
    #[schema(example = "interviews.csv")]
    pub filename: String,
    /// `csv`, `tsv`, `json`, `jsonl`, `yaml` or `markdown`.
    pub format: String,
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
    /// Participants and utterances ingestion found in it.
    pub participants: u64,
    pub utterances: u64,
    pub created_at: String,
}

impl From<Dataset> for DatasetView {
    fn from(d: Dataset) -> DatasetView {
        DatasetView {
            dataset_id: d.id,
            filename: d.filename,
            format: d.format,
            bytes: d.bytes,
            sha256: d.sha256,
            participants: d.participants,
            utterances: d.utterances,
            created_at: d.created_at,
        }
    }
}

/// The answer to deleting a dataset.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatasetDeleted {
    pub success: bool,
    pub message: String,
}

fn bad_field(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::validation(vec![FieldError::new(field, message)])
}

/// Reduces an uploaded file name to a safe one (its last path component; letters, digits, `.`,
/// `-`, `_` and spaces) and checks that its extension is a supported format.
pub fn sanitise_filename(name: &str) -> std::result::Result<(String, Format), ApiError> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut clean: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    clean = clean.trim().trim_start_matches('.').to_string();
    while clean.len() > MAX_FILENAME_BYTES {
        // Keep the extension: drop characters before it.
        let cut = clean.rfind('.').unwrap_or(clean.len()).saturating_sub(1);
        clean.remove(cut);
    }
    if clean.is_empty() {
        return Err(bad_field("filename", "must name a file, such as interviews.csv"));
    }
    let format = Format::from_file_name(&clean).ok_or_else(|| {
        bad_field(
            "filename",
            format!(
                "{clean:?} has no supported extension (supported: {})",
                ingest::supported_extensions().join(", ")
            ),
        )
    })?;
    Ok((clean, format))
}

/// Removes a dataset's folder when dropped, unless the upload was accepted: a failed upload
/// leaves nothing on disk.
struct FolderGuard {
    folder: PathBuf,
    keep: bool,
}

impl Drop for FolderGuard {
    fn drop(&mut self) {
        if !self.keep
            && let Err(e) = std::fs::remove_dir_all(&self.folder)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            log::warn!("could not remove the rejected upload {}: {e}", self.folder.display());
        }
    }
}

/// Streams an upload to `path`, hashing it; 413 once `already` (bytes of the request read
/// before) plus the stream exceed `limit` bytes.
async fn write_stream<S, E>(
    mut stream: S,
    path: &Path,
    limit: u64,
    already: u64,
) -> std::result::Result<(u64, String), ApiError>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(|e| ApiError::from(Error::Internal(format!("creating {}: {e}", path.display()))))?;
    let mut hasher = Sha256::new();
    let mut written: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(upload_read_error)?;
        written += chunk.len() as u64;
        if already + written > limit {
            return Err(upload_too_large(limit));
        }
        hasher.update(&chunk);
        file.write_all(&chunk)
            .await
            .map_err(|e| ApiError::from(Error::Internal(format!("writing {}: {e}", path.display()))))?;
    }
    file.flush()
        .await
        .map_err(|e| ApiError::from(Error::Internal(format!("writing {}: {e}", path.display()))))?;
    Ok((written, hex::encode(hasher.finalize())))
}

fn upload_too_large(limit: u64) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the upload is larger than the limit of {limit} bytes (storage.max_upload_bytes)"),
    )
    .with_details(serde_json::json!({"limit": limit}))
}

/// 408 when the body deadline passed, else 400.
fn upload_read_error(e: impl std::fmt::Display) -> ApiError {
    if crate::api::limits::is_body_timeout(&e) {
        return crate::api::error::payload_error(e);
    }
    ApiError::invalid_input(format!("the upload could not be read: {e}"))
}

/// Where an upload comes from.
pub enum UploadBody {
    /// `multipart/form-data`: the first part with a file name is the file.
    Multipart(actix_multipart::Multipart),
    /// A raw body, named by the `filename` query parameter.
    Raw {
        filename: Option<String>,
        payload: actix_web::web::Payload,
    },
}

/// Accepts an upload: stores it under `<data_dir>/datasets/<id>/`, reads it with the ingestion
/// code (422 naming the problem when it is not usable), records it. Nothing is kept when any
/// step fails.
pub async fn upload(state: &AppState, body: UploadBody) -> std::result::Result<DatasetView, ApiError> {
    let limit = state.settings.storage.max_upload_bytes;
    let id = IdKind::Dataset.new_id();
    let folder = state.data_dir.canonical().join(DATASETS_DIR).join(&id);
    tokio::fs::create_dir_all(&folder)
        .await
        .map_err(|e| ApiError::from(Error::Internal(format!("creating {}: {e}", folder.display()))))?;
    let mut guard = FolderGuard {
        folder: folder.clone(),
        keep: false,
    };
    let (filename, format, bytes, sha256) = match body {
        UploadBody::Raw { filename, payload } => {
            let name = filename
                .ok_or_else(|| bad_field("filename", "is required for a raw upload (?filename=interviews.csv)"))?;
            let (filename, format) = sanitise_filename(&name)?;
            let (bytes, sha256) = write_stream(payload, &folder.join(&filename), limit, 0).await?;
            (filename, format, bytes, sha256)
        }
        UploadBody::Multipart(mut parts) => {
            let mut stored = None;
            // Every part counts against the limit, not only the file.
            let mut consumed: u64 = 0;
            while let Some(part) = parts.next().await {
                let mut part = part.map_err(|e| {
                    if crate::api::limits::is_body_timeout(&e) {
                        return crate::api::error::payload_error(e);
                    }
                    ApiError::invalid_input(format!("the multipart body could not be read: {e}"))
                })?;
                let name = part
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .map(str::to_string);
                match (name, &stored) {
                    (Some(name), None) => {
                        let (filename, format) = sanitise_filename(&name)?;
                        let (bytes, sha256) = write_stream(&mut part, &folder.join(&filename), limit, consumed).await?;
                        consumed += bytes;
                        stored = Some((filename, format, bytes, sha256));
                    }
                    (Some(_), Some(_)) => return Err(bad_field("file", "upload one file per request")),
                    // Other form fields are read (counted) and ignored.
                    (None, _) => {
                        while let Some(chunk) = part.next().await {
                            consumed += chunk.map_err(upload_read_error)?.len() as u64;
                            if consumed > limit {
                                return Err(upload_too_large(limit));
                            }
                        }
                    }
                }
            }
            stored.ok_or_else(|| bad_field("file", "a form field with a file is required"))?
        }
    };
    let limits = IngestLimits::from_settings(&state.settings.storage);
    let path = folder.join(&filename);
    let checked = path.clone();
    let corpus = crate::store::blocking(move || Ok(ingest::load_path(&checked, &limits)))
        .await?
        .map_err(rejected_file)?;
    let dataset = Dataset {
        id,
        filename,
        path: path.to_string_lossy().into_owned(),
        format: format.as_str().to_string(),
        bytes,
        sha256,
        participants: corpus.participants.len() as u64,
        utterances: corpus.utterances.len() as u64,
        created_at: now_rfc3339(),
    };
    let row = dataset.clone();
    state.db.write_async(move |tx| datasets::insert(tx, &row)).await?;
    guard.keep = true;
    Ok(dataset.into())
}

/// An uploaded file ingestion cannot use: 422 naming the problem (413 for the size limits).
fn rejected_file(e: IngestError) -> ApiError {
    match &e {
        IngestError::FileTooLarge { file, size, limit } => {
            return ApiError::new(ErrorCode::PayloadTooLarge, e.to_string())
                .with_details(serde_json::json!({"file": file, "bytes": size, "limit": limit}));
        }
        IngestError::TotalTooLarge { file, total, limit } => {
            return ApiError::new(ErrorCode::PayloadTooLarge, e.to_string())
                .with_details(serde_json::json!({"file": file, "bytes": total, "limit": limit}));
        }
        _ => {}
    }
    let message = e.to_string();
    ApiError::new(
        ErrorCode::ValidationError,
        format!("the uploaded file cannot be used: {message}"),
    )
    .with_details(serde_json::json!({
        "fields": [{"field": "file", "message": message}],
        "file": e.file(),
        "line": e.line(),
    }))
}

/// Deletes a dataset's row and file (409 while a pending or running job reads it). Blocking.
pub fn delete_dataset(db: &Db, id: &str) -> Result<DatasetDeleted> {
    let owned = id.to_string();
    let dataset = db
        .write(move |tx| datasets::delete(tx, &owned))?
        .ok_or_else(|| Error::NotFound {
            resource: "dataset",
            id: id.to_string(),
        })?;
    if let Some(folder) = Path::new(&dataset.path).parent()
        && let Err(e) = std::fs::remove_dir_all(folder)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        log::warn!("dataset {id}: could not remove {}: {e}", folder.display());
    }
    Ok(DatasetDeleted {
        success: true,
        message: format!("Dataset {id} deleted successfully"),
    })
}

/// The stored file of dataset `id` (`<data_dir>/datasets/<id>/<file>`); 400 naming `data` when
/// there is no such dataset.
pub fn dataset_path(data_dir: &Path, id: &str) -> Result<PathBuf> {
    let unknown = || Error::InvalidInput {
        message: format!("unknown dataset {id:?}"),
        details: serde_json::json!({"field": "data", "data": id}),
    };
    if !IdKind::Dataset.matches(id) {
        return Err(unknown());
    }
    let folder = data_dir.join(DATASETS_DIR).join(id);
    let mut files = std::fs::read_dir(&folder)
        .map_err(|_| unknown())?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|path| path.is_file());
    files.next().ok_or_else(unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_reduced_to_safe_names_with_a_known_extension() {
        assert_eq!(sanitise_filename("interviews.csv").unwrap().0, "interviews.csv");
        assert_eq!(sanitise_filename("../../etc/notes.md").unwrap().0, "notes.md");
        assert_eq!(
            sanitise_filename("C:\\data\\survey (1).json").unwrap().0,
            "survey _1_.json"
        );
        assert_eq!(sanitise_filename("..hidden.yaml").unwrap().0, "hidden.yaml");
        let long = format!("{}.csv", "a".repeat(300));
        let (name, _) = sanitise_filename(&long).unwrap();
        assert!(name.len() <= MAX_FILENAME_BYTES && name.ends_with(".csv"), "{name}");
        for bad in ["", "...", "archive.zip", "noextension"] {
            assert!(sanitise_filename(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dataset_ids_resolve_to_their_stored_file_only() {
        let dir = tempfile::tempdir().unwrap();
        let id = IdKind::Dataset.new_id();
        std::fs::create_dir_all(dir.path().join(DATASETS_DIR).join(&id)).unwrap();
        assert!(dataset_path(dir.path(), &id).is_err(), "no file yet");
        std::fs::write(dir.path().join(DATASETS_DIR).join(&id).join("a.csv"), "x").unwrap();
        assert!(dataset_path(dir.path(), &id).unwrap().ends_with("a.csv"));
        assert!(dataset_path(dir.path(), "dataset-../../etc").is_err());
        assert!(dataset_path(dir.path(), &IdKind::Dataset.new_id()).is_err());
    }
}
