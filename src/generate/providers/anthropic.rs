//! Anthropic Messages API: `POST {ANTHROPIC_BASE_URL}/v1/messages`. It has no JSON mode: the
//! persona schema is the `input_schema` of a tool the model is made to call (`tool_choice`), and
//! the tool call's input is the reply. Without the schema the system prompt asks for JSON only.

use super::http::ApiRequest;
use super::wire::{Conversation, Reply, Role, Target, text_field, usage};
use crate::error::Error;
use reqwest::header::HeaderValue;
use serde_json::json;

pub(crate) const API_VERSION: &str = "2023-06-01";

pub(crate) fn request(target: &Target, conversation: &Conversation) -> Result<ApiRequest, Error> {
    let messages: Vec<serde_json::Value> = conversation
        .turns
        .iter()
        .map(|(role, text)| {
            let role = match role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            json!({"role": role, "content": text})
        })
        .collect();
    let mut headers = target.key_header("x-api-key", "")?;
    headers.insert("anthropic-version", HeaderValue::from_static(API_VERSION));
    let mut body = json!({
        "model": target.model,
        "system": conversation.system,
        "messages": messages,
        "max_tokens": target.max_output_tokens,
        // Anthropic accepts 0–1; the others 0–2.
        "temperature": target.temperature.min(1.0),
    });
    if let Some(schema) = target.schema {
        body["tools"] = json!([{
            "name": super::schema::SCHEMA_NAME,
            "description": "Record the persona written from the excerpts.",
            "input_schema": schema,
        }]);
        body["tool_choice"] = json!({"type": "tool", "name": super::schema::SCHEMA_NAME});
    }
    Ok(ApiRequest {
        url: target.url("/v1/messages")?,
        headers,
        body,
    })
}

pub(crate) fn reply(body: &serde_json::Value) -> Result<Reply, String> {
    let blocks = body
        .get("content")
        .and_then(|c| c.as_array())
        .ok_or("the reply has no content array")?;
    // A forced tool call carries the persona as its input; otherwise the text is the reply.
    let tool_input = blocks
        .iter()
        .find(|b| b.get("type").and_then(|t| t.as_str()) == Some("tool_use"))
        .and_then(|b| b.get("input"));
    let text: String = match tool_input {
        Some(input) => input.to_string(),
        None => blocks
            .iter()
            .filter(|b| b.get("type").and_then(|t| t.as_str()) == Some("text"))
            .filter_map(|b| b.get("text").and_then(|t| t.as_str()))
            .collect(),
    };
    let stop_reason = body.get("stop_reason").and_then(|s| s.as_str());
    if stop_reason == Some("refusal") {
        return Err(match text.trim() {
            "" => "the model refused".to_string(),
            said => format!("the model refused: {said}"),
        });
    }
    let usage_block = body.get("usage");
    Ok(Reply {
        text,
        usage: usage(
            usage_block.and_then(|u| u.get("input_tokens")),
            usage_block.and_then(|u| u.get("output_tokens")),
        ),
        model: text_field(body.get("model")),
        truncated: stop_reason == Some("max_tokens"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use crate::generate::providers::ProviderKind;

    #[test]
    fn requests_put_the_system_prompt_apart_and_send_key_and_version_headers() {
        let key = Secret::new("ak");
        let target = Target {
            kind: ProviderKind::Anthropic,
            base_url: "https://api.anthropic.com",
            model: "claude-x",
            api_key: Some(&key),
            temperature: 0.2,
            max_output_tokens: 500,
            context_tokens: 8192,
            schema: None,
        };
        let request = request(&target, &Conversation::new("sys".into(), "u".into())).unwrap();
        assert_eq!(request.url.as_str(), "https://api.anthropic.com/v1/messages");
        assert_eq!(request.headers["x-api-key"], "ak");
        assert_eq!(request.headers["anthropic-version"], API_VERSION);
        assert_eq!(request.body["system"], "sys");
        assert_eq!(request.body["messages"][0]["role"], "user");
        assert_eq!(request.body["max_tokens"], 500);
        assert!(request.body.get("tools").is_none());
        let schema = super::super::schema::persona_schema();
        let structured = Target {
            schema: Some(&schema),
            ..target.clone()
        };
        let body = super::request(&structured, &Conversation::new("sys".into(), "u".into()))
            .unwrap()
            .body;
        assert_eq!(body["tools"][0]["name"], "persona");
        assert_eq!(body["tools"][0]["input_schema"], schema);
        assert_eq!(body["tool_choice"], json!({"type": "tool", "name": "persona"}));
        let warm = Target {
            temperature: 1.4,
            ..target
        };
        let request = super::request(&warm, &Conversation::new("sys".into(), "u".into())).unwrap();
        assert_eq!(request.body["temperature"], 1.0, "Anthropic accepts at most 1");
    }

    #[test]
    fn refusals_are_reported_as_such() {
        let refused =
            reply(&json!({"content": [{"type": "text", "text": "I can't help with that."}], "stop_reason": "refusal"}));
        assert_eq!(refused.unwrap_err(), "the model refused: I can't help with that.");
        let silent = reply(&json!({"content": [], "stop_reason": "refusal"}));
        assert_eq!(silent.unwrap_err(), "the model refused");
    }

    #[test]
    fn replies_join_text_blocks() {
        let reply = reply(&json!({
            "model": "claude-x-1",
            "content": [{"type": "text", "text": "{\"a\":"}, {"type": "text", "text": "1}"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 7, "output_tokens": 2}
        }))
        .unwrap();
        assert_eq!(reply.text, "{\"a\":1}");
        assert_eq!((reply.usage.input_tokens, reply.usage.output_tokens), (7, 2));
        assert!(!reply.truncated);
        let tool = super::reply(&json!({
            "content": [{"type": "tool_use", "id": "t1", "name": "persona", "input": {"name": "Ana"}}],
            "stop_reason": "tool_use"
        }))
        .unwrap();
        assert_eq!(tool.text, r#"{"name":"Ana"}"#);
    }
}
