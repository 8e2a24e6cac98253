//! HTTP routes, one module per resource. Each module's `configure` registers its handlers with
//! `.service(...)`, which is what puts them in the OpenAPI document.

pub mod datasets;
pub mod events;
pub mod experiments;
pub mod generate;
pub mod health;
pub mod personas;
pub mod providers;
pub mod quality;
pub mod root;
pub mod scripts;
pub mod webhooks;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route of the API.
pub fn configure(cfg: &mut ServiceConfig<'_>) {
    root::configure(cfg);
    health::configure(cfg);
    generate::configure(cfg);
    events::configure(cfg);
    experiments::configure(cfg);
    personas::configure(cfg);
    datasets::configure(cfg);
    webhooks::configure(cfg);
    providers::configure(cfg);
    quality::configure(cfg);
    scripts::configure(cfg);
}
