//! HTTP behaviour shared by every LLM provider: the client (connect and total timeouts, no
//! redirects), retries with exponential backoff and jitter on transient failures, `Retry-After`,
//! and the mapping of failures to clear errors.

use super::kind::ProviderKind;
use crate::config::{LlmSettings, Settings};
use crate::error::Error;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Backoff never grows beyond this.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A server's `Retry-After` is honoured up to this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Replies larger than this are refused (a persona is a few kilobytes).
const MAX_REPLY_BYTES: usize = 16 * 1024 * 1024;
/// Provider messages quoted in errors are cut to this many characters.
const MAX_MESSAGE_CHARS: usize = 400;

/// One request to a provider, ready to send.
#[derive(Debug)]
pub(crate) struct ApiRequest {
    pub url: reqwest::Url,
    /// Authentication and version headers (keys only ever travel here).
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub max_retries: u32,
    pub base_delay: Duration,
}

impl RetryPolicy {
    pub fn from_settings(llm: &LlmSettings) -> RetryPolicy {
        RetryPolicy {
            max_retries: llm.max_retries,
            base_delay: Duration::from_millis(llm.retry_base_delay_ms),
        }
    }
}

/// Why a request did not produce a usable JSON reply.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    /// A status that retrying cannot fix (400, 401, 403, 404, 413, 422, a quota 429 …).
    Rejected {
        status: u16,
        /// The provider's own message, from its error body.
        message: String,
        /// Error codes, types and statuses of the error body, for classification.
        codes: Vec<String>,
    },
    RateLimited {
        retries: u32,
    },
    Unavailable {
        status: u16,
        retries: u32,
    },
    TimedOut {
        retries: u32,
    },
    Unreachable {
        detail: String,
        retries: u32,
    },
    /// A success status whose body is not JSON (or too large).
    BadReply(String),
}

/// A client for LLM endpoints. Base URLs are operator configuration (often a local Ollama or
/// vLLM), so private addresses are allowed; redirects are not followed so that key headers
/// never travel to another host.
pub(crate) fn client(llm: &LlmSettings) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(llm.connect_timeout_seconds.max(1)))
        .timeout(Duration::from_secs(llm.timeout_seconds.max(1)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("persona/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::internal(format!("cannot build the HTTP client for LLM providers: {e}")))
}

/// The delay before retry number `retry` (0-based): `base · 2^retry`, capped at 60 s, then
/// scaled by `1 + 0.2 · jitter` with `jitter` in [-1, 1].
pub(crate) fn backoff_delay(base: Duration, retry: u32, jitter: f64) -> Duration {
    let exponential = base.saturating_mul(2u32.saturating_pow(retry.min(31)));
    let capped = exponential.min(MAX_BACKOFF);
    capped.mul_f64(1.0 + 0.2 * jitter.clamp(-1.0, 1.0))
}

/// A uniformly spread value in [-1, 1]; jitter only spreads retries out, so it need not be seeded.
fn random_jitter() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64;
    (bits as f64 / u64::MAX as f64) * 2.0 - 1.0
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP-date. Clamped to 120 s.
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    let delay = if let Ok(seconds) = value.parse::<f64>() {
        if !seconds.is_finite() || seconds < 0.0 {
            return None;
        }
        Duration::from_secs_f64(seconds.min(MAX_RETRY_AFTER.as_secs_f64()))
    } else {
        let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
        (at - now).to_std().unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

/// The server's requested wait: OpenAI's `retry-after-ms` (more precise) or `Retry-After`.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0).min(MAX_RETRY_AFTER));
    }
    header("retry-after").and_then(|v| parse_retry_after(v, Utc::now()))
}

/// Statuses worth retrying: rate limits, gateway trouble and Anthropic's "overloaded".
fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504 | 529)
}

/// What one attempt ended with, when it is worth another try.
enum Transient {
    Status { status: u16, wait: Option<Duration> },
    TimedOut,
    Unreachable(String),
}

