//! Liveness (`GET /api/v1/health`: the database answers) and readiness
//! (`GET /api/v1/health/ready`: database, migrations and worker), also at `/health` and
//! `/health/ready`, where container probes often look. Probes are never rate-limited or
//! authenticated.

use crate::api::error::{ApiError, ErrorBody};
use crate::api::state::AppState;
use crate::domain::time::now_rfc3339;
use crate::service::health::OK;
use crate::util::blocking;
use actix_web::{get, web};
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(health).service(ready);
}

/// The probe paths outside `/api/v1` (not in the OpenAPI document: they repeat its two routes).
pub fn configure_aliases(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(liveness))
        .route("/health/ready", web::get().to(readiness));
}

/// The service is up and its database answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "healthy")]
    pub status: String,
    pub version: String,
    pub timestamp: String,
}

/// Each readiness check: `ok`, or what is wrong.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadyChecks {
    pub database: String,
    pub migrations: String,
    pub worker: String,
}

/// The service can take work.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    #[schema(example = "ready")]
    pub status: String,
    pub checks: ReadyChecks,
}

/// Liveness: 200 while the database can be queried, 503 otherwise.
#[utoipa::path(
    operation_id = "get_health",
    tag = "health",
    responses(
        (status = 200, description = "The service is healthy", body = Health),
        (status = 503, description = "The database cannot be queried", body = ErrorBody),
    )
)]
#[get("/api/v1/health")]
pub async fn health(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    liveness(state).await
}

async fn liveness(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    // Checked at most every few hundred milliseconds (see `HealthCheck`), not on every probe.
    if let Err(e) = state.health_check.check(&state.db).await {
        log::warn!("health check: database unavailable: {e}");
        return Err(ApiError::unavailable(e));
    }
    Ok(web::Json(Health {
        status: "healthy".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        timestamp: now_rfc3339(),
    }))
}

/// How long the worker may go without a heartbeat and still count as alive.
fn worker_timeout(poll_interval_ms: u64) -> Duration {
    Duration::from_millis(poll_interval_ms.saturating_mul(5)).max(Duration::from_secs(5))
}

/// Readiness: the database answers, its schema is the one this binary expects, and the worker is
/// running. 503 naming the failing checks otherwise.
#[utoipa::path(
    operation_id = "get_readiness",
    tag = "health",
    responses(
        (status = 200, description = "Ready to take work", body = Ready),
        (status = 503, description = "Not ready; `details.checks` names what failed", body = ErrorBody),
    )
)]
#[get("/api/v1/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<web::Json<Ready>, ApiError> {
    readiness(state).await
}

async fn readiness(state: web::Data<AppState>) -> Result<web::Json<Ready>, ApiError> {
    let db = state.db.clone();
    let (database, migrations) = blocking(move || Ok(crate::service::health::storage_checks(&db))).await?;
    let timeout = worker_timeout(state.settings.worker.poll_interval_ms);
    let worker = match state.heartbeat.age() {
        Some(age) if age <= timeout => OK.to_string(),
        Some(age) => format!("no heartbeat for {} s", age.as_secs()),
        None => "not started".to_string(),
    };
    let checks = ReadyChecks {
        database,
        migrations,
        worker,
    };
    let failing: Vec<&str> = [
        ("database", &checks.database),
        ("migrations", &checks.migrations),
        ("worker", &checks.worker),
    ]
    .into_iter()
    .filter(|(_, value)| value.as_str() != OK)
    .map(|(name, _)| name)
    .collect();
    if !failing.is_empty() {
        return Err(
            ApiError::unavailable(format!("not ready: {}", failing.join(", "))).with_details(serde_json::json!({
                "checks": checks,
                "failing": failing,
            })),
        );
    }
    Ok(web::Json(Ready {
        status: "ready".into(),
        checks,
    }))
}
