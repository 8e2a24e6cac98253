//! Generation providers: `local` (offline, deterministic) and the LLM providers
//! (OpenAI-compatible, Anthropic, Gemini, Ollama).

mod anthropic;
mod context;
mod gemini;
mod grounding;
mod http;
mod ollama;
mod openai;
mod parse;
mod prompt;
mod schema;
mod synthesize;
mod wire;

pub use schema::{gemini_schema, persona_schema};
pub use synthesize::{
    FALLBACK_PROVIDER, FallbackMode, SynthesisFailure, fallback_mode, fallback_option, synthesize, synthesize_run,
};

use crate::config::{ProviderSettings, Settings};
use crate::error::Error;
use serde::Serialize;

/// Every provider the service knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    Local,
    OpenAi,
    Anthropic,
    Gemini,
    Ollama,
}

/// Model name reported by the `local` provider.
pub const LOCAL_MODEL: &str = "local-v1";

impl ProviderKind {
    pub const ALL: [ProviderKind; 5] = [
        ProviderKind::Local,
        ProviderKind::OpenAi,
        ProviderKind::Anthropic,
        ProviderKind::Gemini,
        ProviderKind::Ollama,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Local => "local",
            ProviderKind::OpenAi => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Ollama => "ollama",
        }
    }

    /// Parses a provider name (case-insensitive; `google` is an alias of `gemini`).
    pub fn parse(name: &str) -> Option<ProviderKind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "local" => Some(ProviderKind::Local),
            "openai" => Some(ProviderKind::OpenAi),
            "anthropic" => Some(ProviderKind::Anthropic),
            "gemini" | "google" => Some(ProviderKind::Gemini),
            "ollama" => Some(ProviderKind::Ollama),
            _ => None,
        }
    }

    /// The environment variable that holds this provider's API key, if it needs one.
    pub fn key_variable(self) -> Option<&'static str> {
        match self {
            ProviderKind::OpenAi => Some("OPENAI_API_KEY"),
            ProviderKind::Anthropic => Some("ANTHROPIC_API_KEY"),
            ProviderKind::Gemini => Some("GEMINI_API_KEY"),
            ProviderKind::Local | ProviderKind::Ollama => None,
        }
    }

    /// The variable(s) to set or check for this provider's key, as told to the user.
    pub fn missing_key_description(self) -> String {
        match self {
            ProviderKind::Gemini => "GEMINI_API_KEY or GOOGLE_API_KEY".to_string(),
            _ => self.key_variable().unwrap_or("no key").to_string(),
        }
    }

    /// The base-URL environment variable of this provider.
    pub fn base_url_variable(self) -> Option<&'static str> {
        match self {
            ProviderKind::OpenAi => Some("OPENAI_BASE_URL"),
            ProviderKind::Anthropic => Some("ANTHROPIC_BASE_URL"),
            ProviderKind::Gemini => Some("GEMINI_BASE_URL"),
            ProviderKind::Ollama => Some("OLLAMA_BASE_URL"),
            ProviderKind::Local => None,
        }
    }

    pub fn settings(self, settings: &Settings) -> Option<&ProviderSettings> {
        match self {
            ProviderKind::Local => None,
            ProviderKind::OpenAi => Some(&settings.providers.openai),
            ProviderKind::Anthropic => Some(&settings.providers.anthropic),
            ProviderKind::Gemini => Some(&settings.providers.gemini),
            ProviderKind::Ollama => Some(&settings.providers.ollama),
        }
    }

    /// The model used when a request names none.
    pub fn default_model(self, settings: &Settings) -> String {
        match self.settings(settings) {
            None => LOCAL_MODEL.to_string(),
            Some(p) => p.model.clone(),
        }
    }

    /// Whether the provider can be used with these settings: `local` always; keyed providers
    /// when their key is set; Ollama when it has a base URL (it needs no key).
    pub fn is_configured(self, settings: &Settings) -> bool {
        self.missing_configuration(settings).is_none()
    }

    /// What is missing for this provider to be usable, named for the user.
    pub fn missing_configuration(self, settings: &Settings) -> Option<String> {
        let provider = self.settings(settings)?;
        if provider.base_url.trim().is_empty() {
            return Some(format!("{} (base URL)", self.base_url_variable().unwrap_or("base_url")));
        }
        match self.key_variable() {
            Some(_) if provider.api_key.as_ref().is_none_or(|k| k.expose().is_empty()) => {
                Some(self.missing_key_description())
            }
            _ => None,
        }
    }
}

/// Resolves a requested provider name into a usable provider, or a 400-class error naming
/// what is unknown or missing.
pub fn resolve(name: &str, settings: &Settings) -> Result<ProviderKind, Error> {
    let kind = ProviderKind::parse(name).ok_or_else(|| Error::InvalidInput {
        message: format!(
            "unknown provider {name:?}; known providers: {}",
            ProviderKind::ALL
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        details: serde_json::json!({"field": "provider", "provider": name}),
    })?;
    if let Some(missing) = kind.missing_configuration(settings) {
        return Err(Error::InvalidInput {
            message: format!("provider {} is not configured: set {missing}", kind.name()),
            details: serde_json::json!({"field": "provider", "provider": kind.name(), "missing": missing}),
        });
    }
    Ok(kind)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn local_is_always_configured_and_keyed_providers_need_keys() {
        let mut s = Settings::default();
        assert_eq!(resolve("local", &s).unwrap(), ProviderKind::Local);
        assert!(resolve("ollama", &s).is_ok());
        let err = resolve("openai", &s).unwrap_err().to_string();
        assert!(err.contains("OPENAI_API_KEY"), "{err}");
        assert!(
            resolve("gemini", &s)
                .unwrap_err()
                .to_string()
                .contains("GOOGLE_API_KEY")
        );
        s.providers.openai.api_key = Some(Secret::new("k"));
        assert_eq!(resolve("OpenAI", &s).unwrap(), ProviderKind::OpenAi);
        assert!(
            resolve("cohere", &s)
                .unwrap_err()
                .to_string()
                .contains("unknown provider")
        );
        assert_eq!(ProviderKind::parse("google"), Some(ProviderKind::Gemini));
        assert_eq!(ProviderKind::Local.default_model(&s), LOCAL_MODEL);
    }

    #[test]
    fn statuses_list_every_provider_without_keys() {
        let mut s = Settings::default();
        s.providers.anthropic.api_key = Some(Secret::new("sk-ant-secret"));
        s.providers.ollama.base_url = "http://user:pw@gpu-box:11434/".into();
        let statuses = provider_statuses(&s);
        let names: Vec<&str> = statuses.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["local", "openai", "anthropic", "gemini", "ollama"]);
        assert!(statuses[0].configured && statuses[0].base_url.is_none());
        assert_eq!(statuses[0].default_model, LOCAL_MODEL);
        assert!(!statuses[1].configured);
        assert_eq!(statuses[1].missing.as_deref(), Some("OPENAI_API_KEY"));
        assert_eq!(statuses[1].base_url.as_deref(), Some("https://api.openai.com/v1"));
        assert!(statuses[2].configured && statuses[2].missing.is_none());
        assert_eq!(statuses[3].missing.as_deref(), Some("GEMINI_API_KEY or GOOGLE_API_KEY"));
        assert_eq!(statuses[4].base_url.as_deref(), Some("http://gpu-box:11434"));
        let json = serde_json::to_string(&statuses).unwrap();
        assert!(!json.contains("sk-ant-secret") && !json.contains("pw@"), "{json}");
    }
}
