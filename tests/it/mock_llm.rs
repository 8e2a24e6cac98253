//! A mock LLM server on 127.0.0.1:0 that speaks the wire formats of OpenAI Chat Completions,
//! Anthropic Messages, Gemini generateContent and Ollama `/api/chat`, checks each request the
//! way the real API does (path, key header, required body fields; 400/401/403 otherwise), answers
//! from a per-test script, and records every request with its arrival time.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use persona::config::{Secret, Settings};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const OPENAI_KEY: &str = "sk-mock-openai-5b1e77c0";
pub const ANTHROPIC_KEY: &str = "sk-ant-mock-93f0aa21";
pub const GEMINI_KEY: &str = "AIza-mock-gemini-4c2d";

/// Tokens the mock reports for every completion.
pub const INPUT_TOKENS: u64 = 120;
pub const OUTPUT_TOKENS: u64 = 80;

/// A model whose server refuses the structured-output field (a JSON Schema), as older
/// llama.cpp builds and some compatible servers do; plain JSON mode works.
pub const NO_SCHEMA_MODEL: &str = "tiny-no-schema";

/// A model the mock treats like an OpenAI reasoning model: it refuses `max_tokens` and any
/// temperature but the default, as the real API does.
pub const REASONING_MODEL: &str = "o-mock-reasoner";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    OpenAi,
    Anthropic,
    Gemini,
    Ollama,
}

/// One excerpt of the prompt, as the model sees it.
#[derive(Debug, Clone)]
pub struct Excerpt {
    pub id: String,
    pub participant: String,
    pub text: String,
}

/// What the model was asked: the excerpts of the first user message, and the whole conversation.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub model: String,
    pub excerpts: Vec<Excerpt>,
    /// User and assistant turns, in order (the system prompt aside).
    pub turns: Vec<(String, String)>,
    /// Anthropic: the request forces a tool call.
    pub tool: bool,
}

pub type Writer = Arc<dyn Fn(&Prompt) -> String + Send + Sync>;

/// How the mock answers one request.
#[derive(Clone)]
pub enum Reply {
    /// A completion whose text the writer produces from the prompt.
    Text(Writer),
    /// The same, after a delay (a hang when longer than the client's timeout).
    Delayed(Duration, Writer),
    /// An error in the provider's own error format.
    Error {
        status: u16,
        message: String,
        code: Option<String>,
        retry_after: Option<String>,
    },
    /// A success status with a raw JSON body.
    Raw(Value),
}

impl Reply {
    pub fn text(writer: impl Fn(&Prompt) -> String + Send + Sync + 'static) -> Reply {
        Reply::Text(Arc::new(writer))
    }

    pub fn fixed(text: impl Into<String>) -> Reply {
        let text = text.into();
        Reply::text(move |_| text.clone())
    }

    pub fn error(status: u16, message: &str) -> Reply {
        Reply::Error {
            status,
            message: message.to_string(),
            code: None,
            retry_after: None,
        }
    }

    pub fn error_with_code(status: u16, message: &str, code: &str) -> Reply {
        Reply::Error {
            status,
            message: message.to_string(),
            code: Some(code.to_string()),
            retry_after: None,
        }
    }
}

/// A request as it arrived.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub api: Api,
    pub at: Instant,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    script: Mutex<VecDeque<Reply>>,
    /// Used when the script is empty.
    fallback: Mutex<Reply>,
    recorded: Mutex<Vec<Recorded>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// The context window the mock reports as llama.cpp (`/props`) and Ollama (`/api/show`) do.
    reported_context: Mutex<Option<u32>>,
}

