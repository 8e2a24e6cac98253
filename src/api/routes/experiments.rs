//! Experiments and their runs (`/api/v1/experiments`).

use crate::api::error::{ApiError, ErrorBody};
use crate::api::experiments::{
    CreateExperimentBody, ExperimentDeleted, ExperimentDetail, ExperimentView, RunDetailView, RunSummaryView,
};
use crate::api::generate::create_job;
use crate::api::query::{Page, QueryParams};
use crate::api::read_cache::{CachedBody, ViewKey};
use crate::api::responses::{
    BodyTooLarge, DatabaseUnavailable, InternalError, NotJson, RateLimited, ReadUnauthorised, Unauthorised,
};
use crate::api::state::AppState;
use crate::domain::jobs::JobView;
use crate::service::experiments::{self as service, ExperimentOverrides};
use crate::service::jobs;
use crate::util::blocking;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(list)
        .service(create)
        .service(get_experiment)
        .service(remove)
        .service(generate)
        .service(list_runs)
        .service(get_run);
}

/// Paging parameters (documentation; parsed by hand to name bad values).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Items to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
}

/// Parameters of `DELETE /api/v1/experiments/{id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// Also remove the runs' output folders (only those inside the output directory).
    pub delete_outputs: Option<bool>,
}

fn total_header(total: u64) -> (HeaderName, HeaderValue) {
    (HeaderName::from_static("x-total-count"), HeaderValue::from(total))
}

