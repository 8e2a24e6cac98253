//! The error envelope of every non-2xx response:
//! `{"success": false, "error": CODE, "message": "...", "details": {...}}`.
//!
//! [`ApiError`] is what handlers and middleware return; the framework's own rejections (bad JSON,
//! wrong content type, oversized bodies, bad query strings) are turned into it by the handlers
//! installed in [`json_config`] and [`query_config`], unknown routes and wrong methods by
//! [`not_found_or_method_not_allowed`], and [`envelope`] rewrites any remaining error
//! response without the envelope (from a library service) into one.

use crate::error::{Error, FieldError};
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// The error codes of the envelope, each with one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    Unauthorised,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    /// 408: the request body did not arrive within `server.request_timeout_seconds`.
    RequestTimeout,
    /// 431: the request head is over 128 KiB or has more than 96 headers (answered before the
    /// application runs; see `api::protocol_errors`).
    HeadersTooLarge,
    ValidationError,
    /// 422: a conversation script would leak participants' words or identifiers
    /// (`details`: `leakage_score`, `threshold`, `leakages`).
    PrivacyAuditFailed,
    RateLimited,
    InternalError,
    Unavailable,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidInput => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorised => StatusCode::UNAUTHORIZED,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorCode::ValidationError | ErrorCode::PrivacyAuditFailed => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The code for a status produced outside our handlers.
    fn for_status(status: StatusCode) -> ErrorCode {
        match status.as_u16() {
            401 => ErrorCode::Unauthorised,
            404 => ErrorCode::NotFound,
            405 => ErrorCode::MethodNotAllowed,
            408 => ErrorCode::RequestTimeout,
            409 => ErrorCode::Conflict,
            413 => ErrorCode::PayloadTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            422 => ErrorCode::ValidationError,
            429 => ErrorCode::RateLimited,
            431 => ErrorCode::HeadersTooLarge,
            503 => ErrorCode::Unavailable,
            400..=499 => ErrorCode::InvalidInput,
            _ => ErrorCode::InternalError,
        }
    }
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    pub error: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
    /// Machine-readable specifics: `fields` (validation errors), `retry_after` (rate limits),
    /// `checks` (readiness), the offending `field` or value.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// An error response: a code, a message, details and extra headers (boxed: handlers return it
/// in every `Err`, so it stays one pointer wide).
#[derive(Debug, Clone)]
pub struct ApiError(Box<Parts>);

#[derive(Debug, Clone)]
struct Parts {
    code: ErrorCode,
    message: String,
    details: serde_json::Value,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError(Box::new(Parts {
            code,
            message: message.into(),
            details: serde_json::json!({}),
            headers: Vec::new(),
        }))
    }

    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn details(&self) -> &serde_json::Value {
        &self.0.details
    }

    pub fn with_details(mut self, details: serde_json::Value) -> ApiError {
        self.0.details = details;
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: impl fmt::Display) -> ApiError {
        if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
            self.0.headers.push((name, value));
        }
        self
    }

    pub fn invalid_input(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InvalidInput, message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Conflict, message)
    }

    pub fn unauthorised(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Unauthorised, message).with_header(header::WWW_AUTHENTICATE, "Bearer")
    }

    /// 422 naming every bad field: `details.fields = [{field, message}, ...]`.
    pub fn validation(fields: Vec<FieldError>) -> ApiError {
        let message = match fields.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!(
                "{} invalid fields: {}",
                many.len(),
                many.iter().map(|f| f.field.as_str()).collect::<Vec<_>>().join(", ")
            ),
        };
        ApiError::new(ErrorCode::ValidationError, message).with_details(serde_json::json!({ "fields": fields }))
    }

    /// 429 with `Retry-After` and `details.retry_after` (seconds).
    pub fn rate_limited(message: impl Into<String>, retry_after_seconds: u64) -> ApiError {
        ApiError::new(ErrorCode::RateLimited, message)
            .with_details(serde_json::json!({ "retry_after": retry_after_seconds }))
            .with_header(header::RETRY_AFTER, retry_after_seconds)
    }

    pub fn method_not_allowed(allowed: &[&str]) -> ApiError {
        ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("method not allowed; this path accepts {}", allowed.join(", ")),
        )
        .with_details(serde_json::json!({ "allowed": allowed }))
        .with_header(header::ALLOW, allowed.join(", "))
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Unavailable, message)
    }

    /// A 500 that tells the client nothing about the cause (which is logged).
    pub fn internal() -> ApiError {
        ApiError::new(
            ErrorCode::InternalError,
            "internal server error; the details are in the server log",
        )
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            success: false,
            error: self.0.code,
            message: self.0.message.clone(),
            details: self.0.details.clone(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.0.code, self.0.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        for (name, value) in &self.0.headers {
            response.insert_header((name.clone(), value.clone()));
        }
        response.json(self.body())
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e {
            Error::InvalidInput { message, details } => {
                let details = if details.is_object() {
                    details
                } else {
                    serde_json::json!({})
                };
                ApiError::invalid_input(message).with_details(details)
            }
            Error::Validation { fields, .. } => ApiError::validation(fields),
            Error::NotFound { resource, id } => {
                ApiError::not_found(format!("{resource} {id} not found")).with_details(serde_json::json!({ "id": id }))
            }
            Error::Conflict(message) => ApiError::conflict(message),
            Error::PayloadTooLarge(message) => ApiError::new(ErrorCode::PayloadTooLarge, message),
            // A storage fault's message is fixed text naming the fault (no paths): clients learn
            // which one it is.
            Error::Unavailable(message)
                if crate::error::StorageFault::of_error(&Error::Unavailable(message.clone())).is_some() =>
            {
                ApiError::unavailable(message).with_details(serde_json::json!({ "storage_fault": true }))
            }
            Error::Unavailable(message) => {
                log::warn!("service unavailable: {message}");
                ApiError::unavailable("the service is temporarily unavailable; try again shortly")
            }
            Error::Provider { provider, message } => {
                // Provider messages may quote upstream bodies; keep them in the log, not the response.
                log::warn!("provider {provider} failed: {message}");
                ApiError::unavailable(format!(
                    "the {provider} provider could not complete the request; try again shortly"
                ))
                .with_details(serde_json::json!({ "provider": provider }))
            }
            Error::Cancelled => ApiError::conflict("the operation was cancelled"),
            Error::Internal(message) => {
                log::error!("internal error: {message}");
                ApiError::internal()
            }
        }
    }
}

