//! Webhooks: registration (`/api/v1/webhooks`) and the operator view of their deliveries
//! (`/api/v1/webhooks/{webhook_id}/deliveries`, redelivery, test pings).

use crate::api::error::{ApiError, ErrorBody};
use crate::api::query::QueryParams;
use crate::api::responses::{
    BodyTooLarge, DatabaseUnavailable, InternalError, NotJson, RateLimited, ReadUnauthorised, Unauthorised,
};
use crate::api::state::AppState;
use crate::domain::webhooks::{CreateWebhookBody, DeliveryStatus, NewWebhook, Trigger};
use crate::error::Result;
use crate::service::webhooks::{self as service, Delivery, DeliveryAttempt, DeliveryDetail, Webhook};
use crate::util::blocking;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(create)
        .service(list)
        .service(get_webhook)
        .service(delete_webhook)
        .service(list_deliveries)
        .service(get_delivery)
        .service(redeliver)
        .service(send_test);
}

/// Default and largest page sizes of the delivery list.
pub const DEFAULT_DELIVERY_LIMIT: u32 = 20;
pub const MAX_DELIVERY_LIMIT: u32 = 100;

/// A registered webhook. The secret is never shown: `has_secret` says whether there is one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    #[schema(example = "webhook-3f9c0a9be21d4c7e")]
    pub webhook_id: String,
    pub url: String,
    pub events: Vec<String>,
    pub has_secret: bool,
    /// False once the receiver answered 410 Gone; nothing is sent to it any more.
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Webhook> for WebhookView {
    fn from(w: Webhook) -> WebhookView {
        WebhookView {
            webhook_id: w.id,
            url: w.url,
            events: w.events,
            has_secret: w.has_secret,
            active: w.active,
            disabled_reason: w.disabled_reason,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// One delivery of the outbox: an event for one URL, retried until delivered or dead-lettered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Also the `X-Persona-Delivery` header, the same on every attempt.
    #[schema(example = "delivery-5a1e0c9b7d3f2e81")]
    pub delivery_id: String,
    pub webhook_id: Option<String>,
    /// The job whose state change caused it (none for pings).
    pub job_id: Option<String>,
    pub event: String,
    pub url: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When a pending delivery is next attempted.
    pub next_attempt_at: Option<String>,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    pub updated_at: String,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> DeliveryView {
        DeliveryView {
            delivery_id: d.id,
            webhook_id: d.webhook_id,
            job_id: d.job_id,
            event: d.event,
            url: d.url,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
            updated_at: d.updated_at,
        }
    }
}

/// One HTTP attempt of a delivery.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempt_number: u32,
    pub trigger: Trigger,
    pub started_at: String,
    pub duration_ms: u64,
    /// None when no answer arrived (timeout, refused target, connection error).
    pub status_code: Option<u16>,
    pub error: Option<String>,
    /// The first 1 KB of the receiver's answer.
    pub response_body: Option<String>,
}

impl From<DeliveryAttempt> for AttemptView {
    fn from(a: DeliveryAttempt) -> AttemptView {
        AttemptView {
            attempt_number: a.attempt_number,
            trigger: a.trigger,
            started_at: a.started_at,
            duration_ms: a.duration_ms,
            status_code: a.status_code,
            error: a.error,
            response_body: a.response_body,
        }
    }
}

/// A delivery with the body it sends and every attempt, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryDetailView {
    #[serde(flatten)]
    pub delivery: DeliveryView,
    /// The JSON body sent on every attempt.
    #[schema(value_type = Object)]
    pub payload: Value,
    pub attempt_history: Vec<AttemptView>,
}

impl From<DeliveryDetail> for DeliveryDetailView {
    fn from(d: DeliveryDetail) -> DeliveryDetailView {
        DeliveryDetailView {
            delivery: d.delivery.into(),
            // The payload was serialised by us; should the column ever be edited into invalid
            // JSON, show it as a string rather than failing the view.
            payload: serde_json::from_str(&d.payload).unwrap_or(Value::String(d.payload)),
            attempt_history: d.attempts.into_iter().map(AttemptView::from).collect(),
        }
    }
}

/// The answer to a deletion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Deleted {
    pub success: bool,
    #[schema(example = "Webhook webhook-3f9c0a9be21d4c7e deleted successfully")]
    pub message: String,
}