pub struct MockLlm {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    state: Arc<State>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for MockLlm {
    fn drop(&mut self) {
        // Sends the stop command at once; nothing needs to wait for the workers to finish.
        drop(self.handle.stop(false));
    }
}

impl MockLlm {
    /// Starts a mock that answers every request with a grounded persona until scripted otherwise.
    pub async fn start() -> MockLlm {
        let state = Arc::new(State {
            script: Mutex::new(VecDeque::new()),
            fallback: Mutex::new(Reply::text(grounded_persona)),
            recorded: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            reported_context: Mutex::new(None),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared = web::Data::from(state.clone());
        let server = HttpServer::new(move || App::new().app_data(shared.clone()).default_service(web::to(handle)))
            .workers(1)
            .disable_signals()
            .shutdown_timeout(0)
            .listen(listener)
            .expect("listen")
            .run();
        let handle = server.handle();
        tokio::spawn(server);
        MockLlm { url, state, handle }
    }

    /// Settings whose four providers point here, with keys, fast retries and short timeouts.
    pub fn settings(&self) -> Settings {
        let mut settings = Settings::default();
        settings.providers.openai.base_url = format!("{}/v1", self.url);
        settings.providers.openai.api_key = Some(Secret::new(OPENAI_KEY));
        settings.providers.anthropic.base_url = self.url.clone();
        settings.providers.anthropic.api_key = Some(Secret::new(ANTHROPIC_KEY));
        settings.providers.gemini.base_url = self.url.clone();
        settings.providers.gemini.api_key = Some(Secret::new(GEMINI_KEY));
        settings.providers.ollama.base_url = self.url.clone();
        settings.llm.retry_base_delay_ms = 10;
        settings.llm.timeout_seconds = 10;
        settings.llm.connect_timeout_seconds = 2;
        settings
    }

    /// Queues replies, answered in order by the next requests.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.script.lock().unwrap().extend(replies);
    }

    /// The reply for every request once the script is used up.
    pub fn always(&self, reply: Reply) {
        *self.state.fallback.lock().unwrap() = reply;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.recorded.lock().unwrap().clone()
    }

    /// Reports a context window of `tokens`, as a llama.cpp or Ollama server does.
    pub fn report_context(&self, tokens: u32) {
        *self.state.reported_context.lock().unwrap() = Some(tokens);
    }

    /// The most requests that were being answered at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

/// Counts a request in flight for as long as it lives.
struct InFlight<'a>(&'a State);

impl<'a> InFlight<'a> {
    fn enter(state: &'a State) -> InFlight<'a> {
        let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn handle(request: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let path = request.path().to_string();
    if let Some(tokens) = *state.reported_context.lock().unwrap() {
        match path.as_str() {
            "/props" => return HttpResponse::Ok().json(json!({"default_generation_settings": {"n_ctx": tokens}})),
            "/api/show" => return HttpResponse::Ok().json(json!({"model_info": {"llama.context_length": tokens}})),
            _ => {}
        }
    }
    let api = match path.as_str() {
        "/v1/chat/completions" => Api::OpenAi,
        "/v1/messages" => Api::Anthropic,
        "/api/chat" => Api::Ollama,
        p if p.starts_with("/v1beta/models/") && p.ends_with(":generateContent") => Api::Gemini,
        _ => return HttpResponse::NotFound().json(json!({"error": format!("no route {path}")})),
    };
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return error_response(api, 400, &format!("invalid JSON body: {e}"), None, None),
    };
    state.recorded.lock().unwrap().push(Recorded {
        api,
        at: Instant::now(),
        target: request.uri().to_string(),
        headers: request
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: body.clone(),
    });
    let _in_flight = InFlight::enter(&state);
    if request.method() != actix_web::http::Method::POST {
        return error_response(api, 405, "method not allowed", None, None);
    }
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    let checked = match api {
        Api::OpenAi => check_openai(header("authorization"), &body),
        Api::Anthropic => check_anthropic(header("x-api-key"), header("anthropic-version"), &body).map(|mut p| {
            p.tool = body.get("tool_choice").is_some();
            p
        }),
        Api::Gemini => check_gemini(header("x-goog-api-key"), request.query_string(), &path, &body),
        Api::Ollama => check_ollama(&body),
    };
    let prompt = match checked {
        Ok(prompt) => prompt,
        Err(r) => return error_response(api, r.status, &r.message, r.code, None),
    };
    let reply = {
        let mut script = state.script.lock().unwrap();
        script
            .pop_front()
            .unwrap_or_else(|| state.fallback.lock().unwrap().clone())
    };
    match reply {
        Reply::Text(writer) => success(api, &prompt, &writer(&prompt)),
        Reply::Delayed(delay, writer) => {
            tokio::time::sleep(delay).await;
            success(api, &prompt, &writer(&prompt))
        }
        Reply::Error {
            status,
            message,
            code,
            retry_after,
        } => error_response(api, status, &message, code.as_deref(), retry_after.as_deref()),
        Reply::Raw(value) => HttpResponse::Ok().json(value),
    }
}

/// Why the mock refuses a request, answered in the provider's error format.
struct Rejection {
    status: u16,
    message: String,
    code: Option<&'static str>,
}

impl Rejection {
    fn new(status: u16, message: &str, code: Option<&'static str>) -> Rejection {
        Rejection {
            status,
            message: message.to_string(),
            code,
        }
    }
}

fn bad_request(message: &str) -> Rejection {
    Rejection::new(400, message, None)
}

/// The provider's error body for `status`.
fn error_response(api: Api, status: u16, message: &str, code: Option<&str>, retry_after: Option<&str>) -> HttpResponse {
    let status_code = actix_web::http::StatusCode::from_u16(status).expect("a valid status");
    let body = match api {
        Api::OpenAi => {
            json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": code}})
        }
        Api::Anthropic => {
            let kind = code.unwrap_or(match status {
                400 => "invalid_request_error",
                401 => "authentication_error",
                403 => "permission_error",
                404 => "not_found_error",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                _ => "api_error",
            });
            json!({"type": "error", "error": {"type": kind, "message": message}})
        }
        Api::Gemini => {
            let grpc = match status {
                400 => "INVALID_ARGUMENT",
                403 => "PERMISSION_DENIED",
                404 => "NOT_FOUND",
                429 => "RESOURCE_EXHAUSTED",
                503 => "UNAVAILABLE",
                _ => "INTERNAL",
            };
            let mut details: Vec<Value> = code.map(|c| json!({"reason": c})).into_iter().collect();
            // Gemini says when to retry in the body (google.rpc.RetryInfo), not in a header.
            if let Some(seconds) = retry_after {
                details.push(
                    json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": format!("{seconds}s")}),
                );
            }
            json!({"error": {"code": status, "message": message, "status": grpc, "details": details}})
        }
        Api::Ollama => json!({"error": message}),
    };
    let mut response = HttpResponse::build(status_code);
    if let Some(retry_after) = retry_after.filter(|_| api != Api::Gemini) {
        response.insert_header(("retry-after", retry_after));
    }
    response.json(body)
}

fn reported_model(model: &str) -> String {
    format!("{model}-mock-0001")
}

fn success(api: Api, prompt: &Prompt, text: &str) -> HttpResponse {
    // A forced tool call answers with the tool's input, the JSON the model wrote.
    if api == Api::Anthropic
        && prompt.tool
        && let Ok(input @ Value::Object(_)) = serde_json::from_str::<Value>(text)
    {
        return HttpResponse::Ok().json(json!({
            "id": "msg_mock",
            "type": "message",
            "role": "assistant",
            "model": reported_model(&prompt.model),
            "content": [{"type": "tool_use", "id": "toolu_mock", "name": "persona", "input": input}],
            "stop_reason": "tool_use",
            "stop_sequence": null,
            "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS},
        }));
    }
    let model = reported_model(&prompt.model);
    let body = match api {
        Api::OpenAi => json!({
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "created": 1_767_225_600,
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": INPUT_TOKENS, "completion_tokens": OUTPUT_TOKENS, "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS},
        }),
        Api::Anthropic => json!({
            "id": "msg_mock",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": null,
            "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": OUTPUT_TOKENS},
        }),
        Api::Gemini => json!({
            "candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": INPUT_TOKENS, "candidatesTokenCount": OUTPUT_TOKENS, "totalTokenCount": INPUT_TOKENS + OUTPUT_TOKENS},
            "modelVersion": model,
        }),
        Api::Ollama => json!({
            "model": model,
            "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": text},
            "done": true,
            "done_reason": "stop",
            "prompt_eval_count": INPUT_TOKENS,
            "eval_count": OUTPUT_TOKENS,
        }),
    };
    HttpResponse::Ok().json(body)
}

