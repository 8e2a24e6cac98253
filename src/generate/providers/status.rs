//! Each provider's configuration state, as `GET /api/v1/providers` lists it.

use super::http;
use super::kind::ProviderKind;
use crate::config::Settings;
use serde::Serialize;

/// One provider as listed by `GET /api/v1/providers`: never a key, only whether one is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProviderStatus {
    /// `local`, `openai`, `anthropic`, `gemini` or `ollama`.
    pub name: String,
    /// Usable with the current settings (keyed providers: their key is set).
    pub configured: bool,
    /// The model used when a request names none.
    pub default_model: String,
    /// Where requests go (LLM providers only).
    pub base_url: Option<String>,
    /// What to set to make the provider usable, when it is not.
    pub missing: Option<String>,
}

/// Every provider with its configuration state, in a fixed order (`local` first).
pub fn provider_statuses(settings: &Settings) -> Vec<ProviderStatus> {
    ProviderKind::ALL
        .iter()
        .map(|&kind| ProviderStatus {
            name: kind.name().to_string(),
            configured: kind.is_configured(settings),
            default_model: kind.default_model(settings),
            base_url: kind.settings(settings).map(|p| {
                reqwest::Url::parse(&p.base_url)
                    .map(|url| http::redacted_url(&url).trim_end_matches('/').to_string())
                    .unwrap_or_else(|_| p.base_url.clone())
            }),
            missing: kind.missing_configuration(settings),
        })
        .collect()
}
