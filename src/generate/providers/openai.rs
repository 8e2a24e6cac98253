//! OpenAI Chat Completions, spoken by OpenAI and by OpenAI-compatible servers (vLLM, LM Studio,
//! llama.cpp): `POST {OPENAI_BASE_URL}/chat/completions`, the reply constrained by
//! `response_format: {"type": "json_schema", …}` (JSON mode once a server refuses the schema).

use super::http::ApiRequest;
use super::wire::{Conversation, Reply, Role, Target, text_field, usage};
use crate::error::Error;
use serde_json::json;

/// Request variations some models insist on, learnt from their 400 replies (no model list).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Quirks {
    /// Reasoning models refuse `max_tokens` and want `max_completion_tokens`.
    pub max_completion_tokens: bool,
    /// Some models accept only the default temperature.
    pub omit_temperature: bool,
    /// Some compatible servers do not know `response_format`.
    pub omit_response_format: bool,
}

impl Quirks {
    /// The quirks after a 400 whose message says which parameter the model refuses, or `None`
    /// when the message names nothing we can change.
    pub fn adjusted_for(self, message: &str) -> Option<Quirks> {
        let text = message.to_ascii_lowercase();
        let mut next = self;
        if text.contains("max_completion_tokens") {
            next.max_completion_tokens = true;
        } else if text.contains("temperature") && !self.omit_temperature {
            next.omit_temperature = true;
        } else if text.contains("response_format") && !self.omit_response_format {
            next.omit_response_format = true;
        }
        (next != self).then_some(next)
    }
}

pub(crate) fn request(target: &Target, conversation: &Conversation, quirks: Quirks) -> Result<ApiRequest, Error> {
    let mut messages = vec![json!({"role": "system", "content": conversation.system})];
    messages.extend(conversation.turns.iter().map(|(role, text)| {
        let role = match role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        json!({"role": role, "content": text})
    }));
    let mut body = json!({"model": target.model, "messages": messages});
    let limit_key = if quirks.max_completion_tokens {
        "max_completion_tokens"
    } else {
        "max_tokens"
    };
    body[limit_key] = json!(target.max_output_tokens);
    if !quirks.omit_temperature {
        body["temperature"] = json!(target.temperature);
    }
    if !quirks.omit_response_format {
        body["response_format"] = match target.schema {
            // Structured outputs: the decoder can neither leave out a field nor change a type.
            Some(schema) => json!({
                "type": "json_schema",
                "json_schema": {"name": super::schema::SCHEMA_NAME, "strict": true, "schema": schema},
            }),
            None => json!({"type": "json_object"}),
        };
    }
    Ok(ApiRequest {
        url: target.url("/chat/completions")?,
        headers: target.key_header("authorization", "Bearer ")?,
        body,
    })
}

pub(crate) fn reply(body: &serde_json::Value) -> Result<Reply, String> {
    let choice = body
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or("the reply has no choices[0]")?;
    let message = choice.get("message").ok_or("choices[0] has no message")?;
    let text = text_field(message.get("content")).unwrap_or_default();
    if text.is_empty()
        && let Some(refusal) = text_field(message.get("refusal"))
    {
        return Err(format!("the model refused: {refusal}"));
    }
    let usage_block = body.get("usage");
    Ok(Reply {
        text,
        usage: usage(
            usage_block.and_then(|u| u.get("prompt_tokens")),
            usage_block.and_then(|u| u.get("completion_tokens")),
        ),
        model: text_field(body.get("model")),
        truncated: choice.get("finish_reason").and_then(|f| f.as_str()) == Some("length"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use crate::generate::providers::ProviderKind;

    fn target(key: &Secret) -> Target<'_> {
        Target {
            kind: ProviderKind::OpenAi,
            base_url: "http://127.0.0.1:9/v1/",
            model: "gpt-x",
            api_key: Some(key),
            temperature: 0.4,
            max_output_tokens: 900,
            context_tokens: 8192,
            schema: None,
        }
    }

    #[test]
    fn requests_carry_system_and_turns_json_mode_and_a_bearer_key() {
        let key = Secret::new("sk-1");
        let mut conversation = Conversation::new("sys".into(), "hello".into());
        conversation.push_exchange("bad".into(), "fix it".into());
        let request = request(&target(&key), &conversation, Quirks::default()).unwrap();
        assert_eq!(request.url.as_str(), "http://127.0.0.1:9/v1/chat/completions");
        assert_eq!(request.headers["authorization"], "Bearer sk-1");
        assert!(request.headers["authorization"].is_sensitive());
        let roles: Vec<&str> = request.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
        assert_eq!(request.body["max_tokens"], 900);
        assert_eq!(request.body["response_format"]["type"], "json_object");
        let schema = super::super::schema::persona_schema();
        let structured = Target {
            schema: Some(&schema),
            ..target(&key)
        };
        let body = super::request(&structured, &conversation, Quirks::default())
            .unwrap()
            .body;
        assert_eq!(
            body["response_format"],
            json!({"type": "json_schema", "json_schema": {"name": "persona", "strict": true, "schema": schema}})
        );
    }

    #[test]
    fn refused_parameters_are_adjusted_one_at_a_time() {
        let quirks = Quirks::default()
            .adjusted_for("Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.")
            .unwrap();
        assert!(quirks.max_completion_tokens);
        let quirks = quirks
            .adjusted_for("Unsupported value: 'temperature' does not support 0.4 with this model.")
            .unwrap();
        assert!(quirks.omit_temperature);
        assert_eq!(quirks.adjusted_for("temperature again"), None);
        assert_eq!(Quirks::default().adjusted_for("something else"), None);
        let key = Secret::new("k");
        let body = request(&target(&key), &Conversation::new("s".into(), "u".into()), quirks)
            .unwrap()
            .body;
        assert_eq!(body["max_completion_tokens"], 900);
        assert!(body.get("max_tokens").is_none() && body.get("temperature").is_none());
    }

    #[test]
    fn replies_yield_text_usage_model_and_truncation() {
        let reply = reply(&json!({
            "model": "gpt-x-2025",
            "choices": [{"message": {"role": "assistant", "content": "{}"}, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3}
        }))
        .unwrap();
        assert_eq!(reply.text, "{}");
        assert_eq!(
            (
                reply.usage.input_tokens,
                reply.usage.output_tokens,
                reply.usage.requests
            ),
            (12, 3, 1)
        );
        assert_eq!(reply.model.as_deref(), Some("gpt-x-2025"));
        assert!(reply.truncated);
        assert!(super::reply(&json!({"choices": []})).is_err());
        let refused =
            super::reply(&json!({"choices": [{"message": {"content": null, "refusal": "I can't help with that."}}]}));
        assert_eq!(refused.unwrap_err(), "the model refused: I can't help with that.");
    }
}