/// List experiments, newest first, each with its run count, last run time and status.
#[utoipa::path(
    operation_id = "list_experiments",
    tag = "experiments",
    params(PageParams),
    responses(
        (status = 200, description = "Experiments, newest first", body = Vec<ExperimentView>,
            headers(("X-Total-Count" = u64, description = "Experiments over all pages"))),
        (status = 401, response = ReadUnauthorised),
        (status = 422, description = "Invalid query parameter; `details.fields` names it", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/experiments")]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Page { limit, offset } = QueryParams::list_page(req.query_string())?;
    let db = state.db.clone();
    let key = ViewKey::List("experiments", req.query_string().to_string());
    let response = state
        .read_cache
        .serve(key, move || {
            let (total, items) = service::list(&db, limit, offset)?;
            let views: Vec<ExperimentView> = items.into_iter().map(ExperimentView::from).collect();
            Ok((CachedBody::json(&views, Some(total))?, None))
        })
        .await?;
    Ok(response)
}

/// Create an experiment: a named set of data sources and default generation settings.
#[utoipa::path(
    operation_id = "create_experiment",
    tag = "experiments",
    request_body(content = CreateExperimentBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Created (`status: created`)", body = ExperimentView,
            headers(("Location" = String, description = "The experiment's URL"))),
        (status = 400, description = "Bad JSON; a data source outside the data directory or missing; an unknown \
            or unconfigured provider", body = ErrorBody),
        (status = 401, response = Unauthorised),
        (status = 409, description = "An experiment with this name exists", body = ErrorBody),
        (status = 413, response = BodyTooLarge),
        (status = 415, response = NotJson),
        (status = 422, description = "Validation error; `details.fields` names each bad field", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/experiments")]
pub async fn create(state: web::Data<AppState>, body: web::Json<serde_json::Value>) -> Result<HttpResponse, ApiError> {
    let (db, settings, data_dir) = (state.db.clone(), state.settings.clone(), state.data_dir.clone());
    let view = blocking(move || {
        let new = service::check_new(&body, &settings, &data_dir)?;
        service::create(&db, new).map(ExperimentView::from)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/experiments/{}", view.id)))
        .json(view))
}

/// Get an experiment with a summary of each of its runs (newest first).
#[utoipa::path(
    operation_id = "get_experiment",
    tag = "experiments",
    params(("id" = String, Path, description = "Experiment identifier")),
    responses(
        (status = 200, description = "The experiment", body = ExperimentDetail),
        (status = 401, response = ReadUnauthorised),
        (status = 404, description = "No such experiment", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/experiments/{id}")]
pub async fn get_experiment(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<ExperimentDetail>, ApiError> {
    let id = path.into_inner();
    let db = state.db.clone();
    Ok(web::Json(blocking(move || service::read(&db, &id)).await?.into()))
}

/// Delete an experiment with its jobs, runs and personas.
///
/// Refused (409) while one of its jobs is pending or running. Output folders stay on disk unless
/// `delete_outputs=true`.
#[utoipa::path(
    operation_id = "delete_experiment",
    tag = "experiments",
    params(("id" = String, Path, description = "Experiment identifier"), DeleteParams),
    responses(
        (status = 200, description = "Deleted", body = ExperimentDeleted),
        (status = 401, response = Unauthorised),
        (status = 404, description = "No such experiment", body = ErrorBody),
        (status = 409, description = "A job of the experiment is pending or running", body = ErrorBody),
        (status = 422, description = "Invalid query parameter", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/experiments/{id}")]
pub async fn remove(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<ExperimentDeleted>, ApiError> {
    let mut params = QueryParams::parse(req.query_string())?;
    let delete_outputs = params.flag("delete_outputs", false);
    params.finish()?;
    let id = path.into_inner();
    let (db, output_dir) = (state.db.clone(), state.settings.storage.output_dir.clone());
    let removed = {
        let id = id.clone();
        blocking(move || service::delete(&db, &id, delete_outputs, &output_dir)).await?
    };
    Ok(web::Json(ExperimentDeleted::new(&id, removed)))
}

/// Start a generation job from the experiment's data source and configuration.
///
/// The body (optional) may override `data`, `count` (or `persona_count`), `provider`, `model`,
/// `seed`, `config` (merged over the experiment's options) and `webhook_url`. Without `data` the
/// experiment must have exactly one data source.
#[utoipa::path(
    operation_id = "generate_for_experiment",
    tag = "experiments",
    params(("id" = String, Path, description = "Experiment identifier")),
    request_body(content = Option<ExperimentOverrides>, content_type = "application/json",
        description = "Overrides of the experiment's settings"),
    responses(
        (status = 202, description = "Job created", body = JobView),
        (status = 400, description = "No usable data source; a data path outside the data directory or missing; \
            an unknown or unconfigured provider", body = ErrorBody),
        (status = 401, response = Unauthorised),
        (status = 404, description = "No such experiment", body = ErrorBody),
        (status = 413, response = BodyTooLarge),
        (status = 415, response = NotJson),
        (status = 422, description = "Validation error; `details.fields` names each bad field", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/experiments/{id}/generate")]
pub async fn generate(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // An empty body means "no overrides"; anything else must be a JSON object.
    let overrides: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid_input(format!("the request body is not valid JSON: {e}")))?
    };
    if overrides.is_null() {
        // Nothing to check.
    } else if !req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/json"))
    {
        return Err(ApiError::new(
            crate::api::error::ErrorCode::UnsupportedMediaType,
            "the request body must be JSON (Content-Type: application/json)",
        ));
    }
    let id = path.into_inner();
    let (db, settings) = (state.db.clone(), state.settings.clone());
    let request = blocking(move || service::generate_request(&db, &id, &overrides, &settings)).await?;
    let entry = create_job(&state, request, req.peer_addr().map(|a| a.ip())).await?;
    let db = state.db.clone();
    let view = blocking(move || jobs::read_view(&db, &entry.job.id)).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/generate/{}", view.job_id)))
        .json(view))
}

/// List an experiment's runs, newest first.
#[utoipa::path(
    operation_id = "list_experiment_runs",
    tag = "experiments",
    params(("id" = String, Path, description = "Experiment identifier"), PageParams),
    responses(
        (status = 200, description = "Runs, newest first", body = Vec<RunSummaryView>,
            headers(("X-Total-Count" = u64, description = "Runs over all pages"))),
        (status = 401, response = ReadUnauthorised),
        (status = 404, description = "No such experiment", body = ErrorBody),
        (status = 422, description = "Invalid query parameter", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/experiments/{id}/runs")]
pub async fn list_runs(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Page { limit, offset } = QueryParams::list_page(req.query_string())?;
    let id = path.into_inner();
    let db = state.db.clone();
    let (total, runs) = blocking(move || service::read_runs(&db, &id, limit, offset)).await?;
    let runs: Vec<RunSummaryView> = runs.iter().map(RunSummaryView::from).collect();
    Ok(HttpResponse::Ok().insert_header(total_header(total)).json(runs))
}

/// Get one run: the configuration used, source files with hashes, timings, warnings, token usage,
/// metadata (quality summary included) and its personas.
#[utoipa::path(
    operation_id = "get_experiment_run",
    tag = "experiments",
    params(
        ("id" = String, Path, description = "Experiment identifier"),
        ("run_id" = String, Path, description = "Run identifier"),
    ),
    responses(
        (status = 200, description = "The run", body = RunDetailView),
        (status = 401, response = ReadUnauthorised),
        (status = 404, description = "No such experiment, or no such run in it", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/experiments/{id}/runs/{run_id}")]
pub async fn get_run(
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<web::Json<RunDetailView>, ApiError> {
    let (id, run_id) = path.into_inner();
    let db = state.db.clone();
    Ok(web::Json(
        blocking(move || service::read_run(&db, &id, &run_id)).await?.into(),
    ))
}
