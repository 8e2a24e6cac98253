//! Webhooks: the events a webhook can subscribe to, the body every delivery sends, the states
//! of a delivery, and checking a registration. Stored by `store::webhooks` (registrations) and
//! `store::deliveries` (the outbox).

use crate::config::Secret;
use crate::domain::values::WebhookUrl;
use crate::error::{Error, FieldError, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};

pub const EVENT_STARTED: &str = "generation.started";
pub const EVENT_COMPLETED: &str = "generation.completed";
pub const EVENT_FAILED: &str = "generation.failed";
pub const EVENT_CANCELLED: &str = "generation.cancelled";
/// Sent only by `POST /api/v1/webhooks/{id}/test`, whatever the subscription.
pub const EVENT_PING: &str = "ping";

/// Events a webhook can subscribe to.
pub const SUBSCRIBABLE_EVENTS: [&str; 4] = [EVENT_STARTED, EVENT_COMPLETED, EVENT_FAILED, EVENT_CANCELLED];
/// The subscription when a registration names no events.
pub const DEFAULT_EVENTS: [&str; 2] = [EVENT_COMPLETED, EVENT_FAILED];

/// `webhook_deliveries.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for `next_attempt_at`.
    Pending,
    /// Claimed by a dispatcher; the request is in flight until `lease_expires_at`.
    Delivering,
    /// A 2xx answer arrived.
    Delivered,
    /// Dead letter: the schedule ran out, or the receiver answered 410 Gone.
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 4] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivering,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivering => "delivering",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

/// What started an attempt: the schedule, or an operator's redelivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Scheduled,
    Manual,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Scheduled => "scheduled",
            Trigger::Manual => "manual",
        }
    }

    /// Reads the stored column; anything but `manual` is `scheduled`.
    pub fn from_column(s: &str) -> Trigger {
        if s == "manual" {
            Trigger::Manual
        } else {
            Trigger::Scheduled
        }
    }
}

/// Longest webhook secret, in characters (an HMAC key longer than its block is hashed anyway).
pub const MAX_SECRET_CHARS: usize = 256;

/// A validated registration (`POST /api/v1/webhooks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub secret: Option<Secret>,
}

impl NewWebhook {
    /// Checks a registration request. Malformed values are `Validation` errors naming each bad
    /// field (`url`, `events`, `secret`); a well-formed URL whose host is a private, loopback or
    /// link-local address (or `localhost`) is `InvalidInput` naming the address, unless
    /// `allow_private` (`webhooks.allow_private_targets`). Names are resolved, and checked again,
    /// at delivery time.
    pub fn parse(
        url: Option<&str>,
        events: Option<Vec<String>>,
        secret: Option<String>,
        allow_private: bool,
    ) -> Result<NewWebhook> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| {
            problems.push(FieldError {
                field: field.into(),
                message,
            })
        };
        let url = match url.map(str::trim) {
            None | Some("") => {
                problem("url", "is required".into());
                None
            }
            Some(raw) => match check_url_shape(raw) {
                Ok(()) => Some(raw.to_string()),
                Err(message) => {
                    problem("url", message);
                    None
                }
            },
        };
        let events = match events {
            None => DEFAULT_EVENTS.iter().map(|e| e.to_string()).collect(),
            Some(list) if list.is_empty() => {
                problem("events", "must name at least one event".into());
                Vec::new()
            }
            Some(list) => {
                let unknown: Vec<&str> = list
                    .iter()
                    .map(String::as_str)
                    .filter(|e| !SUBSCRIBABLE_EVENTS.contains(e))
                    .collect();
                if !unknown.is_empty() {
                    problem(
                        "events",
                        format!(
                            "unknown event(s) {}; known events: {}",
                            unknown.join(", "),
                            SUBSCRIBABLE_EVENTS.join(", ")
                        ),
                    );
                }
                let mut unique: Vec<String> = Vec::new();
                for event in list {
                    if !unique.contains(&event) {
                        unique.push(event);
                    }
                }
                unique
            }
        };
        let secret = match secret {
            Some(s) if s.is_empty() => {
                problem(
                    "secret",
                    "must not be empty (leave it out for unsigned deliveries)".into(),
                );
                None
            }
            Some(s) if s.chars().count() > MAX_SECRET_CHARS => {
                problem("secret", format!("must be at most {MAX_SECRET_CHARS} characters"));
                None
            }
            other => other.map(Secret::new),
        };
        if !problems.is_empty() {
            let message = problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(Error::Validation {
                message,
                fields: problems,
            });
        }
        let url = url.expect("a URL without problems is present");
        if let Err(reason) = crate::net::check_url(&url, allow_private) {
            return Err(Error::InvalidInput {
                message: format!(
                    "url: {reason}; webhook targets must be public unless webhooks.allow_private_targets is set"
                ),
                details: serde_json::json!({"field": "url", "reason": reason}),
            });
        }
        Ok(NewWebhook { url, events, secret })
    }
}

