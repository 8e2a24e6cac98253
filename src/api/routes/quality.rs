//! Quality scores of personas given inline or stored (`POST /api/v1/quality`). Read-only: nothing
//! is stored; a run's personas already carry the scores computed when the run ended.

use crate::api::error::{ApiError, ErrorBody};
use crate::api::responses::{
    BodyTooLarge, DatabaseUnavailable, InternalError, MalformedJson, NotJson, RateLimited, Unauthorised,
};
use crate::api::state::AppState;
use crate::quality::{QualityRequest, QualityResponse};
use crate::service::quality::evaluate_request;
use crate::util::blocking;
use actix_web::{post, web};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(score);
}

/// Score personas: inline, one stored persona (against the other personas of its run), or a run.
///
/// Give exactly one of `personas`, `persona_id` and `run_id`, and optionally a `preset`
/// (`default`, `strict`, `lenient`). Inline personas are scored together as one run, so
/// distinctiveness compares them with each other. Like every POST, this needs the token when the
/// server has one.
#[utoipa::path(
    operation_id = "score_personas",
    tag = "quality",
    request_body(content = QualityRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The scores and the run summary", body = QualityResponse),
        (status = 400, response = MalformedJson),
        (status = 401, response = Unauthorised),
        (status = 404, description = "No such persona or run", body = ErrorBody),
        (status = 409, description = "The run has no personas (it failed, was cancelled or is still running)",
            body = ErrorBody),
        (status = 413, response = BodyTooLarge),
        (status = 415, response = NotJson),
        (status = 422, description = "Validation error: no source or several, an unknown preset, a malformed \
            persona; `details.fields` names the field", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/quality")]
pub async fn score(
    state: web::Data<AppState>,
    body: web::Json<serde_json::Value>,
) -> std::result::Result<web::Json<QualityResponse>, ApiError> {
    let request = QualityRequest::parse(body.into_inner())?.validate()?;
    let db = state.db.clone();
    // Scoring compares every pair of personas: CPU work, off the async executor.
    let response = blocking(move || evaluate_request(&db, request)).await?;
    Ok(web::Json(response))
}
