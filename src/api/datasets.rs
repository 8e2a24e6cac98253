//! Dataset uploads: research data sent over HTTP, streamed to the data directory under a size
//! limit, checked by the ingestion code before it is accepted, and named `dataset-…` in generate
//! requests and experiments.

use super::error::{ApiError, ErrorCode};
use super::state::AppState;
use crate::domain::IdKind;
use crate::domain::time::now_rfc3339;
use crate::error::{Error, FieldError};
use crate::ingest::IngestError;
use crate::service::datasets::{self, Dataset, sanitise_filename};
use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;

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
    if super::error::is_body_timeout(&e) {
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
    let folder = datasets::folder(state.data_dir.canonical(), &id);
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
                    if super::error::is_body_timeout(&e) {
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
    let path = folder.join(&filename);
    let checked = path.clone();
    let storage = state.settings.storage.clone();
    let corpus = crate::util::blocking(move || Ok(datasets::read_upload(&checked, &storage)))
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
    let db = state.db.clone();
    crate::util::blocking(move || datasets::record(&db, &row)).await?;
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
