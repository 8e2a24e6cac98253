//! Generation jobs: create, read, list and cancel (`/api/v1/generate`).

use crate::api::error::{ApiError, ErrorBody};
use crate::api::generate::{JobCreated, create_job};
use crate::api::query::{DEFAULT_LIMIT, MAX_LIMIT, QueryParams};
use crate::api::read_cache::{CachedBody, JobStamp, ViewKey};
use crate::api::responses::{
    BodyTooLarge, DatabaseUnavailable, InternalError, NotJson, RateLimited, ReadUnauthorised, Unauthorised,
};
use crate::api::state::AppState;
use crate::domain::jobs::{Cancellation, JobStatus, JobView};
use crate::service::jobs::{self, GenerateBody, GenerateRequest, ListQuery, read_generate_body};
use crate::util::blocking;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(create).service(list).service(get_job).service(cancel);
}

/// Start an asynchronous persona generation job.
///
/// The job joins the experiment named by `experiment_id` or `experiment`, or else the experiment
/// named after its `data` (created when needed). Poll `status_url` for its progress and result.
#[utoipa::path(
    operation_id = "create_generation_job",
    tag = "generation",
    request_body(content = GenerateBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Job created", body = JobCreated),
        (status = 400, description = "Invalid request: bad JSON, a data path outside the data directory or missing, \
            an unknown or unconfigured provider, an unknown experiment", body = ErrorBody),
        (status = 401, response = Unauthorised),
        (status = 413, response = BodyTooLarge),
        (status = 415, response = NotJson),
        (status = 422, description = "Validation error; `details.fields` names each bad field", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/generate")]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let request = GenerateRequest::new(read_generate_body(body.into_inner(), &state.settings)?, &state.settings);
    let peer = req.peer_addr().map(|a| a.ip());
    let entry = create_job(&state, request, peer).await?;
    Ok(HttpResponse::Ok().json(JobCreated::new(&entry)))
}

/// Which optional parts list items carry.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListInclude {
    /// Each completed job's personas.
    Result,
}

/// Query parameters of the job list (documentation; parsed by hand to name bad parameters).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Jobs per page (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Jobs to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
    /// Only jobs in this status.
    pub status: Option<JobStatus>,
    /// `result`: include completed jobs' personas.
    #[param(inline)]
    pub include: Option<ListInclude>,
}

#[derive(Debug, Clone, PartialEq)]
struct ListOptions {
    query: ListQuery,
    with_personas: bool,
}

fn parse_list_query(query_string: &str) -> Result<ListOptions, ApiError> {
    let mut params = QueryParams::parse(query_string)?;
    let page = params.page(DEFAULT_LIMIT, MAX_LIMIT);
    let mut options = ListOptions {
        query: ListQuery {
            status: None,
            limit: page.limit,
            offset: page.offset,
        },
        with_personas: false,
    };
    if let Some(value) = params.take("status") {
        match JobStatus::parse(&value) {
            Some(status) => options.query.status = Some(status),
            None => params.reject(
                "status",
                format!("must be one of {}", JobStatus::ALL.map(JobStatus::as_str).join(", ")),
            ),
        }
    }
    if let Some(value) = params.take("include") {
        match value.as_str() {
            "result" => options.with_personas = true,
            _ => params.reject("include", "must be \"result\""),
        }
    }
    params.finish()?;
    Ok(options)
}

/// List generation jobs, newest first.
///
/// Items carry `result.personas_count` (not the personas) unless `include=result`.
#[utoipa::path(
    operation_id = "list_generation_jobs",
    tag = "generation",
    params(ListParams),
    responses(
        (status = 200, description = "Jobs, newest first", body = Vec<JobView>,
            headers(("X-Total-Count" = u64, description = "Jobs matching the filter, over all pages"))),
        (status = 401, response = ReadUnauthorised),
        (status = 422, description = "Invalid query parameter; `details.fields` names it", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/generate")]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let options = parse_list_query(req.query_string())?;
    let db = state.db.clone();
    let key = ViewKey::List("jobs", req.query_string().to_string());
    let response = state
        .read_cache
        .serve(key, move || {
            let (total, views) = db.read(|conn| jobs::list(conn, &options.query, options.with_personas))?;
            Ok((CachedBody::json(&views, Some(total))?, None))
        })
        .await?;
    Ok(response)
}

/// Get a generation job's status and result.
#[utoipa::path(
    operation_id = "get_generation_job",
    tag = "generation",
    params(("job_id" = String, Path, description = "Job identifier")),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 401, response = ReadUnauthorised),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/generate/{job_id}")]
pub async fn get_job(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let job_id = path.into_inner();
    let db = state.db.clone();
    let key = ViewKey::Job(job_id.clone());
    let response = state
        .read_cache
        .serve(key, move || {
            let (view, stamp) = jobs::read_view_stamped(&db, &job_id, JobStamp::of)?;
            Ok((CachedBody::json(&view, None)?, Some(stamp)))
        })
        .await?;
    Ok(response)
}

/// Cancel a generation job.
///
/// A pending job is cancelled at once (200). A running job is asked to stop and does so at its
/// next pipeline step (202, `cancel_requested: true`). A job that has ended cannot be cancelled
/// (409).
#[utoipa::path(
    operation_id = "cancel_generation_job",
    tag = "generation",
    params(("job_id" = String, Path, description = "Job identifier")),
    responses(
        (status = 200, description = "The job was pending and is now cancelled", body = JobView),
        (status = 202, description = "The job is running; it stops at its next step", body = JobView),
        (status = 401, response = Unauthorised),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "The job has already ended", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/generate/{job_id}")]
pub async fn cancel(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let job_id = path.into_inner();
    let db = state.db.clone();
    let (cancellation, view) = blocking(move || {
        let cancellation = jobs::cancel(&db, &job_id)?;
        let view = jobs::read_view(&db, &job_id)?;
        Ok((cancellation, view))
    })
    .await?;
    Ok(match cancellation {
        Cancellation::Cancelled => HttpResponse::Ok().json(view),
        Cancellation::Requested => {
            state.notifier.cancel_requested();
            HttpResponse::Accepted().json(view)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_queries_default_and_name_bad_parameters() {
        let options = parse_list_query("").unwrap();
        assert_eq!((options.query.limit, options.query.offset), (DEFAULT_LIMIT, 0));
        let options = parse_list_query("limit=5&offset=10&status=running&include=result&x=1").unwrap();
        assert_eq!(options.query.limit, 5);
        assert_eq!(options.query.status, Some(JobStatus::Running));
        assert!(options.with_personas);
        let err = parse_list_query("limit=1001&status=done&offset=-1&include=all").unwrap_err();
        let fields: Vec<_> = err.details()["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(fields, vec!["limit", "status", "offset", "include"]);
        assert!(parse_list_query("limit=0").is_err());
    }
}
