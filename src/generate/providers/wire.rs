//! What the four wire formats have in common: the conversation sent, the target it goes to, and
//! the reply read back.

use super::kind::ProviderKind;
use crate::config::Secret;
use crate::error::Error;
use crate::generate::types::TokenUsage;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    User,
    Assistant,
}

/// A system instruction and alternating user/assistant turns, starting with the user.
#[derive(Debug, Clone)]
pub(crate) struct Conversation {
    pub system: String,
    pub turns: Vec<(Role, String)>,
}

impl Conversation {
    pub fn new(system: String, user: String) -> Conversation {
        Conversation {
            system,
            turns: vec![(Role::User, user)],
        }
    }

    /// The model's reply followed by our answer to it.
    pub fn push_exchange(&mut self, assistant: String, user: String) {
        self.turns.push((Role::Assistant, assistant));
        self.turns.push((Role::User, user));
    }
}

/// Where and how a request goes.
#[derive(Debug, Clone)]
pub(crate) struct Target<'a> {
    pub kind: ProviderKind,
    /// Without a trailing slash.
    pub base_url: &'a str,
    pub model: &'a str,
    pub api_key: Option<&'a Secret>,
    pub temperature: f32,
    pub max_output_tokens: u32,
    /// The context window a request needs (prompt, evidence, a retry turn and the answer), for
    /// providers that must be told (Ollama's `num_ctx`, which otherwise truncates at 2–4k).
    pub context_tokens: u32,
    /// The persona reply schema, sent in the provider's structured-output form; `None` once the
    /// server has refused that field.
    pub schema: Option<&'a serde_json::Value>,
}

/// [`Target::context_tokens`] for these settings: the evidence budget, room for the instructions
/// and a retry turn, and two answers, rounded up to 1,024 and capped at 128k.
pub(crate) fn context_tokens(evidence_token_budget: usize, max_output_tokens: u32) -> u32 {
    const INSTRUCTIONS: u64 = 3072;
    let needed = evidence_token_budget as u64 + INSTRUCTIONS + 2 * u64::from(max_output_tokens);
    (needed.div_ceil(1024) * 1024).min(131_072) as u32
}

/// The text of a completion and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub text: String,
    pub usage: TokenUsage,
    /// The model the provider says answered, when it says.
    pub model: Option<String>,
    /// The output stopped at the output-token limit.
    pub truncated: bool,
}

impl Target<'_> {
    /// `base_url` joined with `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> Result<reqwest::Url, Error> {
        let joined = format!("{}{path}", self.base_url.trim_end_matches('/'));
        reqwest::Url::parse(&joined).map_err(|e| Error::Provider {
            provider: self.kind.name().to_string(),
            message: format!(
                "invalid base URL for {} ({}): {e}",
                self.kind.name(),
                self.kind.base_url_variable().unwrap_or("base_url")
            ),
        })
    }

    /// The API key as a header value, marked sensitive so that it is never printed.
    pub fn key_header(&self, name: &'static str, prefix: &str) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::new();
        if let Some(key) = self.api_key {
            let mut value =
                HeaderValue::from_str(&format!("{prefix}{}", key.expose())).map_err(|_| Error::Provider {
                    provider: self.kind.name().to_string(),
                    message: format!(
                        "the API key for {} contains characters that cannot be sent in a header; check {}",
                        self.kind.name(),
                        self.kind.missing_key_description()
                    ),
                })?;
            value.set_sensitive(true);
            headers.insert(HeaderName::from_static(name), value);
        }
        Ok(headers)
    }
}

/// Token counts read from a JSON reply (absent counts are zero; local servers often omit them).
pub(crate) fn usage(input: Option<&serde_json::Value>, output: Option<&serde_json::Value>) -> TokenUsage {
    TokenUsage {
        input_tokens: input.and_then(|v| v.as_u64()).unwrap_or(0),
        output_tokens: output.and_then(|v| v.as_u64()).unwrap_or(0),
        requests: 1,
    }
}

/// A string field of a reply, when present and not empty.
pub(crate) fn text_field(value: Option<&serde_json::Value>) -> Option<String> {
    value
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