/// The outcome of one attempt.
enum Attempt {
    Done(serde_json::Value),
    Retry(Transient),
    Fail(Failure),
}

/// How a run's requests share a server. Once the server has shown it is busy (429, 503, 529 or
/// a timeout: a local server with one slot queues or refuses what it cannot take), every later
/// attempt of the run waits for its turn, so at most one is in flight and a retry after a
/// timeout is sent only when the run's other requests have finished.
#[derive(Debug, Default)]
pub(crate) struct Pacing {
    busy: AtomicBool,
    turn: tokio::sync::Mutex<()>,
}

impl Pacing {
    /// Whether the server has shown it is busy during this run.
    pub fn is_busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst)
    }
}

/// Sends `request` (POST, JSON) and returns the JSON reply, retrying transient failures.
pub(crate) async fn post_json(
    client: &reqwest::Client,
    policy: RetryPolicy,
    request: &ApiRequest,
    pacing: &Pacing,
) -> Result<serde_json::Value, Failure> {
    let mut retry = 0;
    loop {
        let outcome = {
            let _turn = match pacing.is_busy() {
                true => Some(pacing.turn.lock().await),
                false => None,
            };
            // Dropping the attempt (a timeout, a cancelled run) closes its connection, which
            // tells the server to stop working on it.
            attempt(client, request).await
        };
        let transient = match outcome {
            Attempt::Done(value) => return Ok(value),
            Attempt::Fail(failure) => return Err(failure),
            Attempt::Retry(transient) => transient,
        };
        if matches!(
            transient,
            Transient::TimedOut
                | Transient::Status {
                    status: 429 | 503 | 529,
                    ..
                }
        ) && !pacing.busy.swap(true, Ordering::SeqCst)
        {
            log::warn!(
                "the LLM server at {} is busy; this run's requests now go one at a time",
                redacted_url(&request.url)
            );
        }
        if retry >= policy.max_retries {
            let retries = policy.max_retries;
            return Err(match transient {
                Transient::Status { status: 429, .. } => Failure::RateLimited { retries },
                Transient::Status { status, .. } => Failure::Unavailable { status, retries },
                Transient::TimedOut => Failure::TimedOut { retries },
                Transient::Unreachable(detail) => Failure::Unreachable { detail, retries },
            });
        }
        let wait = match transient {
            Transient::Status { wait: Some(wait), .. } => wait,
            _ => backoff_delay(policy.base_delay, retry, random_jitter()),
        };
        log::warn!(
            "LLM request to {} failed ({}); retry {} of {} in {:.1} s",
            redacted_url(&request.url),
            match &transient {
                Transient::Status { status, .. } => format!("HTTP {status}"),
                Transient::TimedOut => "timeout".to_string(),
                Transient::Unreachable(detail) => detail.clone(),
            },
            retry + 1,
            policy.max_retries,
            wait.as_secs_f64()
        );
        tokio::time::sleep(wait).await;
        retry += 1;
    }
}

