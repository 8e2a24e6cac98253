//! The providers the service knows, and how a requested name resolves to one.

use crate::config::{ProviderSettings, Settings};
use crate::error::Error;

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
