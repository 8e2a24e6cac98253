//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes and the
//! schemas they name. Paths are collected when routes are registered with `.service(...)`; this
//! module adds the document's info, tags, shared schemas and responses, and the bearer security
//! scheme.

use super::error::{ErrorBody, ErrorCode};
use super::responses::{
    BodyTooLarge, DatabaseUnavailable, InternalError, MalformedJson, NotJson, RateLimited, ReadUnauthorised,
    Unauthorised,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Persona API",
        description = "Turns user-research data into evidence-backed user personas. Generation runs as \
            asynchronous jobs: create one with `POST /api/v1/generate`, then poll its `status_url`.\n\n\
            Every error response has the body `{\"success\": false, \"error\": CODE, \"message\": \"...\", \
            \"details\": {...}}`. When the server has a token, write operations need \
            `Authorization: Bearer <token>` (and reads too when `auth.protect_reads` is set). Responses carry \
            `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` while rate limiting is on."
    ),
    tags(
        (name = "meta", description = "About this API"),
        (name = "health", description = "Liveness and readiness"),
        (name = "generation", description = "Persona generation jobs"),
        (name = "experiments", description = "Experiments: named data sources and settings, and the history of their runs"),
        (name = "personas", description = "Stored personas"),
        (name = "datasets", description = "Uploaded research data, usable as `data: \"dataset-…\"`"),
        (name = "webhooks", description = "Signed notifications of job events, and their deliveries"),
        (name = "providers", description = "Generation providers and their configuration"),
        (name = "quality", description = "Quality scores of personas"),
        (name = "scripts", description = "Conversation scripts (character cards) from personas"),
    ),
    components(
        schemas(ErrorBody, ErrorCode),
        responses(
            RateLimited, Unauthorised, ReadUnauthorised, MalformedJson, BodyTooLarge, NotJson, InternalError,
            DatabaseUnavailable
        )
    ),
    modifiers(&BearerScheme)
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme that protected operations name.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The server's API token (`--auth-token`, `PERSONA_API_AUTH_TOKEN`). Required for \
                         writes when a token is configured, and for reads when `auth.protect_reads` is set.",
                    ))
                    .build(),
            ),
        );
    }
}
