//! The context window a local server reports, used when `llm.context_tokens` is not set, so
//! that a small model is sent a prompt it can hold without its user knowing the size. Hosted
//! APIs report nothing here and keep the configured budgets.

use super::kind::ProviderKind;
use crate::config::Secret;
use serde_json::Value;
use std::time::Duration;

/// How long a probe may take; a server that is slow to describe itself is not asked again.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The context, in tokens, that the server at `base_url` reports for `model`; `None` when it
/// reports none (or cannot be asked). llama.cpp: `GET /props` (`default_generation_settings.n_ctx`);
/// vLLM: `GET /v1/models` (`max_model_len`); Ollama: `POST /api/show` (`<arch>.context_length`).
pub(crate) async fn reported_context(
    client: &reqwest::Client,
    kind: ProviderKind,
    base_url: &str,
    model: &str,
    api_key: Option<&Secret>,
) -> Option<u32> {
    let base = base_url.trim_end_matches('/');
    let context = match kind {
        ProviderKind::OpenAi => {
            let root = base.strip_suffix("/v1").unwrap_or(base);
            match get_json(client, &format!("{root}/props"), api_key).await {
                Some(props) => llama_cpp_context(&props),
                None => None,
            }
            .or(get_json(client, &format!("{base}/models"), api_key)
                .await
                .and_then(|models| vllm_context(&models, model)))
        }
        ProviderKind::Ollama => {
            let request = client
                .post(format!("{base}/api/show"))
                .timeout(PROBE_TIMEOUT)
                .json(&serde_json::json!({ "model": model }));
            json_of(request.send().await.ok()?)
                .await
                .and_then(|show| ollama_context(&show))
        }
        _ => None,
    };
    context.filter(|&tokens| tokens >= 256)
}

async fn get_json(client: &reqwest::Client, url: &str, api_key: Option<&Secret>) -> Option<Value> {
    let mut request = client.get(url).timeout(PROBE_TIMEOUT);
    if let Some(key) = api_key {
        request = request.bearer_auth(key.expose());
    }
    json_of(request.send().await.ok()?).await
}

async fn json_of(response: reqwest::Response) -> Option<Value> {
    if !response.status().is_success() {
        return None;
    }
    response.json().await.ok()
}

fn as_tokens(value: &Value) -> Option<u32> {
    value.as_u64().and_then(|n| u32::try_from(n).ok())
}

fn llama_cpp_context(props: &Value) -> Option<u32> {
    props
        .pointer("/default_generation_settings/n_ctx")
        .or_else(|| props.get("n_ctx"))
        .and_then(as_tokens)
}

fn vllm_context(models: &Value, model: &str) -> Option<u32> {
    let listed = models.get("data")?.as_array()?;
    let entry = listed
        .iter()
        .find(|m| m.get("id").and_then(Value::as_str) == Some(model))
        .or(if listed.len() == 1 { listed.first() } else { None })?;
    entry.get("max_model_len").and_then(as_tokens)
}

fn ollama_context(show: &Value) -> Option<u32> {
    show.get("model_info")?
        .as_object()?
        .iter()
        .find(|(key, _)| key.ends_with(".context_length"))
        .and_then(|(_, value)| as_tokens(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_servers_own_field_is_read() {
        assert_eq!(
            llama_cpp_context(&json!({"default_generation_settings": {"n_ctx": 4096}})),
            Some(4096)
        );
        assert_eq!(llama_cpp_context(&json!({"n_ctx": 2048})), Some(2048));
        assert_eq!(llama_cpp_context(&json!({"build_info": "b1"})), None);
        let models = json!({"data": [{"id": "a", "max_model_len": 8192}, {"id": "b", "max_model_len": 32768}]});
        assert_eq!(vllm_context(&models, "b"), Some(32768));
        assert_eq!(vllm_context(&models, "c"), None, "several models, none of them ours");
        assert_eq!(
            vllm_context(&json!({"data": [{"id": "gpt-4o"}]}), "gpt-4o"),
            None,
            "OpenAI lists no context"
        );
        assert_eq!(
            ollama_context(&json!({"model_info": {"general.architecture": "llama", "llama.context_length": 8192}})),
            Some(8192)
        );
        assert_eq!(ollama_context(&json!({"details": {}})), None);
    }
}