/// JSON bodies: the size limit (413), the content type (415) and syntax errors (400).
pub fn json_config(max_body_bytes: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(max_body_bytes)
        .error_handler(|err, _req| json_error(err).into())
}

fn json_error(err: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { length, limit } => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("request body of {length} bytes exceeds the limit of {limit} bytes"),
        )
        .with_details(serde_json::json!({ "limit": limit })),
        E::Overflow { limit } => ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("request body exceeds the limit of {limit} bytes"),
        )
        .with_details(serde_json::json!({ "limit": limit })),
        E::ContentType => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "request body must be JSON sent with Content-Type: application/json",
        ),
        E::Deserialize(e) => ApiError::invalid_input(format!("request body is not valid JSON: {e}"))
            .with_details(serde_json::json!({ "line": e.line(), "column": e.column() })),
        other => payload_error(other),
    }
}

/// Words every body-deadline error carries, so that handlers reading the payload themselves can
/// answer 408 instead of 400.
pub const BODY_TIMEOUT_MARKER: &str = "server.request_timeout_seconds";

/// Whether a payload error (as text) is the body deadline passing.
pub fn is_body_timeout(error: &impl std::fmt::Display) -> bool {
    error.to_string().contains(BODY_TIMEOUT_MARKER)
}

/// A request body that could not be read: 408 when the body deadline passed, else 400.
pub fn payload_error(error: impl fmt::Display) -> ApiError {
    if is_body_timeout(&error) {
        return ApiError::new(ErrorCode::RequestTimeout, error.to_string());
    }
    ApiError::invalid_input(format!("cannot read the request body: {error}"))
}

/// Query strings that do not parse.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err, _req| ApiError::validation(vec![FieldError::new("query", err.to_string())]).into())
}

/// Path parameters that do not parse.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| ApiError::not_found(format!("no such resource: {err}")).into())
}

/// The methods served on each documented path, for 404 versus 405 answers.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    /// (path template split into segments, allowed methods)
    routes: Vec<(Vec<String>, Vec<&'static str>)>,
}

