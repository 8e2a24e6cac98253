//! `GET /`: what this service is and where its documentation lives.

use crate::api::responses::RateLimited;
use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(root);
}

/// API information.
#[derive(Debug, Serialize, ToSchema)]
pub struct RootInfo {
    #[schema(example = "Persona API")]
    pub name: String,
    pub version: String,
    /// Swagger UI.
    pub docs: String,
    /// ReDoc.
    pub redoc: String,
    /// The OpenAPI document.
    pub openapi: String,
    pub health: String,
}

/// API information.
#[utoipa::path(
    operation_id = "get_api_info",
    tag = "meta",
    responses(
        (status = 200, description = "API information", body = RootInfo),
        (status = 429, response = RateLimited),
    )
)]
#[get("/")]
pub async fn root() -> web::Json<RootInfo> {
    web::Json(RootInfo {
        name: "Persona API".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        docs: "/docs".into(),
        redoc: "/redoc".into(),
        openapi: "/openapi.json".into(),
        health: "/api/v1/health".into(),
    })
}