async fn attempt(client: &reqwest::Client, request: &ApiRequest) -> Attempt {
    let sent = client
        .post(request.url.clone())
        .headers(request.headers.clone())
        .json(&request.body)
        .send()
        .await;
    let mut response = match sent {
        Ok(response) => response,
        Err(e) if e.is_timeout() => return Attempt::Retry(Transient::TimedOut),
        Err(e) => return Attempt::Retry(Transient::Unreachable(error_chain(&e))),
    };
    let status = response.status();
    let wait = retry_after(response.headers());
    let body = match read_capped(&mut response).await {
        Ok(body) => body,
        Err(e) if e.is_timeout() => return Attempt::Retry(Transient::TimedOut),
        Err(e) if status.is_success() => return Attempt::Retry(Transient::Unreachable(error_chain(&e))),
        // The status already says what happened; an unreadable error body changes nothing.
        Err(_) => Some(Vec::new()),
    };
    if status.is_success() {
        let Some(body) = body else {
            return Attempt::Fail(Failure::BadReply(format!(
                "the reply is larger than {} MiB",
                MAX_REPLY_BYTES / (1024 * 1024)
            )));
        };
        return match serde_json::from_slice(&body) {
            Ok(value) => Attempt::Done(value),
            Err(e) => Attempt::Fail(Failure::BadReply(format!(
                "HTTP {} with a body that is not JSON ({e}): {}",
                status.as_u16(),
                snippet(&String::from_utf8_lossy(&body))
            ))),
        };
    }
    let body = body.unwrap_or_default();
    let (message, codes) = error_details(&body);
    // A spent quota or spend limit is reported as 429, but waiting does not refill it.
    if is_retryable(status) && !is_quota_spent(&codes) {
        return Attempt::Retry(Transient::Status {
            status: status.as_u16(),
            // Gemini says how long to wait in the body rather than in a header.
            wait: wait.or_else(|| body_retry_delay(&body)),
        });
    }
    Attempt::Fail(Failure::Rejected {
        status: status.as_u16(),
        message,
        codes,
    })
}

/// Reads a body; `None` when it is larger than [`MAX_REPLY_BYTES`].
async fn read_capped(response: &mut reqwest::Response) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_REPLY_BYTES {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// Error codes that mean the account cannot spend more: OpenAI's spent quota, Anthropic's spend
/// limit.
fn is_quota_spent(codes: &[String]) -> bool {
    codes
        .iter()
        .any(|c| c == "insufficient_quota" || c == "enforced_spend_limit_reached")
}

/// Gemini's `google.rpc.RetryInfo` in `error.details[]`: `"retryDelay": "34s"`. Clamped like
/// `Retry-After`.
fn body_retry_delay(body: &[u8]) -> Option<Duration> {
    let value = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    value
        .get("error")?
        .get("details")?
        .as_array()?
        .iter()
        .filter_map(|detail| detail.get("retryDelay")?.as_str())
        .find_map(|delay| {
            let seconds = delay.trim().strip_suffix('s')?.parse::<f64>().ok()?;
            (seconds.is_finite() && seconds >= 0.0)
                .then(|| Duration::from_secs_f64(seconds.min(MAX_RETRY_AFTER.as_secs_f64())))
        })
}

/// The message and the codes of a provider's error body. All four providers put a message in
/// `error.message` (OpenAI, Anthropic, Gemini) or a string `error` (Ollama).
fn error_details(body: &[u8]) -> (String, Vec<String>) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (snippet(&String::from_utf8_lossy(body)), Vec::new());
    };
    let error = value.get("error").unwrap_or(&value);
    let message = match error {
        serde_json::Value::String(s) => s.clone(),
        _ => error
            .get("message")
            .and_then(|m| m.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| value.to_string()),
    };
    let mut codes: Vec<String> = ["code", "type", "status"]
        .iter()
        .filter_map(|k| error.get(*k))
        .filter_map(|v| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect();
    match error.get("details") {
        // Gemini puts the precise reason (API_KEY_INVALID) in `error.details[].reason`.
        Some(serde_json::Value::Array(details)) => codes.extend(
            details
                .iter()
                .filter_map(|d| d.get("reason").and_then(|r| r.as_str()).map(str::to_string)),
        ),
        // Anthropic: `error.details.error_code` (enforced_spend_limit_reached).
        Some(details) => codes.extend(details.get("error_code").and_then(|c| c.as_str()).map(str::to_string)),
        None => {}
    }
    (snippet(&message), codes)
}

