//! CORS from the live settings (`cors.origins`; `*` allows any origin), so that `--reload` can
//! change the origins without a restart (applied in [`super::gate`]). Preflight requests (`OPTIONS` with `Origin` and
//! `Access-Control-Request-Method`) are answered here with 204, before authentication and rate
//! limiting; other responses to an allowed origin carry `Access-Control-Allow-Origin` and expose
//! the headers clients need.

use super::state::LiveSettings;
use actix_web::HttpResponse;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};

const ALLOWED_METHODS: &str = "GET, POST, DELETE, OPTIONS";
const DEFAULT_ALLOWED_HEADERS: &str = "Authorization, Content-Type, Last-Event-ID";
const EXPOSED_HEADERS: &str = "X-Total-Count, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, Location, WWW-Authenticate";
/// How long browsers may cache a preflight answer, in seconds.
const MAX_AGE_SECONDS: &str = "600";

/// The `Access-Control-Allow-Origin` value for `origin`, or `None` when it is not allowed.
pub fn allowed_origin(origins: &[String], origin: &str) -> Option<HeaderValue> {
    if origins.iter().any(|o| o == "*") {
        return Some(HeaderValue::from_static("*"));
    }
    origins
        .iter()
        .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin))
        .then(|| HeaderValue::from_str(origin).ok())
        .flatten()
}

fn add_origin(headers: &mut HeaderMap, allow: HeaderValue) {
    if allow != "*" {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
}

/// What CORS makes of a request (see [`super::gate`]).
pub enum CorsCheck {
    /// A preflight, answered here.
    Preflight(HttpResponse),
    /// Any other request: the `Access-Control-Allow-Origin` its response gets, if any (none
    /// without an `Origin` header or for an origin not allowed).
    Pass(Option<HeaderValue>),
}

pub fn check(req: &ServiceRequest, live: &LiveSettings) -> CorsCheck {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return CorsCheck::Pass(None);
    };
    let allow = allowed_origin(&live.cors_origins, origin);
    let is_preflight =
        req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if !is_preflight {
        return CorsCheck::Pass(allow);
    }
    let mut response = HttpResponse::new(StatusCode::NO_CONTENT);
    // A disallowed origin gets a preflight answer without CORS headers: the browser refuses.
    if let Some(allow) = allow {
        let requested_headers = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned()
            .unwrap_or(HeaderValue::from_static(DEFAULT_ALLOWED_HEADERS));
        let headers = response.headers_mut();
        add_origin(headers, allow);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested_headers);
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE_SECONDS),
        );
    }
    CorsCheck::Preflight(response)
}

/// The CORS headers of a response to an allowed origin.
pub fn add_response_headers(headers: &mut HeaderMap, allow: HeaderValue) {
    add_origin(headers, allow);
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED_HEADERS),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_exactly_or_by_wildcard() {
        let any = vec!["*".to_string()];
        assert_eq!(allowed_origin(&any, "https://a.example").unwrap(), "*");
        let listed = vec!["https://a.example".to_string(), "https://b.example/".to_string()];
        assert_eq!(
            allowed_origin(&listed, "https://a.example").unwrap(),
            "https://a.example"
        );
        assert!(allowed_origin(&listed, "https://b.example").is_some());
        assert!(allowed_origin(&listed, "https://evil.example").is_none());
        assert!(allowed_origin(&[], "https://a.example").is_none());
    }
}