fn str_field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(|v| v.as_str()).filter(|s| !s.is_empty())
}

/// `messages` of the OpenAI/Ollama shape: a system message, then alternating user/assistant
/// turns that start and end with the user.
fn chat_turns(body: &Value) -> Result<Vec<(String, String)>, Rejection> {
    let messages = body
        .get("messages")
        .and_then(|m| m.as_array())
        .filter(|m| !m.is_empty())
        .ok_or_else(|| bad_request("messages: required, a non-empty list"))?;
    if messages[0].get("role").and_then(|r| r.as_str()) != Some("system") {
        return Err(bad_request("mock: expected the system message first"));
    }
    let turns: Vec<(String, String)> = messages[1..]
        .iter()
        .map(|m| {
            (
                m.get("role").and_then(|r| r.as_str()).unwrap_or("").to_string(),
                m.get("content").and_then(|c| c.as_str()).unwrap_or("").to_string(),
            )
        })
        .collect();
    check_alternation(&turns, "assistant")?;
    Ok(turns)
}

fn check_alternation(turns: &[(String, String)], assistant: &str) -> Result<(), Rejection> {
    for (i, (role, content)) in turns.iter().enumerate() {
        let expected = if i % 2 == 0 { "user" } else { assistant };
        if role != expected {
            return Err(bad_request(&format!("turn {i}: expected role {expected}, got {role}")));
        }
        if content.trim().is_empty() {
            return Err(bad_request(&format!("turn {i}: content must be non-empty")));
        }
    }
    if turns.len().is_multiple_of(2) {
        return Err(bad_request("the last turn must be the user's"));
    }
    Ok(())
}