/// The first [`MAX_MESSAGE_CHARS`] characters of `text`, on one line.
fn snippet(text: &str) -> String {
    let one_line = crate::domain::persona::normalise_whitespace(text);
    match one_line.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

/// A reqwest error and its causes on one line, without the URL (the caller names the target).
fn error_chain(error: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in crate::util::error_causes(error) {
        if !parts.contains(&cause) {
            parts.push(cause);
        }
    }
    if parts.is_empty() {
        parts.push(
            if error.is_connect() {
                "connection failed"
            } else {
                "request failed"
            }
            .to_string(),
        );
    }
    parts.join(": ")
}

/// A URL fit for messages: no credentials, no query.
pub(crate) fn redacted_url(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// Turns a failure into the run's error, naming the provider, the model and what to check.
pub(crate) fn failure_error(kind: ProviderKind, model: &str, settings: &Settings, failure: Failure) -> Error {
    let provider = kind.name();
    let message = match failure {
        Failure::Rejected { status, message, codes } => {
            let text = format!("{} {}", message, codes.join(" ")).to_ascii_lowercase();
            if status == 401 || status == 403 || text.contains("api_key_invalid") || text.contains("api key not valid")
            {
                match kind.key_variable() {
                    Some(_) => format!(
                        "authentication failed for {provider}: check {}",
                        kind.missing_key_description()
                    ),
                    None => format!(
                        "authentication failed for {provider}: the server at {} refused the request (HTTP {status})",
                        kind.base_url_variable().unwrap_or("its base URL")
                    ),
                }
            } else if status == 404 && !mentions_model(&text) {
                // The path itself is missing: the base URL or the provider kind is wrong.
                let base = kind.settings(settings).map(|p| p.base_url.as_str()).unwrap_or("");
                let base = reqwest::Url::parse(base)
                    .map(|u| redacted_url(&u))
                    .unwrap_or_else(|_| base.to_string());
                let hint = match kind {
                    ProviderKind::OpenAi => {
                        " (OpenAI-compatible servers such as llama.cpp, vLLM and LM Studio need the /v1 suffix, e.g. http://127.0.0.1:8080/v1)"
                    }
                    ProviderKind::Ollama => {
                        " (an Ollama server answers /api/chat; for an OpenAI-compatible server use provider openai with a base URL ending in /v1)"
                    }
                    _ => "",
                };
                format!(
                    "{provider} has no chat endpoint at {base} (HTTP 404): check {}{hint} or the provider kind",
                    kind.base_url_variable().unwrap_or("the base URL")
                )
            } else if is_model_not_found(status, &text) {
                let hint = if kind == ProviderKind::Ollama {
                    format!("; run `ollama pull {model}`")
                } else {
                    String::new()
                };
                format!("model {model} not found at {provider}: {message}{hint}")
            } else if is_context_too_long(status, &text) {
                let budget = settings.llm.evidence_token_budget;
                format!(
                    "input too long for {provider} model {model}: {message}; lower llm.evidence_token_budget \
                     (PERSONA_LLM_EVIDENCE_TOKEN_BUDGET, now {budget}), e.g. to {}, or set llm.context_tokens \
                     (PERSONA_LLM_CONTEXT_TOKENS) to the model's context window",
                    (budget / 2).max(500)
                )
            } else if is_quota_spent(&codes) {
                format!("{provider} quota exhausted for model {model}: {message}")
            } else {
                format!("{provider} rejected the request for model {model} (HTTP {status}): {message}")
            }
        }
        Failure::RateLimited { retries } => format!("rate-limited by {provider} after {}", count_retries(retries)),
        Failure::Unavailable { status, retries } => {
            format!(
                "{provider} unavailable after {} (HTTP {status})",
                count_retries(retries)
            )
        }
        Failure::TimedOut { retries } => format!(
            "{provider} did not answer within {} s ({} attempts); raise llm.timeout_seconds \
             (PERSONA_LLM_TIMEOUT_SECONDS), e.g. to {}, or lower llm.max_output_tokens (now {}), e.g. to {}; \
             for a local server that answers one request at a time set llm.concurrency = 1",
            settings.llm.timeout_seconds,
            retries + 1,
            settings.llm.timeout_seconds.saturating_mul(4),
            settings.llm.max_output_tokens,
            (settings.llm.max_output_tokens / 2).max(256)
        ),
        Failure::Unreachable { detail, retries } => {
            let base = kind.settings(settings).map(|p| p.base_url.as_str()).unwrap_or("");
            let base = reqwest::Url::parse(base)
                .map(|u| redacted_url(&u))
                .unwrap_or_else(|_| base.to_string());
            format!(
                "cannot reach {provider} at {base} after {}: {detail}",
                count_retries(retries)
            )
        }
        Failure::BadReply(detail) => format!("{provider} sent an unusable reply for model {model}: {detail}"),
    };
    Error::Provider {
        provider: provider.to_string(),
        message: redact_key(kind, settings, message),
    }
}

fn count_retries(retries: u32) -> String {
    match retries {
        1 => "1 retry".to_string(),
        n => format!("{n} retries"),
    }
}

fn mentions_model(text: &str) -> bool {
    text.contains("model")
}

fn is_model_not_found(status: u16, text: &str) -> bool {
    text.contains("model_not_found")
        || (text.contains("model")
            && (text.contains("not found") || text.contains("does not exist") || text.contains("not_found")))
        || status == 404
}

fn is_context_too_long(status: u16, text: &str) -> bool {
    status == 413
        || ((status == 400 || status == 422)
            && [
                "context_length_exceeded",
                "maximum context length",
                "context length",
                "context window",
                "too long",
                "too many tokens",
                "exceeds the maximum",
            ]
            .iter()
            .any(|w| text.contains(w)))
}

/// Replaces the provider's key in `text` (providers sometimes echo part of it; we never do).
pub(crate) fn redact_key(kind: ProviderKind, settings: &Settings, text: String) -> String {
    match kind.settings(settings).and_then(|p| p.api_key.as_ref()) {
        Some(key) if !key.expose().is_empty() => text.replace(key.expose(), "***"),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn backoff_doubles_from_the_base_is_capped_and_jittered_by_a_fifth() {
        let base = Duration::from_millis(1000);
        assert_eq!(backoff_delay(base, 0, 0.0), Duration::from_millis(1000));
        assert_eq!(backoff_delay(base, 1, 0.0), Duration::from_millis(2000));
        assert_eq!(backoff_delay(base, 3, 0.0), Duration::from_millis(8000));
        assert_eq!(backoff_delay(base, 10, 0.0), MAX_BACKOFF);
        assert_eq!(backoff_delay(base, 40, 0.0), MAX_BACKOFF);
        assert_eq!(backoff_delay(base, 0, 1.0), Duration::from_millis(1200));
        assert_eq!(backoff_delay(base, 0, -1.0), Duration::from_millis(800));
        for _ in 0..100 {
            let d = backoff_delay(base, 2, random_jitter());
            assert!(
                d >= Duration::from_millis(3200) && d <= Duration::from_millis(4800),
                "{d:?}"
            );
        }
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates_and_is_clamped() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("3600", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Fri, 02 Jan 2026 00:00:00 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn retry_after_ms_wins_over_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert("retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
    }

    #[test]
    fn error_bodies_of_every_provider_yield_message_and_codes() {
        let openai = br#"{"error":{"message":"This model's maximum context length is 8192 tokens","type":"invalid_request_error","code":"context_length_exceeded"}}"#;
        let (message, codes) = error_details(openai);
        assert!(message.starts_with("This model's maximum context length"));
        assert!(codes.contains(&"context_length_exceeded".to_string()));
        let gemini = br#"{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}"#;
        let (_, codes) = error_details(gemini);
        assert_eq!(codes, vec!["400", "INVALID_ARGUMENT", "API_KEY_INVALID"]);
        let ollama = br#"{"error":"model \"llama9\" not found, try pulling it first"}"#;
        assert_eq!(
            error_details(ollama).0,
            "model \"llama9\" not found, try pulling it first"
        );
        assert_eq!(error_details(b"<html>Bad Gateway</html>").0, "<html>Bad Gateway</html>");
    }

    #[test]
    fn gemini_retry_info_and_anthropic_spend_limits_are_read_from_the_body() {
        let gemini = br#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[
            {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[]},
            {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"34s"}]}}"#;
        assert_eq!(body_retry_delay(gemini), Some(Duration::from_secs(34)));
        let long = br#"{"error":{"details":[{"retryDelay":"86400s"}]}}"#;
        assert_eq!(body_retry_delay(long), Some(MAX_RETRY_AFTER));
        assert_eq!(
            body_retry_delay(br#"{"error":{"details":[{"retryDelay":"soon"}]}}"#),
            None
        );
        assert_eq!(body_retry_delay(b"not json"), None);

        let anthropic = br#"{"type":"error","error":{"type":"rate_limit_error","message":"spend limit reached",
            "details":{"error_code":"enforced_spend_limit_reached"}}}"#;
        let (_, codes) = error_details(anthropic);
        assert_eq!(codes, vec!["rate_limit_error", "enforced_spend_limit_reached"]);
        assert!(is_quota_spent(&codes));
        assert!(!is_quota_spent(&["rate_limit_error".to_string()]));
    }

    #[test]
    fn failures_map_to_messages_that_name_what_to_check_and_never_the_key() {
        let mut settings = Settings::default();
        settings.providers.openai.api_key = Some(Secret::new("sk-secret-123"));
        let rejected = |status, message: &str, codes: &[&str]| Failure::Rejected {
            status,
            message: message.to_string(),
            codes: codes.iter().map(|c| c.to_string()).collect(),
        };
        let msg = |kind, failure| failure_error(kind, "m1", &settings, failure).to_string();
        assert_eq!(
            msg(
                ProviderKind::OpenAi,
                rejected(401, "Incorrect API key provided: sk-secret-123", &[])
            ),
            "authentication failed for openai: check OPENAI_API_KEY"
        );
        assert_eq!(
            msg(
                ProviderKind::Gemini,
                rejected(400, "API key not valid.", &["API_KEY_INVALID"])
            ),
            "authentication failed for gemini: check GEMINI_API_KEY or GOOGLE_API_KEY"
        );
        assert_eq!(
            msg(ProviderKind::Ollama, rejected(404, "model \"m1\" not found", &[])),
            "model m1 not found at ollama: model \"m1\" not found; run `ollama pull m1`"
        );
        assert!(
            msg(
                ProviderKind::OpenAi,
                rejected(400, "maximum context length is 8192", &["context_length_exceeded"])
            )
            .starts_with("input too long for openai model m1: ")
        );
        assert_eq!(
            msg(
                ProviderKind::Anthropic,
                Failure::Unavailable {
                    status: 529,
                    retries: 3
                }
            ),
            "anthropic unavailable after 3 retries (HTTP 529)"
        );
        assert_eq!(
            msg(ProviderKind::Anthropic, Failure::RateLimited { retries: 2 }),
            "rate-limited by anthropic after 2 retries"
        );
        assert_eq!(
            msg(
                ProviderKind::Anthropic,
                rejected(429, "spend limit reached", &["enforced_spend_limit_reached"])
            ),
            "anthropic quota exhausted for model m1: spend limit reached"
        );
        let echoed = msg(ProviderKind::OpenAi, rejected(422, "bad value sk-secret-123", &[]));
        assert!(!echoed.contains("sk-secret-123") && echoed.contains("***"), "{echoed}");
    }

    #[test]
    fn urls_in_messages_lose_credentials_and_queries() {
        let url = reqwest::Url::parse("https://user:pw@example.com/v1?key=abc").unwrap();
        assert_eq!(redacted_url(&url), "https://example.com/v1");
    }
}