/// The body of `POST /api/v1/webhooks`, for the OpenAPI document: derived from the types whose
/// limits [`NewWebhook::read`] checks (unknown fields are refused).
#[derive(Debug, Clone, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookBody {
    // Absolute http(s) URL; private, loopback and link-local targets are refused unless
    // `webhooks.allow_private_targets` is set (a doc comment here would wrap the inline schema).
    #[schema(inline)]
    pub url: WebhookUrl,
    /// Events to subscribe to (default `generation.completed` and `generation.failed`).
    #[schema(schema_with = crate::domain::values::nullable::<EventNames>)]
    pub events: Option<EventNames>,
    /// HMAC-SHA256 key for `X-Persona-Signature`; stored, never returned.
    #[schema(schema_with = crate::domain::values::nullable::<SecretText>)]
    pub secret: Option<SecretText>,
}

/// A non-empty list of subscribable event names.
#[derive(Debug, Clone)]
pub struct EventNames;

impl utoipa::PartialSchema for EventNames {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(SUBSCRIBABLE_EVENTS)),
            )
            .min_items(Some(1))
            .examples([serde_json::json!(DEFAULT_EVENTS)])
            .into()
    }
}

/// A webhook secret: 1 to [`MAX_SECRET_CHARS`] characters.
#[derive(Debug, Clone)]
pub struct SecretText;

impl utoipa::PartialSchema for SecretText {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX_SECRET_CHARS))
            .into()
    }
}

impl utoipa::ToSchema for EventNames {}
impl utoipa::ToSchema for SecretText {}

impl NewWebhook {
    /// Reads a registration body field by field, so that a wrongly typed or unknown field is
    /// named, then checks it with [`NewWebhook::parse`].
    pub fn read(body: Value, allow_private: bool) -> Result<NewWebhook> {
        let Value::Object(object) = body else {
            return Err(Error::validation("body", "must be a JSON object with a url"));
        };
        let mut fields = Vec::new();
        let mut bad = |field: &str, message: &str| fields.push(FieldError::new(field, message));
        for key in object.keys() {
            if !matches!(key.as_str(), "url" | "events" | "secret") {
                bad(key, "unknown field; expected url, events or secret");
            }
        }
        let url = match object.get("url") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                bad("url", "must be a string");
                None
            }
        };
        let events = match object.get("events") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                let names: Option<Vec<String>> = items.iter().map(|v| v.as_str().map(str::to_string)).collect();
                if names.is_none() {
                    bad("events", "must be an array of event names");
                }
                names
            }
            Some(_) => {
                bad("events", "must be an array of event names");
                None
            }
        };
        let secret = match object.get("secret") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                bad("secret", "must be a string");
                None
            }
        };
        crate::domain::values::validation(fields)?;
        NewWebhook::parse(url, events, secret, allow_private)
    }
}

/// An absolute http(s) URL with a host; the address policy is checked separately.
fn check_url_shape(raw: &str) -> std::result::Result<(), String> {
    if raw.len() > crate::net::MAX_URL_BYTES {
        return Err(format!(
            "must be at most {} bytes long (got {})",
            crate::net::MAX_URL_BYTES,
            raw.len()
        ));
    }
    let parsed = reqwest::Url::parse(raw).map_err(|e| format!("must be an absolute http(s) URL ({e})"))?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return Err(format!(
            "must be an absolute http(s) URL (scheme {:?} is not allowed)",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("must be an absolute http(s) URL with a host".into());
    }
    Ok(())
}

/// A job's state change, with the data its webhook body carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEvent {
    Started {
        job_id: String,
        experiment_id: String,
    },
    Completed {
        job_id: String,
        personas_count: u64,
        experiment_id: String,
        run_id: String,
        /// The run's output folder; `null` in the body when the run wrote none.
        output_path: Option<String>,
    },
    Failed {
        job_id: String,
        error: String,
    },
    Cancelled {
        job_id: String,
    },
}

