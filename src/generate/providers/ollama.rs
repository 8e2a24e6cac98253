//! Ollama: `POST {OLLAMA_BASE_URL}/api/chat` with `stream: false`, `format: <the persona
//! schema>` (`"json"` once a server refuses a schema) and a context window (`num_ctx`) large
//! enough for the prompt.

use super::http::ApiRequest;
use super::wire::{Conversation, Reply, Role, Target, text_field, usage};
use crate::error::Error;
use serde_json::json;

pub(crate) fn request(target: &Target, conversation: &Conversation) -> Result<ApiRequest, Error> {
    let mut messages = vec![json!({"role": "system", "content": conversation.system})];
    messages.extend(conversation.turns.iter().map(|(role, text)| {
        let role = match role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        json!({"role": role, "content": text})
    }));
    Ok(ApiRequest {
        url: target.url("/api/chat")?,
        // Ollama has no key; a key-checking proxy in front of it is configured outside persona.
        headers: Default::default(),
        body: json!({
            "model": target.model,
            "messages": messages,
            "stream": false,
            "format": target.schema.cloned().unwrap_or_else(|| json!("json")),
            "options": {
                "temperature": target.temperature,
                "num_predict": target.max_output_tokens,
                "num_ctx": target.context_tokens,
            },
        }),
    })
}

pub(crate) fn reply(body: &serde_json::Value) -> Result<Reply, String> {
    let message = body.get("message").ok_or("the reply has no message")?;
    Ok(Reply {
        text: text_field(message.get("content")).unwrap_or_default(),
        usage: usage(body.get("prompt_eval_count"), body.get("eval_count")),
        model: text_field(body.get("model")),
        truncated: body.get("done_reason").and_then(|r| r.as_str()) == Some("length"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::providers::ProviderKind;

    #[test]
    fn requests_do_not_stream_and_ask_for_json() {
        let target = Target {
            kind: ProviderKind::Ollama,
            base_url: "http://localhost:11434",
            model: "llama3.1",
            api_key: None,
            temperature: 0.4,
            max_output_tokens: 64,
            context_tokens: 8192,
            schema: None,
        };
        let request = request(&target, &Conversation::new("s".into(), "u".into())).unwrap();
        assert_eq!(request.url.as_str(), "http://localhost:11434/api/chat");
        assert!(request.headers.is_empty());
        assert_eq!(request.body["stream"], false);
        assert_eq!(request.body["format"], "json");
        assert_eq!(request.body["options"]["num_predict"], 64);
        assert_eq!(request.body["options"]["num_ctx"], 8192);
        let schema = super::super::schema::persona_schema();
        let structured = Target {
            schema: Some(&schema),
            ..target.clone()
        };
        let sent = super::request(&structured, &Conversation::new("s".into(), "u".into())).unwrap();
        assert_eq!(sent.body["format"], schema);
        assert_eq!(super::super::wire::context_tokens(6000, 4096), 17_408);
        assert_eq!(super::super::wire::context_tokens(1_000_000, 4096), 131_072);
        let reply = reply(&json!({"model": "llama3.1", "message": {"content": "{}"}, "prompt_eval_count": 5, "eval_count": 2, "done_reason": "stop"})).unwrap();
        assert_eq!(
            (reply.text.as_str(), reply.usage.input_tokens, reply.usage.output_tokens),
            ("{}", 5, 2)
        );
    }
}
