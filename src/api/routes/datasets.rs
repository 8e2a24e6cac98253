//! Dataset uploads (`/api/v1/datasets`).

use crate::api::datasets::{DatasetDeleted, DatasetView, UploadBody, upload};
use crate::api::error::{ApiError, ErrorBody};
use crate::api::query::QueryParams;
use crate::api::responses::{DatabaseUnavailable, InternalError, RateLimited, ReadUnauthorised, Unauthorised};
use crate::api::state::AppState;
use crate::error::Error;
use crate::service::datasets as service;
use crate::util::blocking;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(create)
        .service(list)
        .service(get_dataset)
        .service(remove)
        .service(inspect_dataset);
}

/// A multipart upload (documentation schema: the parts are streamed to disk as they arrive, so
/// no typed reader of the whole form exists). Other parts are read and ignored; the document
/// allows none, as actix-multipart cannot read every part name a schema could allow.
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The research data file (CSV, TSV, JSON, JSONL, YAML, Markdown or plain text).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The file's name, for a raw (non-multipart) body; its extension gives the format.
    #[param(schema_with = service::filename_schema)]
    pub filename: Option<String>,
}

/// Upload a research data file.
///
/// Send `multipart/form-data` with one file part, or the raw file with `?filename=`. The file is
/// read by the ingestion code before it is accepted; use the returned `dataset_id` as `data` in
/// generate requests and experiments.
#[utoipa::path(
    operation_id = "upload_dataset",
    tag = "datasets",
    params(UploadParams),
    request_body(content(
        (UploadForm = "multipart/form-data"),
        (Vec<u8> = "application/octet-stream"),
        (String = "text/csv"),
    )),
    responses(
        (status = 201, description = "Accepted", body = DatasetView,
            headers(("Location" = String, description = "The dataset's URL"))),
        (status = 400, description = "The body could not be read", body = ErrorBody),
        (status = 401, response = Unauthorised),
        (status = 413, description = "Larger than `storage.max_upload_bytes` (`details.limit`)", body = ErrorBody),
        (status = 422, description = "No file, a missing or unsupported file name, or a file ingestion cannot \
            use (invalid UTF-8, empty, unparseable); `details` names the problem", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/datasets")]
pub async fn create(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let body = if is_multipart {
        UploadBody::Multipart(actix_multipart::Multipart::new(req.headers(), payload))
    } else {
        let filename = QueryParams::parse(req.query_string())?.take("filename");
        UploadBody::Raw { filename, payload }
    };
    let view = upload(&state, body).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/datasets/{}", view.dataset_id)))
        .json(view))
}

/// List uploaded datasets, newest first.
#[utoipa::path(
    operation_id = "list_datasets",
    tag = "datasets",
    params(crate::api::routes::experiments::PageParams),
    responses(
        (status = 200, description = "Datasets, newest first", body = Vec<DatasetView>,
            headers(("X-Total-Count" = u64, description = "Datasets over all pages"))),
        (status = 401, response = ReadUnauthorised),
        (status = 422, description = "Invalid query parameter", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/datasets")]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let page = QueryParams::list_page(req.query_string())?;
    let db = state.db.clone();
    let (total, items) = blocking(move || service::list(&db, page.limit, page.offset)).await?;
    let views: Vec<DatasetView> = items.into_iter().map(DatasetView::from).collect();
    Ok(HttpResponse::Ok()
        .insert_header((HeaderName::from_static("x-total-count"), HeaderValue::from(total)))
        .json(views))
}

/// Get an uploaded dataset.
#[utoipa::path(
    operation_id = "get_dataset",
    tag = "datasets",
    params(("id" = String, Path, description = "Dataset identifier")),
    responses(
        (status = 200, description = "The dataset", body = DatasetView),
        (status = 401, response = ReadUnauthorised),
        (status = 404, description = "No such dataset", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/datasets/{id}")]
pub async fn get_dataset(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<DatasetView>, ApiError> {
    let id = path.into_inner();
    let db = state.db.clone();
    let dataset = blocking(move || service::get(&db, &id)).await?;
    Ok(web::Json(dataset.into()))
}

/// Delete an uploaded dataset and its file.
///
/// Refused (409) while a pending or running job reads it. Runs that used it keep their records.
#[utoipa::path(
    operation_id = "delete_dataset",
    tag = "datasets",
    params(("id" = String, Path, description = "Dataset identifier")),
    responses(
        (status = 200, description = "Deleted", body = DatasetDeleted),
        (status = 401, response = Unauthorised),
        (status = 404, description = "No such dataset", body = ErrorBody),
        (status = 409, description = "A pending or running job uses it", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/datasets/{id}")]
pub async fn remove(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<DatasetDeleted>, ApiError> {
    let id = path.into_inner();
    let db = state.db.clone();
    let deleted = id.clone();
    blocking(move || service::delete(&db, &deleted)).await?;
    Ok(web::Json(DatasetDeleted {
        success: true,
        message: format!("Dataset {id} deleted successfully"),
    }))
}

/// Who to take for interviewers when inspecting (optional body).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectBody {
    /// Speakers who are interviewers, as labelled in the data; replaces detection
    /// [default: `ingest.interviewers`].
    #[serde(default)]
    pub interviewers: Vec<String>,
}

/// Inspect a dataset before generating.
///
/// Reads the dataset as a run would and tells who was taken as a participant, who as an
/// interviewer or staff and why, which speaker labels were merged, and which rows, columns and
/// files were left out and why. The optional body names interviewers, as `--interviewer` does.
#[utoipa::path(
    operation_id = "inspect_dataset",
    tag = "datasets",
    params(("id" = String, Path, description = "Dataset identifier")),
    request_body(content = Option<InspectBody>, content_type = "application/json"),
    responses(
        (status = 200, description = "What ingestion made of the dataset", body = service::Inspection),
        (status = 400, description = "The dataset cannot be read (`details.file`, `details.line`)", body = ErrorBody),
        (status = 401, response = Unauthorised),
        (status = 404, description = "No such dataset", body = ErrorBody),
        (status = 422, description = "Invalid body (`details.field`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/datasets/{id}/inspect")]
pub async fn inspect_dataset(
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // No body, or `null`, means no interviewers named (the body is optional).
    let request: InspectBody = if body.iter().all(u8::is_ascii_whitespace) || body.trim_ascii() == b"null" {
        InspectBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| Error::validation("body", e.to_string()))?
    };
    let id = path.into_inner();
    let (db, settings) = (state.db.clone(), state.settings.clone());
    let inspection = blocking(move || service::inspect(&db, &id, request.interviewers, &settings)).await?;
    Ok(HttpResponse::Ok().json(inspection))
}
