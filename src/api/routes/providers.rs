//! The generation providers and whether each can be used (`GET /api/v1/providers`).

use crate::api::responses::{RateLimited, ReadUnauthorised};
use crate::api::state::AppState;
use crate::generate::providers::{ProviderStatus, provider_statuses};
use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(list);
}

/// Every provider the server knows, in a fixed order (`local` first).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderList {
    /// The provider a job uses when its request names none (`generation.provider`).
    #[schema(example = "local")]
    pub default_provider: String,
    pub providers: Vec<ProviderStatus>,
}

/// List the generation providers: whether each is configured, its default model and base URL.
///
/// Keys are never shown; an unconfigured provider says what to set in `missing` (for example
/// `OPENAI_API_KEY`). A job naming an unconfigured provider is refused with 400.
#[utoipa::path(
    operation_id = "list_providers",
    tag = "providers",
    responses(
        (status = 200, description = "The providers", body = ProviderList),
        (status = 401, response = ReadUnauthorised),
        (status = 429, response = RateLimited),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/providers")]
pub async fn list(state: web::Data<AppState>) -> web::Json<ProviderList> {
    web::Json(ProviderList {
        default_provider: state.settings.generation.provider.clone(),
        providers: provider_statuses(&state.settings),
    })
}