/// Register a webhook.
///
/// Events: `generation.started`, `generation.completed`, `generation.failed`,
/// `generation.cancelled` (default: completed and failed). Deliveries are POSTed with
/// `X-Persona-Event`, `X-Persona-Delivery` and, with a secret, `X-Persona-Signature:
/// sha256=<hex HMAC-SHA256 of the body>`.
#[utoipa::path(
    operation_id = "create_webhook",
    tag = "webhooks",
    request_body(content = CreateWebhookBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Webhook registered", body = WebhookView),
        (status = 400, description = "Bad JSON, or a private, loopback or link-local target while \
            `webhooks.allow_private_targets` is off (the message names the address)", body = ErrorBody),
        (status = 401, response = Unauthorised),
        (status = 409, description = "`webhooks.max_webhooks` webhooks are registered already", body = ErrorBody),
        (status = 413, response = BodyTooLarge),
        (status = 415, response = NotJson),
        (status = 422, description = "Validation error (`url`, `events`, `secret`); `details.fields` names each",
            body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/webhooks")]
pub async fn create(state: web::Data<AppState>, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let new = NewWebhook::read(body.into_inner(), state.settings.webhooks.allow_private_targets)?;
    let db = state.db.clone();
    let cap = state.settings.webhooks.max_webhooks;
    let webhook = blocking(move || service::register(&db, &new, cap)).await?;
    Ok(HttpResponse::Created().json(WebhookView::from(webhook)))
}

/// List registered webhooks, oldest first.
#[utoipa::path(
    operation_id = "list_webhooks",
    tag = "webhooks",
    responses(
        (status = 200, description = "All webhooks", body = Vec<WebhookView>),
        (status = 401, response = ReadUnauthorised),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/webhooks")]
pub async fn list(state: web::Data<AppState>) -> Result<web::Json<Vec<WebhookView>>, ApiError> {
    let db = state.db.clone();
    let webhooks = blocking(move || service::list(&db)).await?;
    Ok(web::Json(webhooks.into_iter().map(WebhookView::from).collect()))
}

/// Get a webhook.
#[utoipa::path(
    operation_id = "get_webhook",
    tag = "webhooks",
    params(("webhook_id" = String, Path, description = "Webhook identifier")),
    responses(
        (status = 200, description = "The webhook", body = WebhookView),
        (status = 401, response = ReadUnauthorised),
        (status = 404, description = "No such webhook", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/webhooks/{webhook_id}")]
pub async fn get_webhook(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<WebhookView>, ApiError> {
    let webhook_id = path.into_inner();
    let db = state.db.clone();
    let webhook = blocking(move || service::get(&db, &webhook_id)).await?;
    Ok(web::Json(webhook.into()))
}

/// Delete a webhook, with its deliveries and their attempts.
#[utoipa::path(
    operation_id = "delete_webhook",
    tag = "webhooks",
    params(("webhook_id" = String, Path, description = "Webhook identifier")),
    responses(
        (status = 200, description = "Deleted", body = Deleted),
        (status = 401, response = Unauthorised),
        (status = 404, description = "No such webhook", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/webhooks/{webhook_id}")]
pub async fn delete_webhook(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<Deleted>, ApiError> {
    let webhook_id = path.into_inner();
    let db = state.db.clone();
    let deleted_id = webhook_id.clone();
    blocking(move || service::delete(&db, &deleted_id)).await?;
    Ok(web::Json(Deleted {
        success: true,
        message: format!("Webhook {webhook_id} deleted successfully"),
    }))
}

/// Query parameters of the delivery list (documentation; parsed by hand to name bad ones).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListParams {
    /// Only deliveries in this status.
    pub status: Option<DeliveryStatus>,
    /// Deliveries per page (1–100, default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Deliveries to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct DeliveryListQuery {
    status: Option<DeliveryStatus>,
    limit: u32,
    offset: u64,
}

fn parse_delivery_query(query_string: &str) -> Result<DeliveryListQuery, ApiError> {
    let mut params = QueryParams::parse(query_string)?;
    let page = params.page(DEFAULT_DELIVERY_LIMIT, MAX_DELIVERY_LIMIT);
    let mut query = DeliveryListQuery {
        status: None,
        limit: page.limit,
        offset: page.offset,
    };
    if let Some(value) = params.take("status") {
        match DeliveryStatus::parse(&value) {
            Some(status) => query.status = Some(status),
            None => params.reject(
                "status",
                format!(
                    "must be one of {}",
                    DeliveryStatus::ALL.map(DeliveryStatus::as_str).join(", ")
                ),
            ),
        }
    }
    params.finish()?;
    Ok(query)
}

/// List a webhook's deliveries, newest first.
#[utoipa::path(
    operation_id = "list_webhook_deliveries",
    tag = "webhooks",
    params(("webhook_id" = String, Path, description = "Webhook identifier"), DeliveryListParams),
    responses(
        (status = 200, description = "Deliveries, newest first", body = Vec<DeliveryView>,
            headers(("X-Total-Count" = u64, description = "Deliveries matching the filter, over all pages"))),
        (status = 401, response = ReadUnauthorised),
        (status = 404, description = "No such webhook", body = ErrorBody),
        (status = 422, description = "Invalid query parameter; `details.fields` names it", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/webhooks/{webhook_id}/deliveries")]
pub async fn list_deliveries(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = parse_delivery_query(req.query_string())?;
    let webhook_id = path.into_inner();
    let db = state.db.clone();
    let (deliveries, total) =
        blocking(move || service::deliveries(&db, &webhook_id, query.status, query.limit, query.offset)).await?;
    let views: Vec<DeliveryView> = deliveries.into_iter().map(DeliveryView::from).collect();
    Ok(HttpResponse::Ok()
        .insert_header((HeaderName::from_static("x-total-count"), HeaderValue::from(total)))
        .json(views))
}

/// Get a delivery with its body and every attempt.
#[utoipa::path(
    operation_id = "get_webhook_delivery",
    tag = "webhooks",
    params(
        ("webhook_id" = String, Path, description = "Webhook identifier"),
        ("delivery_id" = String, Path, description = "Delivery identifier"),
    ),
    responses(
        (status = 200, description = "The delivery", body = DeliveryDetailView),
        (status = 401, response = ReadUnauthorised),
        (status = 404, description = "No such webhook, or no such delivery of it", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}")]
pub async fn get_delivery(
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<web::Json<DeliveryDetailView>, ApiError> {
    let (webhook_id, delivery_id) = path.into_inner();
    let db = state.db.clone();
    let detail = blocking(move || service::delivery(&db, &webhook_id, &delivery_id)).await?;
    Ok(web::Json(detail.into()))
}

/// Send a delivery again.
///
/// The delivery goes back to `pending`, due now, with the same delivery id; its next attempt is
/// recorded with trigger `manual`. Dead-lettered and delivered deliveries can be sent again too.
#[utoipa::path(
    operation_id = "redeliver_webhook_delivery",
    tag = "webhooks",
    params(
        ("webhook_id" = String, Path, description = "Webhook identifier"),
        ("delivery_id" = String, Path, description = "Delivery identifier"),
    ),
    responses(
        (status = 202, description = "Queued again", body = DeliveryView),
        (status = 401, response = Unauthorised),
        (status = 404, description = "No such webhook, or no such delivery of it", body = ErrorBody),
        (status = 409, description = "The delivery is being sent right now, or the webhook is disabled",
            body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (webhook_id, delivery_id) = path.into_inner();
    let db = state.db.clone();
    let delivery = blocking(move || service::redeliver(&db, &webhook_id, &delivery_id)).await?;
    state.deliveries.delivery_queued();
    Ok(HttpResponse::Accepted().json(DeliveryView::from(delivery)))
}

/// Send a test `ping` to a webhook.
///
/// Queues a delivery of event `ping` (data: `webhook_id`, `message`) whatever the webhook's
/// events, signed like any other; follow it in the delivery list.
#[utoipa::path(
    operation_id = "test_webhook",
    tag = "webhooks",
    params(("webhook_id" = String, Path, description = "Webhook identifier")),
    responses(
        (status = 202, description = "Ping queued", body = DeliveryView),
        (status = 401, response = Unauthorised),
        (status = 404, description = "No such webhook", body = ErrorBody),
        (status = 409, description = "The webhook is disabled", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/webhooks/{webhook_id}/test")]
pub async fn send_test(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let webhook_id = path.into_inner();
    let db = state.db.clone();
    let delivery = blocking(move || service::ping(&db, &webhook_id)).await?;
    state.deliveries.delivery_queued();
    Ok(HttpResponse::Accepted().json(DeliveryView::from(delivery)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_queries_default_and_name_bad_parameters() {
        let query = parse_delivery_query("").unwrap();
        assert_eq!(
            (query.status, query.limit, query.offset),
            (None, DEFAULT_DELIVERY_LIMIT, 0)
        );
        let query = parse_delivery_query("status=failed&limit=5&offset=10&other=1").unwrap();
        assert_eq!(
            query,
            DeliveryListQuery {
                status: Some(DeliveryStatus::Failed),
                limit: 5,
                offset: 10
            }
        );
        let err = parse_delivery_query("status=lost&limit=0&offset=-1").unwrap_err();
        let fields: Vec<&str> = err.details()["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["status", "limit", "offset"]);
    }
}
