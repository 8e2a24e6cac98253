//! Conversation scripts from a stored or inline persona (`POST /api/v1/scripts`), audited for
//! privacy leaks before anything is returned.

use crate::api::error::{ApiError, ErrorBody, ErrorCode};
use crate::api::responses::{DatabaseUnavailable, InternalError, MalformedJson, NotJson, RateLimited, Unauthorised};
use crate::api::state::AppState;
use crate::scripts::{ScriptError, ScriptRequest, ScriptResult};
use crate::util::blocking;
use actix_web::{post, web};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(create);
}

/// Generate a conversation script (a role-play character card) from a persona.
///
/// Give exactly one of `persona_id` and an inline `persona`. `format` is `character_card`
/// (default; JSON, or YAML with `yaml: true`), `system_prompt` or `template`. The card is built by
/// fixed rules and audited against the persona's quotes and evidence excerpts and for
/// identifiers; when its leakage score exceeds `max_leakage_score` (default 0.1) the answer is
/// 422 `privacy_audit_failed` with the findings in `details`, and no script.
#[utoipa::path(
    operation_id = "create_script",
    tag = "scripts",
    request_body(content = ScriptRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The script, its character card and the privacy audit", body = ScriptResult),
        (status = 400, response = MalformedJson),
        (status = 401, response = Unauthorised),
        (status = 404, description = "No such persona", body = ErrorBody),
        (status = 413, description = "Request body too large, or the script would pass \
            `server.max_script_bytes`", body = ErrorBody),
        (status = 415, response = NotJson),
        (status = 422, description = "`validation_error` (`details.fields` names the field: format, yaml, \
            max_leakage_score, template, persona, persona_id) or `privacy_audit_failed` (`details`: \
            `leakage_score`, `threshold`, `leakages`)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/scripts")]
pub async fn create(
    state: web::Data<AppState>,
    body: web::Json<serde_json::Value>,
) -> Result<web::Json<ScriptResult>, ApiError> {
    let request = ScriptRequest::parse(body.into_inner())?.validate()?;
    let db = state.db.clone();
    let max_bytes = state.settings.server.max_script_bytes;
    let outcome = blocking(move || crate::service::scripts::generate(&db, request, max_bytes)).await?;
    match outcome {
        Ok(script) => Ok(web::Json(script)),
        Err(ScriptError::Validation(e)) => Err(e.into()),
        Err(ScriptError::PrivacyAuditFailed(audit)) => Err(ApiError::new(
            ErrorCode::PrivacyAuditFailed,
            format!(
                "privacy audit failed: the script's leakage score {:.3} exceeds the threshold {}; \
                 no script was produced",
                audit.leakage_score, audit.threshold
            ),
        )
        .with_details(audit.error_details())),
    }
}