impl WebhookEvent {
    pub fn name(&self) -> &'static str {
        match self {
            WebhookEvent::Started { .. } => EVENT_STARTED,
            WebhookEvent::Completed { .. } => EVENT_COMPLETED,
            WebhookEvent::Failed { .. } => EVENT_FAILED,
            WebhookEvent::Cancelled { .. } => EVENT_CANCELLED,
        }
    }

    pub fn job_id(&self) -> &str {
        match self {
            WebhookEvent::Started { job_id, .. }
            | WebhookEvent::Completed { job_id, .. }
            | WebhookEvent::Failed { job_id, .. }
            | WebhookEvent::Cancelled { job_id } => job_id,
        }
    }

    /// A job's own `webhook_url` hears only how the job ended (completed or failed).
    pub fn notifies_job_webhook_url(&self) -> bool {
        matches!(self, WebhookEvent::Completed { .. } | WebhookEvent::Failed { .. })
    }

    /// The `data` of the event's body.
    pub fn data(&self) -> serde_json::Value {
        match self {
            WebhookEvent::Started { job_id, experiment_id } => {
                serde_json::json!({"job_id": job_id, "experiment_id": experiment_id})
            }
            WebhookEvent::Completed {
                job_id,
                personas_count,
                experiment_id,
                run_id,
                output_path,
            } => serde_json::json!({
                "job_id": job_id,
                "personas_count": personas_count,
                "experiment_id": experiment_id,
                "run_id": run_id,
                "output_path": output_path,
            }),
            WebhookEvent::Failed { job_id, error } => serde_json::json!({"job_id": job_id, "error": error}),
            WebhookEvent::Cancelled { job_id } => serde_json::json!({"job_id": job_id}),
        }
    }
}

/// The body every delivery sends: `{"event", "timestamp", "data"}`, serialised once.
pub fn payload(event: &str, timestamp: &str, data: serde_json::Value) -> String {
    #[derive(Serialize)]
    struct Body<'a> {
        event: &'a str,
        timestamp: &'a str,
        data: serde_json::Value,
    }
    serde_json::to_string(&Body { event, timestamp, data }).expect("a JSON value always serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_names(err: Error) -> Vec<String> {
        match err {
            Error::Validation { fields, .. } => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn the_body_is_checked_field_by_field() {
        let ok = NewWebhook::read(
            serde_json::json!({"url": "https://example.com/h", "events": ["generation.started"], "secret": "s"}),
            false,
        )
        .unwrap();
        assert_eq!(ok.events, ["generation.started"]);
        let err = NewWebhook::read(
            serde_json::json!({"url": 5, "events": "all", "secret": 1, "evnts": []}),
            false,
        )
        .unwrap_err();
        assert_eq!(field_names(err), ["evnts", "url", "events", "secret"]);
        assert_eq!(
            field_names(NewWebhook::read(serde_json::json!([]), false).unwrap_err()),
            ["body"]
        );
        let err = NewWebhook::read(serde_json::json!({"url": "https://e.com", "events": [1]}), false).unwrap_err();
        assert_eq!(field_names(err), ["events"]);
    }

    #[test]
    fn registration_errors_name_every_bad_field() {
        let Err(Error::Validation { fields, .. }) = NewWebhook::parse(
            Some("ftp://x"),
            Some(vec!["generation.exploded".into()]),
            Some("".into()),
            true,
        ) else {
            panic!("expected a validation error");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["url", "events", "secret"]);
        assert!(fields[1].message.contains("generation.exploded"));
        for bad in ["not a url", "/relative/path", "http://", "mailto:a@b.c"] {
            let err = NewWebhook::parse(Some(bad), None, None, true).unwrap_err();
            assert!(
                matches!(&err, Error::Validation { fields, .. } if fields[0].field == "url"),
                "{bad}: {err:?}"
            );
        }
        let err = NewWebhook::parse(None, Some(vec![]), None, true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "url: is required; events: must name at least one event"
        );
    }

    #[test]
    fn private_targets_are_refused_naming_the_address_unless_allowed() {
        for (url, address) in [
            ("http://127.0.0.1:9000/hook", "127.0.0.1"),
            ("http://10.0.0.8/hook", "10.0.0.8"),
            ("http://169.254.169.254/latest", "169.254.169.254"),
            ("http://[::1]/hook", "::1"),
            ("http://localhost/hook", "localhost"),
        ] {
            let err = NewWebhook::parse(Some(url), None, None, false).unwrap_err();
            assert!(matches!(err, Error::InvalidInput { .. }), "{url}");
            assert!(err.to_string().contains(address), "{url}: {err}");
            NewWebhook::parse(Some(url), None, None, true).unwrap();
        }
        let ok = NewWebhook::parse(Some("https://example.com/hook"), None, None, false).unwrap();
        assert_eq!(ok.events, DEFAULT_EVENTS);
    }
}
