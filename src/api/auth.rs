//! Bearer-token authentication, checked in the middleware ([`super::gate`]) so that a 401 comes
//! before any body is read.
//!
//! With a token configured (`--auth-token`, `PERSONA_API_AUTH_TOKEN`, `auth.token`), writes
//! (POST, PUT, PATCH, DELETE) need `Authorization: Bearer <token>`; reads need it too when
//! `auth.protect_reads` is set. The root, health, documentation and OpenAPI paths are always open.
//! Tokens are compared in constant time.

use super::error::ApiError;
use super::state::LiveSettings;
use actix_web::dev::ServiceRequest;
use actix_web::http::{Method, header};
use actix_web::{HttpResponse, ResponseError};
use subtle::ConstantTimeEq;

/// Paths served to everyone, whatever the settings (the workspace's shells and assets hold no data).
fn is_open_path(path: &str) -> bool {
    matches!(path, "/" | "/openapi.json" | "/redoc" | "/docs")
        || super::probes::is_probe_path(path)
        || path.starts_with("/docs/")
        || path.starts_with("/redoc/")
        || crate::api::ui::is_public_path(path)
}

fn is_write(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

/// Whether a request must carry the token under these settings.
pub fn needs_token(live: &LiveSettings, method: &Method, path: &str) -> bool {
    live.token.is_some()
        && *method != Method::OPTIONS
        && !is_open_path(path)
        && (is_write(method) || live.protect_reads)
}

/// Whether the `Authorization` header carries the configured token.
pub fn presents_token(live: &LiveSettings, authorization: Option<&str>) -> bool {
    let (Some(expected), Some(value)) = (live.token.as_ref(), authorization) else {
        return false;
    };
    let Some((scheme, given)) = value.trim().split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && bool::from(given.trim().as_bytes().ct_eq(expected.expose().as_bytes()))
}

/// The 401 answer for a request that needs the token and does not present it (see
/// [`super::gate`]); `None` when the request may go on.
pub fn refusal(req: &ServiceRequest, live: &LiveSettings) -> Option<HttpResponse> {
    if !needs_token(live, req.method(), req.path()) {
        return None;
    }
    let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if presents_token(live, authorization) {
        return None;
    }
    let message = if authorization.is_some() {
        "invalid bearer token"
    } else {
        "authentication required: send Authorization: Bearer <token>"
    };
    Some(ApiError::unauthorised(message).error_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Secret, Settings};

    fn live(token: Option<&str>, protect_reads: bool) -> LiveSettings {
        let mut settings = Settings::default();
        settings.auth.token = token.map(Secret::new);
        settings.auth.protect_reads = protect_reads;
        LiveSettings::from_settings(&settings)
    }

    #[test]
    fn writes_need_the_token_reads_only_when_protected() {
        let open = live(None, true);
        assert!(!needs_token(&open, &Method::POST, "/api/v1/generate"));
        let writes = live(Some("t"), false);
        assert!(needs_token(&writes, &Method::POST, "/api/v1/generate"));
        assert!(needs_token(&writes, &Method::DELETE, "/api/v1/generate/job-1"));
        assert!(!needs_token(&writes, &Method::GET, "/api/v1/generate"));
        assert!(!needs_token(&writes, &Method::OPTIONS, "/api/v1/generate"));
        let reads = live(Some("t"), true);
        assert!(needs_token(&reads, &Method::GET, "/api/v1/generate"));
        for open_path in [
            "/",
            "/api/v1/health",
            "/api/v1/health/ready",
            "/health",
            "/health/ready",
            "/docs/",
            "/redoc",
            "/openapi.json",
        ] {
            assert!(!needs_token(&reads, &Method::GET, open_path), "{open_path}");
        }
    }

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let settings = live(Some("secret123"), false);
        assert!(presents_token(&settings, Some("Bearer secret123")));
        assert!(presents_token(&settings, Some("bearer secret123")));
        assert!(!presents_token(&settings, Some("Bearer secret12")));
        assert!(!presents_token(&settings, Some("Bearer secret1234")));
        assert!(!presents_token(&settings, Some("Basic secret123")));
        assert!(!presents_token(&settings, Some("secret123")));
        assert!(!presents_token(&settings, None));
    }
}
