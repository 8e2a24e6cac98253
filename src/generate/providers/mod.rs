//! Generation providers: `local` (offline, deterministic) and the LLM providers
//! (OpenAI-compatible, Anthropic, Gemini, Ollama).

mod anthropic;
mod context;
mod gemini;
mod grounding;
mod http;
pub mod kind;
mod ollama;
mod openai;
mod parse;
mod prompt;
mod schema;
mod status;
mod synthesize;
mod wire;

pub use kind::{LOCAL_MODEL, ProviderKind, resolve};
pub use schema::{gemini_schema, persona_schema};
pub use status::{ProviderStatus, provider_statuses};
pub use synthesize::{
    FALLBACK_PROVIDER, FallbackMode, SynthesisFailure, fallback_mode, fallback_option, synthesize, synthesize_run,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Secret, Settings};

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