impl RouteTable {
    /// Built from the OpenAPI document, so that it always matches the routes served.
    pub fn from_openapi(openapi: &utoipa::openapi::OpenApi) -> RouteTable {
        let routes = openapi
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                for (method, present) in [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ] {
                    if present {
                        methods.push(method);
                    }
                }
                (segments(path).map(str::to_string).collect(), methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// Adds a route served outside the OpenAPI document.
    pub fn with_route(mut self, path: &str, methods: &[&'static str]) -> RouteTable {
        self.routes
            .push((segments(path).map(str::to_string).collect(), methods.to_vec()));
        self
    }

    /// Methods allowed on `path`, or `None` when no route matches it.
    pub fn allowed(&self, path: &str) -> Option<Vec<&'static str>> {
        let requested: Vec<&str> = segments(path).collect();
        let mut allowed: Vec<&'static str> = Vec::new();
        let mut matched = false;
        for (template, methods) in &self.routes {
            let fits = template.len() == requested.len()
                && template
                    .iter()
                    .zip(&requested)
                    .all(|(t, r)| (t.starts_with('{') && t.ends_with('}') && !r.is_empty()) || t == r);
            if fits {
                matched = true;
                for method in methods {
                    if !allowed.contains(method) {
                        allowed.push(method);
                    }
                }
            }
        }
        matched.then_some(allowed)
    }
}

/// Path segments after the leading slash; a trailing slash makes an empty last segment, so that
/// `/a/` is not taken for `/a` (routes are matched exactly).
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.strip_prefix('/').unwrap_or(path).split('/')
}

/// The default service: 405 with `Allow` when the path exists with other methods, else 404.
pub async fn not_found_or_method_not_allowed(req: HttpRequest, routes: web::Data<RouteTable>) -> HttpResponse {
    let error = match routes.allowed(req.path()) {
        Some(allowed) if !allowed.is_empty() => ApiError::method_not_allowed(&allowed),
        _ => ApiError::not_found(format!("no route for {} {}", req.method(), req.path()))
            .with_details(serde_json::json!({ "path": req.path() })),
    };
    error.error_response()
}

/// Rewrites an error response without the envelope (from a library service) into one (see
/// [`super::gate`]); any other response is returned as it is.
pub fn envelope(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let code = ErrorCode::for_status(status);
    let message = status.canonical_reason().unwrap_or("error").to_lowercase();
    let (req, old) = response.into_parts();
    let mut replacement = ApiError::new(code, message).error_response();
    *replacement.status_mut() = status;
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH && name != header::CONTENT_ENCODING {
            replacement.headers_mut().insert(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(req, replacement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_status() {
        assert_eq!(ErrorCode::ValidationError.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            ErrorCode::for_status(StatusCode::METHOD_NOT_ALLOWED),
            ErrorCode::MethodNotAllowed
        );
        assert_eq!(ErrorCode::for_status(StatusCode::IM_A_TEAPOT), ErrorCode::InvalidInput);
        assert_eq!(ErrorCode::for_status(StatusCode::BAD_GATEWAY), ErrorCode::InternalError);
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let api: ApiError = Error::Internal("database: disk I/O error at /secret/path".into()).into();
        assert_eq!(api.code(), ErrorCode::InternalError);
        assert!(!api.message().contains("secret"));
    }

    #[test]
    fn privacy_audit_failures_are_422() {
        assert_eq!(ErrorCode::PrivacyAuditFailed.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = serde_json::to_value(ApiError::new(ErrorCode::PrivacyAuditFailed, "leak").body()).unwrap();
        assert_eq!(body["error"], "privacy_audit_failed");
    }

    #[test]
    fn validation_errors_name_each_field() {
        let api = ApiError::validation(vec![
            FieldError::new("count", "must be between 1 and 20"),
            FieldError::new("data", "is required"),
        ]);
        assert_eq!(api.details()["fields"][0]["field"], "count");
        assert!(api.message().contains("count, data"), "{}", api.message());
    }

    #[test]
    fn route_table_tells_404_from_405() {
        let table = RouteTable {
            routes: vec![
                (vec!["api".into(), "v1".into(), "generate".into()], vec!["GET", "POST"]),
                (
                    vec!["api".into(), "v1".into(), "generate".into(), "{job_id}".into()],
                    vec!["GET", "DELETE"],
                ),
            ],
        };
        assert_eq!(table.allowed("/api/v1/generate"), Some(vec!["GET", "POST"]));
        assert_eq!(table.allowed("/api/v1/generate/job-1"), Some(vec!["GET", "DELETE"]));
        assert_eq!(table.allowed("/api/v1/nothing"), None);
        assert_eq!(table.allowed("/api/v1/generate/job-1/x"), None);
        assert_eq!(
            table.allowed("/api/v1/generate/"),
            None,
            "a trailing slash is another path"
        );
    }
}
