//! Google Gemini: `POST {GEMINI_BASE_URL}/v1beta/models/{model}:generateContent`, key in the
//! `x-goog-api-key` header (never in the query string), the reply constrained by
//! `generationConfig.responseSchema` with `responseMimeType: application/json`.

use super::http::ApiRequest;
use super::wire::{Conversation, Reply, Role, Target, text_field, usage};
use crate::error::Error;
use serde_json::json;

pub(crate) fn request(target: &Target, conversation: &Conversation) -> Result<ApiRequest, Error> {
    let mut url = target.url("/v1beta/models")?;
    // The model name comes from the request; pushing it as a segment percent-encodes `/`, `?`
    // and `#` so that it cannot change the path or add a query.
    url.path_segments_mut()
        .map_err(|_| Error::Provider {
            provider: target.kind.name().to_string(),
            message: "invalid base URL for gemini (GEMINI_BASE_URL): it cannot have a path".to_string(),
        })?
        // Google lists models as `models/<name>`; either spelling works.
        .push(&format!(
            "{}:generateContent",
            target.model.strip_prefix("models/").unwrap_or(target.model)
        ));
    let contents: Vec<serde_json::Value> = conversation
        .turns
        .iter()
        .map(|(role, text)| {
            let role = match role {
                Role::User => "user",
                Role::Assistant => "model",
            };
            json!({"role": role, "parts": [{"text": text}]})
        })
        .collect();
    let mut body = json!({
        "systemInstruction": {"parts": [{"text": conversation.system}]},
        "contents": contents,
        "generationConfig": {
            "temperature": target.temperature,
            "maxOutputTokens": target.max_output_tokens,
            "responseMimeType": "application/json",
        },
    });
    if target.schema.is_some() {
        // Gemini's responseSchema is an OpenAPI subset: the same schema less what it refuses.
        body["generationConfig"]["responseSchema"] = super::schema::gemini_schema();
    }
    Ok(ApiRequest {
        url,
        headers: target.key_header("x-goog-api-key", "")?,
        body,
    })
}

pub(crate) fn reply(body: &serde_json::Value) -> Result<Reply, String> {
    let candidate = body.get("candidates").and_then(|c| c.get(0));
    let Some(candidate) = candidate else {
        return Err(
            match body
                .get("promptFeedback")
                .and_then(|f| f.get("blockReason"))
                .and_then(|r| r.as_str())
            {
                Some(reason) => format!("the prompt was blocked ({reason})"),
                None => "the reply has no candidates".to_string(),
            },
        );
    };
    let finish = candidate.get("finishReason").and_then(|f| f.as_str()).unwrap_or("STOP");
    let text: String = candidate
        .get("content")
        .and_then(|c| c.get("parts"))
        .and_then(|p| p.as_array())
        .map(|parts| {
            parts
                .iter()
                // Thinking models may return their thoughts as parts marked `thought`.
                .filter(|p| p.get("thought").and_then(|t| t.as_bool()) != Some(true))
                .filter_map(|p| p.get("text").and_then(|t| t.as_str()))
                .collect()
        })
        .unwrap_or_default();
    if text.is_empty()
        && matches!(
            finish,
            "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII"
        )
    {
        return Err(format!("the answer was withheld (finishReason {finish})"));
    }
    let meta = body.get("usageMetadata");
    let count = |field: &str| meta.and_then(|m| m.get(field)).and_then(|v| v.as_u64()).unwrap_or(0);
    // Thinking tokens are billed as output but counted apart from the candidates.
    let output = serde_json::Value::from(count("candidatesTokenCount") + count("thoughtsTokenCount"));
    Ok(Reply {
        text,
        usage: usage(meta.and_then(|m| m.get("promptTokenCount")), Some(&output)),
        model: text_field(body.get("modelVersion")),
        truncated: finish == "MAX_TOKENS",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use crate::generate::providers::ProviderKind;

    fn target<'a>(key: &'a Secret, model: &'a str) -> Target<'a> {
        Target {
            kind: ProviderKind::Gemini,
            base_url: "https://generativelanguage.googleapis.com",
            model,
            api_key: Some(key),
            temperature: 0.3,
            max_output_tokens: 100,
            context_tokens: 8192,
            schema: None,
        }
    }

    #[test]
    fn the_key_goes_in_a_header_and_the_model_cannot_escape_its_path_segment() {
        let key = Secret::new("gk");
        let conversation = Conversation::new("sys".into(), "u".into());
        let sent = request(&target(&key, "gemini-2.5-flash"), &conversation).unwrap();
        assert_eq!(
            sent.url.as_str(),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
        );
        assert!(sent.url.query().is_none());
        assert_eq!(sent.headers["x-goog-api-key"], "gk");
        assert_eq!(sent.body["generationConfig"]["responseMimeType"], "application/json");
        assert!(sent.body["generationConfig"].get("responseSchema").is_none());
        let schema = super::super::schema::persona_schema();
        let structured = Target {
            schema: Some(&schema),
            ..target(&key, "gemini-2.5-flash")
        };
        let body = request(&structured, &conversation).unwrap().body;
        assert_eq!(
            body["generationConfig"]["responseSchema"],
            super::super::schema::gemini_schema()
        );
        assert_eq!(sent.body["systemInstruction"]["parts"][0]["text"], "sys");
        let listed = request(&target(&key, "models/gemini-2.5-flash"), &conversation).unwrap();
        assert_eq!(listed.url, sent.url);
        let sneaky = request(&target(&key, "../x?key=1"), &conversation).unwrap();
        assert!(sneaky.url.query().is_none(), "{}", sneaky.url);
        assert!(sneaky.url.path().starts_with("/v1beta/models/"), "{}", sneaky.url);
    }

    #[test]
    fn replies_and_blocked_prompts() {
        let reply = reply(&json!({
            "candidates": [{"content": {"parts": [{"text": "planning…", "thought": true}, {"text": "{}"}], "role": "model"}, "finishReason": "MAX_TOKENS"}],
            "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 4, "thoughtsTokenCount": 30},
            "modelVersion": "gemini-x-001"
        }))
        .unwrap();
        assert_eq!(reply.text, "{}");
        assert_eq!((reply.usage.input_tokens, reply.usage.output_tokens), (9, 34));
        assert!(reply.truncated);
        assert_eq!(reply.model.as_deref(), Some("gemini-x-001"));
        let blocked = super::reply(&json!({"promptFeedback": {"blockReason": "SAFETY"}})).unwrap_err();
        assert!(blocked.contains("SAFETY"), "{blocked}");
    }
}
