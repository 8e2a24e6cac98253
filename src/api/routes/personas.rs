//! Stored personas (`/api/v1/personas/{id}`), as JSON or as their Markdown card.

use crate::api::error::{ApiError, ErrorBody};
use crate::api::query::QueryParams;
use crate::api::responses::{DatabaseUnavailable, InternalError, RateLimited, ReadUnauthorised};
use crate::api::state::AppState;
use crate::domain::Persona;
use crate::generate::output::render_markdown;
use crate::util::blocking;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(get_persona);
}

/// How a persona is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PersonaFormat {
    /// The canonical persona JSON (default).
    Json,
    /// The readable Markdown card (`text/markdown`), as in the run folder's `persona.md`.
    Markdown,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonaParams {
    #[param(inline)]
    pub format: Option<PersonaFormat>,
}

/// Get a persona: its canonical JSON with evidence and quality, or (`format=markdown`) its card.
#[utoipa::path(
    operation_id = "get_persona",
    tag = "personas",
    params(("id" = String, Path, description = "Persona identifier"), PersonaParams),
    responses(
        (status = 200, description = "The persona",
            content((Persona = "application/json"), (String = "text/markdown"))),
        (status = 401, response = ReadUnauthorised),
        (status = 404, description = "No such persona", body = ErrorBody),
        (status = 422, description = "Unknown `format`", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/personas/{id}")]
pub async fn get_persona(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut params = QueryParams::parse(req.query_string())?;
    let format = match params.take("format").as_deref() {
        None | Some("json") => PersonaFormat::Json,
        Some("markdown" | "md") => PersonaFormat::Markdown,
        Some(_) => {
            params.reject("format", "must be json or markdown");
            PersonaFormat::Json
        }
    };
    params.finish()?;
    let id = path.into_inner();
    let db = state.db.clone();
    let persona: Persona = blocking(move || crate::service::personas::read(&db, &id)).await?;
    Ok(match format {
        PersonaFormat::Json => HttpResponse::Ok().json(persona),
        PersonaFormat::Markdown => HttpResponse::Ok()
            .content_type("text/markdown; charset=utf-8")
            .body(render_markdown(&persona)),
    })
}