fn prompt(model: &str, turns: Vec<(String, String)>) -> Prompt {
    let excerpts = parse_excerpts(&turns[0].1);
    Prompt {
        model: model.to_string(),
        excerpts,
        turns,
        tool: false,
    }
}

/// The `<excerpt id=… participant=…>text</excerpt>` blocks of a user message.
fn parse_excerpts(text: &str) -> Vec<Excerpt> {
    let pattern =
        regex::Regex::new(r#"(?s)<excerpt id="([^"]+)" participant="([^"]*)"[^>]*>\n(.*?)\n</excerpt>"#).unwrap();
    pattern
        .captures_iter(text)
        .map(|c| Excerpt {
            id: c[1].to_string(),
            participant: c[2].to_string(),
            text: c[3].to_string(),
        })
        .collect()
}

fn check_openai(authorization: Option<&str>, body: &Value) -> Result<Prompt, Rejection> {
    if authorization != Some(format!("Bearer {OPENAI_KEY}").as_str()) {
        return Err(Rejection::new(
            401,
            "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
            Some("invalid_api_key"),
        ));
    }
    let model = str_field(body, "model").ok_or_else(|| bad_request("you must provide a model parameter"))?;
    let turns = chat_turns(body)?;
    let has_max_tokens = body.get("max_tokens").is_some_and(Value::is_u64);
    let has_completion_tokens = body.get("max_completion_tokens").is_some_and(Value::is_u64);
    if model == REASONING_MODEL {
        if body.get("max_tokens").is_some() {
            return Err(bad_request(
                "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
            ));
        }
        if body.get("temperature").is_some() {
            return Err(bad_request(
                "Unsupported value: 'temperature' does not support 0.4 with this model. Only the default (1) value is supported.",
            ));
        }
    } else if !has_max_tokens || !body.get("temperature").is_some_and(Value::is_number) {
        return Err(bad_request(
            "mock: max_tokens (integer) and temperature (number) are required",
        ));
    }
    if !(has_max_tokens || has_completion_tokens) {
        return Err(bad_request("mock: an output token limit is required"));
    }
    match body.pointer("/response_format/type").and_then(|t| t.as_str()) {
        Some("json_object") => {}
        Some("json_schema") if model == NO_SCHEMA_MODEL => {
            return Err(bad_request(
                "Unsupported response_format type: json_schema. Supported: text, json_object",
            ));
        }
        Some("json_schema") => check_schema(
            body.pointer("/response_format/json_schema/schema"),
            body.pointer("/response_format/json_schema/strict") == Some(&Value::Bool(true))
                && str_field(&body["response_format"]["json_schema"], "name").is_some(),
        )?,
        _ => {
            return Err(bad_request(
                "mock: response_format json_schema or json_object is required",
            ));
        }
    }
    Ok(prompt(model, turns))
}

/// A structured-output schema as the real APIs check it: an object schema; `strict` needs every
/// object's properties all required and no others.
fn check_schema(schema: Option<&Value>, strict: bool) -> Result<(), Rejection> {
    let schema = schema
        .filter(|s| s.get("type").and_then(Value::as_str) == Some("object"))
        .ok_or_else(|| bad_request("mock: the schema must be an object schema"))?;
    if !strict {
        return Err(bad_request("mock: json_schema needs a name and strict: true"));
    }
    fn strict_objects(value: &Value) -> bool {
        match value {
            Value::Object(map) => {
                let closed = match map.get("properties").and_then(Value::as_object) {
                    Some(properties) => {
                        map.get("additionalProperties") == Some(&Value::Bool(false))
                            && map.get("required").and_then(Value::as_array).map(Vec::len) == Some(properties.len())
                    }
                    None => true,
                };
                closed && map.values().all(strict_objects)
            }
            Value::Array(items) => items.iter().all(strict_objects),
            _ => true,
        }
    }
    if !strict_objects(schema) {
        return Err(bad_request(
            "Invalid schema: In strict mode, every object needs 'additionalProperties': false and all properties required",
        ));
    }
    Ok(())
}

fn check_anthropic(key: Option<&str>, version: Option<&str>, body: &Value) -> Result<Prompt, Rejection> {
    if key != Some(ANTHROPIC_KEY) {
        return Err(Rejection::new(401, "invalid x-api-key", None));
    }
    if version != Some("2023-06-01") {
        return Err(bad_request("anthropic-version: header is required"));
    }
    let model = str_field(body, "model").ok_or_else(|| bad_request("model: Field required"))?;
    if !body.get("max_tokens").is_some_and(Value::is_u64) {
        return Err(bad_request("max_tokens: Field required"));
    }
    if str_field(body, "system").is_none() {
        return Err(bad_request("mock: the system prompt is expected in `system`"));
    }
    let turns: Vec<(String, String)> = body
        .get("messages")
        .and_then(|m| m.as_array())
        .filter(|m| !m.is_empty())
        .ok_or_else(|| bad_request("messages: Field required"))?
        .iter()
        .map(|m| {
            (
                m.get("role").and_then(|r| r.as_str()).unwrap_or("").to_string(),
                m.get("content").and_then(|c| c.as_str()).unwrap_or("").to_string(),
            )
        })
        .collect();
    check_alternation(&turns, "assistant")?;
    if let Some(tools) = body.get("tools") {
        if model == NO_SCHEMA_MODEL {
            return Err(bad_request("tools: this model does not support tool use"));
        }
        let name = tools.pointer("/0/name").and_then(Value::as_str);
        if name.is_none() || body.pointer("/tool_choice/name").and_then(Value::as_str) != name {
            return Err(bad_request("mock: tool_choice must name the one tool"));
        }
        check_schema(tools.pointer("/0/input_schema"), true)?;
    }
    Ok(prompt(model, turns))
}

fn check_gemini(key: Option<&str>, query: &str, path: &str, body: &Value) -> Result<Prompt, Rejection> {
    if query.contains("key=") {
        return Err(bad_request("mock: the API key must not travel in the URL"));
    }
    match key {
        None => {
            return Err(Rejection::new(
                403,
                "Method doesn't allow unregistered callers (callers without established identity).",
                None,
            ));
        }
        Some(k) if k != GEMINI_KEY => {
            return Err(Rejection::new(
                400,
                "API key not valid. Please pass a valid API key.",
                Some("API_KEY_INVALID"),
            ));
        }
        Some(_) => {}
    }
    let model = path
        .trim_start_matches("/v1beta/models/")
        .trim_end_matches(":generateContent")
        .to_string();
    if body
        .pointer("/systemInstruction/parts/0/text")
        .and_then(|t| t.as_str())
        .is_none()
    {
        return Err(bad_request("mock: systemInstruction.parts[0].text is expected"));
    }
    let config = body.get("generationConfig");
    if !config.and_then(|c| c.get("maxOutputTokens")).is_some_and(Value::is_u64)
        || config.and_then(|c| c.get("responseMimeType")).and_then(|m| m.as_str()) != Some("application/json")
    {
        return Err(bad_request(
            "mock: generationConfig.maxOutputTokens and responseMimeType are expected",
        ));
    }
    if let Some(schema) = config.and_then(|c| c.get("responseSchema")) {
        if model == NO_SCHEMA_MODEL {
            return Err(bad_request(
                "Invalid JSON payload received. Unknown name \"responseSchema\" at 'generation_config': Cannot find field.",
            ));
        }
        if schema.to_string().contains("additionalProperties") {
            return Err(bad_request(
                "Invalid JSON payload received. Unknown name \"additionalProperties\" at 'generation_config.response_schema'",
            ));
        }
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            return Err(bad_request("mock: responseSchema must be an object schema"));
        }
    }
    let turns: Vec<(String, String)> = body
        .get("contents")
        .and_then(|c| c.as_array())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| bad_request("* GenerateContentRequest.contents: contents is not specified"))?
        .iter()
        .map(|c| {
            (
                c.get("role").and_then(|r| r.as_str()).unwrap_or("").to_string(),
                c.pointer("/parts/0/text")
                    .and_then(|t| t.as_str())
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    check_alternation(&turns, "model")?;
    Ok(prompt(&model, turns))
}

fn check_ollama(body: &Value) -> Result<Prompt, Rejection> {
    let model = str_field(body, "model").ok_or_else(|| bad_request("model is required"))?;
    if body.get("stream") != Some(&Value::Bool(false)) {
        return Err(bad_request("mock: only stream:false is supported"));
    }
    match body.get("format") {
        Some(Value::String(format)) if format == "json" => {}
        Some(schema @ Value::Object(_)) if model != NO_SCHEMA_MODEL => check_schema(Some(schema), true)?,
        Some(Value::Object(_)) => return Err(bad_request("invalid format: expected \"json\"")),
        _ => return Err(bad_request("mock: format \"json\" or a JSON schema is expected")),
    }
    if !body.pointer("/options/num_predict").is_some_and(Value::is_u64) {
        return Err(bad_request("mock: options.num_predict is expected"));
    }
    // Real Ollama silently truncates a prompt longer than num_ctx (2–4k tokens by default): the
    // mock refuses instead, estimating tokens as characters / 4.
    let num_ctx = body.pointer("/options/num_ctx").and_then(Value::as_u64).unwrap_or(2048);
    let prompt_chars: usize = body["messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .filter_map(|m| m["content"].as_str())
                .map(str::len)
                .sum()
        })
        .unwrap_or(0);
    if prompt_chars as u64 / 4 > num_ctx {
        return Err(bad_request(&format!(
            "mock: a prompt of ~{} tokens would be truncated to num_ctx {num_ctx}",
            prompt_chars / 4
        )));
    }
    let turns = chat_turns(body)?;
    Ok(prompt(model, turns))
}

/// The first `words` words of `text` (verbatim, so a valid quote).
pub fn first_words(text: &str, words: usize) -> String {
    text.split_whitespace().take(words).collect::<Vec<_>>().join(" ")
}

/// A persona built only from the excerpts shown: every claim cites them in their own words,
/// every quote is a verbatim piece of one. Named after the first excerpt's participant.
pub fn grounded_persona(prompt: &Prompt) -> String {
    let first = &prompt.excerpts[0];
    let second = prompt.excerpts.get(1).unwrap_or(first);
    json!({
        "name": format!("Persona {}", first.participant),
        "title": "The Careful Planner",
        "summary": "Plans ahead and keeps records.",
        "demographics": {"device": "laptop"},
        "goals": [{"text": format!("Wants fewer moments like: {}", first_words(&first.text, 8)), "evidence": [first.id]}],
        "pain_points": [{"text": format!("Struggles when: {}", first_words(&second.text, 8)), "evidence": [second.id]}],
        "motivations": [{"text": format!("Cares because {}", first_words(&first.text, 6)), "evidence": [first.id]}],
        "behaviours": [{"text": format!("{} and {}", first_words(&first.text, 4), first_words(&second.text, 4)), "evidence": [first.id, second.id]}],
        "quotes": [
            {"text": first_words(&first.text, 5), "evidence": [first.id]},
            {"text": first_words(&second.text, 4), "evidence": [second.id]},
        ],
    })
    .to_string()
}
