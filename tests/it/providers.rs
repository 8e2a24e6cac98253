//! LLM providers against the mock server (`mock_llm`): success for all four wire formats,
//! parsing and validation retries, grounding, HTTP retries, timeouts and error messages.

use crate::mock_llm::{
    ANTHROPIC_KEY, Api, GEMINI_KEY, INPUT_TOKENS, MockLlm, NO_SCHEMA_MODEL, OPENAI_KEY, OUTPUT_TOKENS, REASONING_MODEL,
    Reply, first_words, grounded_persona,
};
use persona::config::{Secret, Settings};
use persona::domain::persona::normalise_whitespace;
use persona::domain::{Corpus, Participant, SourceFile, Utterance};
use persona::error::Error;
use persona::generate::providers::{gemini_schema, persona_schema, synthesize};
use persona::generate::{GenerationOutput, GenerationSettings, GroundingStats, Progress, Segment, Step};
use serde_json::json;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const PROVIDERS: [&str; 4] = ["openai", "anthropic", "gemini", "ollama"];

/// Six participants in two files; P01–P03 talk about invoices, P04–P06 about travel.
fn corpus() -> Corpus {
    let lines: &[(&str, usize, &str)] = &[
        ("P01", 0, "I spend every Friday afternoon chasing unpaid invoices."),
        ("P01", 0, "The export to our accounting tool breaks about once a month."),
        (
            "P02",
            0,
            "Honestly, reconciling  payments by hand is the worst part of my week.",
        ),
        (
            "P02",
            0,
            "I keep a spreadsheet as a backup because I do not trust the sync.",
        ),
        ("P03", 0, "Late payers cost us more time than new clients do."),
        ("P04", 1, "I book trains on my phone while walking between meetings."),
        ("P04", 1, "Hotel receipts get lost in my inbox all the time."),
        ("P05", 1, "When the app is offline I cannot see my itinerary at all."),
        ("P06", 1, "Expense reports take me two evenings after every trip."),
        ("P06", 1, "I photograph every receipt the moment I get it."),
    ];
    let mut participants: Vec<Participant> = lines
        .iter()
        .map(|(p, _, _)| Participant {
            id: p.to_string(),
            attributes: [("role".to_string(), "Freelancer".to_string())].into(),
        })
        .collect();
    participants.dedup();
    Corpus {
        participants,
        utterances: lines
            .iter()
            .enumerate()
            .map(|(i, (p, source, text))| Utterance {
                question: None,
                participant_id: p.to_string(),
                source: *source,
                location: format!("line {}", i + 2),
                text: text.to_string(),
            })
            .collect(),
        sources: ["interviews.csv", "diary/travel.md"]
            .iter()
            .map(|path| SourceFile {
                path: path.to_string(),
                format: "csv".into(),
                bytes: 100,
                sha256: "0".repeat(64),
                participants: 3,
                utterances: 5,
            })
            .collect(),
        ..Default::default()
    }
}

/// One segment per group of participants, with all their utterances in corpus order.
fn segments(corpus: &Corpus, groups: &[&[&str]]) -> Vec<Segment> {
    groups
        .iter()
        .enumerate()
        .map(|(index, group)| Segment {
            index,
            participant_ids: group.iter().map(|p| p.to_string()).collect(),
            top_terms: vec![format!("term{index}")],
            demographics: [("role".to_string(), "Freelancer".to_string())].into(),
            utterances: corpus
                .utterances
                .iter()
                .enumerate()
                .filter(|(_, u)| group.contains(&u.participant_id.as_str()))
                .map(|(i, _)| i)
                .collect(),
        })
        .collect()
}

fn two_segments(corpus: &Corpus) -> Vec<Segment> {
    segments(corpus, &[&["P01", "P02", "P03"], &["P04", "P05", "P06"]])
}

fn generation(provider: &str, model: Option<&str>) -> GenerationSettings {
    GenerationSettings {
        count: 2,
        seed: 7,
        provider: provider.to_string(),
        model: model.map(str::to_string),
        options: Default::default(),
    }
}

#[derive(Default)]
struct Recorder {
    messages: Mutex<Vec<String>>,
    cancel: AtomicBool,
}

impl Progress for Recorder {
    fn step(&self, step: Step, message: &str) {
        assert_eq!(step, Step::Synthesising);
        self.messages.lock().unwrap().push(message.to_string());
    }
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

async fn run(settings: &Settings, provider: &str, model: Option<&str>) -> Result<GenerationOutput, Error> {
    let corpus = corpus();
    let segments = two_segments(&corpus);
    synthesize(
        settings,
        &generation(provider, model),
        &corpus,
        &segments,
        &Recorder::default(),
    )
    .await
}

async fn run_one_segment(settings: &Settings, provider: &str, model: Option<&str>) -> Result<GenerationOutput, Error> {
    let corpus = corpus();
    let segments = segments(&corpus, &[&["P01", "P02"]]);
    synthesize(
        settings,
        &generation(provider, model),
        &corpus,
        &segments,
        &Recorder::default(),
    )
    .await
}

/// Every claim and quote has evidence, and every evidence excerpt is the named participant's
/// words at the named place.
fn assert_grounded(output: &GenerationOutput, corpus: &Corpus) {
    for persona in &output.personas {
        assert!(persona.unevidenced_claims().is_empty(), "{persona:#?}");
        for evidence in &persona.evidence {
            let utterance = corpus
                .utterances
                .iter()
                .find(|u| u.location == evidence.location && corpus.source_path(u) == evidence.source)
                .unwrap_or_else(|| panic!("no utterance at {evidence:?}"));
            assert_eq!(utterance.participant_id, evidence.participant_id);
            assert!(persona.participants.contains(&evidence.participant_id), "{evidence:?}");
            assert!(
                normalise_whitespace(&utterance.text).contains(&normalise_whitespace(&evidence.excerpt)),
                "{evidence:?}"
            );
        }
        for quote in &persona.quotes {
            assert!(
                corpus.utterances.iter().any(|u| u.text.contains(quote.as_str())),
                "quote not verbatim: {quote}"
            );
        }
    }
}

/// Settings of `mock` under which a persona the model cannot write fails the run.
fn failing(mock: &MockLlm) -> Settings {
    let mut settings = mock.settings();
    settings.llm.fallback = "fail".into();
    settings
}

fn provider_error(result: Result<GenerationOutput, Error>) -> String {
    match result {
        Err(Error::Provider { message, .. }) => message,
        other => panic!("expected a provider error, got {other:?}"),
    }
}

#[tokio::test]
async fn every_provider_writes_grounded_personas_with_usage_and_model() {
    let mock = MockLlm::start().await;
    let settings = mock.settings();
    let corpus = corpus();
    for provider in PROVIDERS {
        let before = mock.requests().len();
        let recorder = Recorder::default();
        let segments = two_segments(&corpus);
        let output = synthesize(
            &settings,
            &generation(provider, Some("mock-model")),
            &corpus,
            &segments,
            &recorder,
        )
        .await
        .unwrap_or_else(|e| panic!("{provider}: {e}"));
        assert_eq!(output.provider, provider);
        assert_eq!(output.model, "mock-model");
        assert_eq!(output.usage.requests, 2, "{provider}");
        assert_eq!(output.usage.input_tokens, 2 * INPUT_TOKENS);
        assert_eq!(output.usage.output_tokens, 2 * OUTPUT_TOKENS);
        assert_eq!(output.grounding, GroundingStats::default(), "{provider}");
        assert!(output.warnings.is_empty(), "{provider}: {:?}", output.warnings);
        assert_eq!(output.personas.len(), 2);
        for (persona, segment) in output.personas.iter().zip(&segments) {
            assert_eq!(persona.provider, provider);
            assert_eq!(persona.model, "mock-model-mock-0001");
            assert_eq!(persona.participants, segment.participant_ids);
            assert_eq!(persona.segment_size, 3);
            assert!(persona.id.starts_with("persona-"));
            assert_eq!(persona.demographics["role"], "Freelancer");
            assert_eq!(persona.demographics["device"], "laptop");
            assert_eq!((persona.goals.len(), persona.pain_points.len()), (1, 1));
            assert_eq!((persona.behaviours.len(), persona.quotes.len()), (1, 2));
            assert_eq!(persona.motivations.len(), 1);
        }
        assert_eq!(output.personas[0].name, "Persona P01");
        assert_eq!(output.personas[1].name, "Persona P04");
        assert_grounded(&output, &corpus);
        assert_eq!(
            *recorder.messages.lock().unwrap(),
            vec![
                format!("persona 1 of 2: asking {provider}/mock-model"),
                format!("persona 2 of 2: asking {provider}/mock-model"),
                format!("1 of 2 personas written with {provider}/mock-model (200 tokens so far)"),
                format!("2 of 2 personas written with {provider}/mock-model (400 tokens so far)"),
            ]
        );
        let requests = &mock.requests()[before..];
        assert_eq!(requests.len(), 2);
        for request in requests {
            let expected_api = match provider {
                "openai" => Api::OpenAi,
                "anthropic" => Api::Anthropic,
                "gemini" => Api::Gemini,
                _ => Api::Ollama,
            };
            assert_eq!(request.api, expected_api);
            match provider {
                "openai" => {
                    assert_eq!(request.target, "/v1/chat/completions");
                    assert_eq!(
                        request.header("authorization"),
                        Some(format!("Bearer {OPENAI_KEY}").as_str())
                    );
                    assert_eq!(request.body["max_tokens"], settings.llm.max_output_tokens);
                    assert_eq!(
                        request.body["response_format"],
                        json!({"type": "json_schema", "json_schema": {"name": "persona", "strict": true, "schema": persona_schema()}})
                    );
                }
                "anthropic" => {
                    assert_eq!(request.target, "/v1/messages");
                    assert_eq!(request.header("x-api-key"), Some(ANTHROPIC_KEY));
                    assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
                    assert_eq!(request.body["tools"][0]["input_schema"], persona_schema());
                    assert_eq!(request.body["tools"][0]["name"], "persona");
                    assert_eq!(request.body["tool_choice"], json!({"type": "tool", "name": "persona"}));
                }
                "gemini" => {
                    assert_eq!(request.target, "/v1beta/models/mock-model:generateContent");
                    assert_eq!(request.header("x-goog-api-key"), Some(GEMINI_KEY));
                    assert_eq!(request.body["generationConfig"]["responseSchema"], gemini_schema());
                    assert_eq!(request.body["generationConfig"]["responseMimeType"], "application/json");
                }
                _ => {
                    assert_eq!(request.target, "/api/chat");
                    assert_eq!(request.body["stream"], false);
                    assert_eq!(request.body["format"], persona_schema());
                    assert_eq!(request.header("authorization"), None);
                }
            }
        }
    }
}

#[tokio::test]
async fn the_default_model_is_used_when_none_is_requested() {
    let mock = MockLlm::start().await;
    let mut settings = mock.settings();
    settings.providers.ollama.model = "llama-default".into();
    let output = run_one_segment(&settings, "ollama", None).await.unwrap();
    assert_eq!(output.model, "llama-default");
    assert_eq!(mock.requests()[0].body["model"], "llama-default");
}

#[tokio::test]
async fn fenced_and_noisy_replies_are_accepted() {
    let mock = MockLlm::start().await;
    mock.script([
        Reply::text(|p| format!("Here is the persona:\n\n```json\n{}\n```\n", grounded_persona(p))),
        Reply::text(|p| {
            format!(
                "Sure {{happy to help}}! {} Let me know if {{anything}} changes.",
                grounded_persona(p)
            )
        }),
    ]);
    let output = run(&mock.settings(), "anthropic", None).await.unwrap();
    assert_eq!(output.personas.len(), 2);
    assert_eq!(output.usage.requests, 2, "no validation retry was needed");
    assert_grounded(&output, &corpus());
}

#[tokio::test]
async fn an_invalid_reply_is_retried_once_with_the_reason() {
    let mock = MockLlm::start().await;
    mock.always(Reply::text(|p| {
        let mut persona: serde_json::Value = serde_json::from_str(&grounded_persona(p)).unwrap();
        // Wrong on the first turn only; the retry carries the bad reply and the reason.
        if p.turns.len() == 1 {
            persona["goals"][0]["text"] = json!(42);
        }
        persona.to_string()
    }));
    let output = run_one_segment(&mock.settings(), "openai", None).await.unwrap();
    assert_eq!(output.personas.len(), 1);
    assert_eq!(output.usage.requests, 2);
    assert_eq!(output.usage.input_tokens, 2 * INPUT_TOKENS);
    let requests = mock.requests();
    let messages = requests[1].body["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    assert!(messages[2]["content"].as_str().unwrap().contains("\"text\":42"));
    assert_eq!(
        messages[3]["content"],
        "Your reply was not valid: goals[0].text: expected a string, got a number. Reply with only the JSON object."
    );
}

#[tokio::test]
async fn an_invalid_reply_twice_fails_the_run_naming_provider_model_and_reason() {
    let mock = MockLlm::start().await;
    mock.always(Reply::fixed("I cannot produce JSON today."));
    let message = provider_error(run_one_segment(&failing(&mock), "gemini", Some("gem-x")).await);
    assert_eq!(
        message,
        "gemini model gem-x wrote an invalid persona 1 of 1 twice: the reply contains no JSON object"
    );
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after_then_succeed() {
    // OpenAI says it in a header, Gemini in the error body (RetryInfo.retryDelay).
    for provider in ["openai", "gemini"] {
        let mock = MockLlm::start().await;
        mock.script([Reply::Error {
            status: 429,
            message: "Rate limit reached for requests".into(),
            code: Some("rate_limit_exceeded".into()),
            retry_after: Some("1".into()),
        }]);
        let output = run_one_segment(&mock.settings(), provider, None).await.unwrap();
        assert_eq!(output.personas.len(), 1);
        let requests = mock.requests();
        assert_eq!(requests.len(), 2);
        let waited = requests[1].at - requests[0].at;
        // The base delay is 10 ms: only the server's wait explains a wait of a second.
        assert!(waited >= Duration::from_millis(950), "{provider} waited {waited:?}");
        assert!(waited < Duration::from_secs(5), "{provider} waited {waited:?}");
    }
}

#[tokio::test]
async fn rate_limits_that_persist_fail_after_the_retries() {
    let mock = MockLlm::start().await;
    mock.always(Reply::error(
        429,
        "Number of request tokens has exceeded your per-minute rate limit",
    ));
    let mut settings = failing(&mock);
    settings.llm.max_retries = 2;
    let message = provider_error(run_one_segment(&settings, "anthropic", None).await);
    assert_eq!(message, "rate-limited by anthropic after 2 retries");
    assert_eq!(mock.requests().len(), 3);
}

#[tokio::test]
async fn wrong_keys_fail_with_the_variable_to_check_and_never_the_key() {
    let mock = MockLlm::start().await;
    for (provider, expected) in [
        ("openai", "authentication failed for openai: check OPENAI_API_KEY"),
        (
            "anthropic",
            "authentication failed for anthropic: check ANTHROPIC_API_KEY",
        ),
        (
            "gemini",
            "authentication failed for gemini: check GEMINI_API_KEY or GOOGLE_API_KEY",
        ),
    ] {
        let mut settings = mock.settings();
        let wrong = Secret::new("sk-wrong-key-0000");
        settings.providers.openai.api_key = Some(wrong.clone());
        settings.providers.anthropic.api_key = Some(wrong.clone());
        settings.providers.gemini.api_key = Some(wrong);
        let before = mock.requests().len();
        let message = provider_error(run_one_segment(&settings, provider, None).await);
        assert_eq!(message, expected);
        assert!(!message.contains("sk-wrong-key-0000"));
        assert_eq!(
            mock.requests().len(),
            before + 1,
            "{provider}: authentication is not retried"
        );
    }
}

#[tokio::test]
async fn provider_messages_that_echo_the_key_are_redacted() {
    let mock = MockLlm::start().await;
    mock.always(Reply::error(
        422,
        &format!("Invalid request with key {OPENAI_KEY} and bad params"),
    ));
    let message = provider_error(run_one_segment(&mock.settings(), "openai", Some("gpt-x")).await);
    assert_eq!(
        message,
        "openai rejected the request for model gpt-x (HTTP 422): Invalid request with key *** and bad params"
    );
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_until_the_retries_run_out() {
    let mock = MockLlm::start().await;
    mock.always(Reply::error(503, "The server is overloaded"));
    let mut settings = failing(&mock);
    settings.llm.max_retries = 2;
    settings.llm.retry_base_delay_ms = 100;
    let message = provider_error(run_one_segment(&settings, "gemini", None).await);
    assert_eq!(message, "gemini unavailable after 2 retries (HTTP 503)");
    let requests = mock.requests();
    assert_eq!(requests.len(), 3);
    let first_gap = requests[1].at - requests[0].at;
    let second_gap = requests[2].at - requests[1].at;
    // 100 ms then 200 ms, each ±20 %.
    assert!(first_gap >= Duration::from_millis(80), "{first_gap:?}");
    assert!(second_gap >= Duration::from_millis(160), "{second_gap:?}");
}

#[tokio::test]
async fn a_provider_that_does_not_answer_times_out() {
    let mock = MockLlm::start().await;
    mock.always(Reply::Delayed(
        Duration::from_secs(30),
        std::sync::Arc::new(grounded_persona),
    ));
    let mut settings = failing(&mock);
    settings.llm.timeout_seconds = 1;
    settings.llm.max_retries = 1;
    let started = Instant::now();
    let message = provider_error(run_one_segment(&settings, "ollama", None).await);
    assert_eq!(
        message,
        "ollama did not answer within 1 s (2 attempts); raise llm.timeout_seconds (PERSONA_LLM_TIMEOUT_SECONDS), \
         e.g. to 4, or lower llm.max_output_tokens (now 4096), e.g. to 2048; for a local server that answers one \
         request at a time set llm.concurrency = 1"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(mock.requests().len(), 2, "the timeout was retried once");
}

#[tokio::test]
async fn an_unknown_model_is_reported_with_what_to_do() {
    let mock = MockLlm::start().await;
    mock.script([Reply::error(404, "model \"llama9\" not found, try pulling it first")]);
    let message = provider_error(run_one_segment(&mock.settings(), "ollama", Some("llama9")).await);
    assert_eq!(
        message,
        "model llama9 not found at ollama: model \"llama9\" not found, try pulling it first; run `ollama pull llama9`"
    );
    mock.script([Reply::error_with_code(
        404,
        "The model `gpt-9` does not exist or you do not have access to it.",
        "model_not_found",
    )]);
    let message = provider_error(run_one_segment(&mock.settings(), "openai", Some("gpt-9")).await);
    assert!(message.starts_with("model gpt-9 not found at openai: "), "{message}");
}

#[tokio::test]
async fn input_that_is_too_long_is_reported() {
    let mock = MockLlm::start().await;
    mock.script([Reply::error_with_code(
        400,
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
        "context_length_exceeded",
    )]);
    let message = provider_error(run_one_segment(&mock.settings(), "openai", Some("gpt-small")).await);
    assert_eq!(
        message,
        "input too long for openai model gpt-small: This model's maximum context length is 8192 tokens. However, \
         your messages resulted in 9000 tokens.; lower llm.evidence_token_budget (PERSONA_LLM_EVIDENCE_TOKEN_BUDGET, \
         now 6000), e.g. to 3000, or set llm.context_tokens (PERSONA_LLM_CONTEXT_TOKENS) to the model's context window"
    );
    mock.script([Reply::error(400, "prompt is too long: 250000 tokens > 200000 maximum")]);
    let message = provider_error(run_one_segment(&mock.settings(), "anthropic", Some("claude-x")).await);
    assert!(
        message.starts_with("input too long for anthropic model claude-x: prompt is too long"),
        "{message}"
    );
}

#[tokio::test]
async fn invented_quotes_are_removed_and_counted() {
    let mock = MockLlm::start().await;
    mock.always(Reply::text(|p| {
        let mut persona: serde_json::Value = serde_json::from_str(&grounded_persona(p)).unwrap();
        let quotes = persona["quotes"].as_array_mut().unwrap();
        quotes.push(json!({"text": "This product changed my life forever.", "evidence": ["E1"]}));
        quotes.push(json!({"text": "I would pay double for this.", "evidence": []}));
        // Real words, wrongly cited: kept with the excerpt that holds them.
        let last = p.excerpts.last().unwrap();
        quotes.push(json!({"text": first_words(&last.text, 6), "evidence": ["E1"]}));
        persona.to_string()
    }));
    let corpus = corpus();
    let output = run_one_segment(&mock.settings(), "openai", None).await.unwrap();
    assert_eq!(output.grounding.quotes_removed, 2);
    assert_eq!(
        output.grounding.evidence_removed, 2,
        "E1 cited for an invented and a misplaced quote"
    );
    let persona = &output.personas[0];
    assert_eq!(persona.quotes.len(), 3);
    assert!(
        !persona
            .quotes
            .iter()
            .any(|q| q.contains("changed my life") || q.contains("pay double"))
    );
    assert_grounded(&output, &corpus);
    assert_eq!(
        output.warnings,
        vec![
            "persona 1 of 1 (Persona P01): removed 2 ungrounded quotes, 2 invalid evidence references; \
             dropped 0 claims without evidence"
        ]
    );
}

#[tokio::test]
async fn claims_without_valid_evidence_are_dropped_and_counted() {
    let mock = MockLlm::start().await;
    mock.always(Reply::text(|p| {
        let mut persona: serde_json::Value = serde_json::from_str(&grounded_persona(p)).unwrap();
        let first = &p.excerpts[0];
        persona["goals"] = json!([
            {"text": "Get unpaid invoices paid", "evidence": ["E1", "E99"]},
            {"text": "Become a millionaire", "evidence": ["E99"]},
            {"text": "Retire early"},
            // A claim that is itself a participant's words stands on them.
            first_words(&first.text, 7),
        ]);
        persona["pain_points"] = json!([{"text": "Everything", "evidence": ["nonsense"]}]);
        persona.to_string()
    }));
    let corpus = corpus();
    let output = run_one_segment(&mock.settings(), "gemini", None).await.unwrap();
    let persona = &output.personas[0];
    assert_eq!(
        persona.goals,
        vec![
            "Get unpaid invoices paid".to_string(),
            first_words(&corpus.utterances[0].text, 7)
        ]
    );
    assert!(persona.pain_points.is_empty());
    assert_eq!(output.grounding.claims_dropped, 3);
    assert_eq!(output.grounding.evidence_removed, 3, "E99 twice and \"nonsense\"");
    assert_eq!(output.grounding.quotes_removed, 0);
    assert_grounded(&output, &corpus);
}

#[tokio::test]
async fn a_persona_with_nothing_grounded_is_asked_again_then_falls_back_or_fails() {
    let mock = MockLlm::start().await;
    mock.always(Reply::fixed(
        json!({
            "name": "Ghost", "title": "The Invention", "summary": "Made up.",
            "goals": [{"text": "Fly", "evidence": ["E42"]}],
            "quotes": [{"text": "I can fly", "evidence": ["E1"]}]
        })
        .to_string(),
    ));
    let output = run_one_segment(&mock.settings(), "ollama", Some("tiny")).await.unwrap();
    assert_eq!(mock.requests().len(), 2, "the empty persona used the retry");
    let retry = &mock.requests()[1].body["messages"][3]["content"];
    assert!(
        retry
            .as_str()
            .unwrap()
            .contains("no goal, pain point, motivation, behaviour or quote is supported"),
        "{retry}"
    );
    assert_fell_back(&output, 0, "ollama model tiny wrote persona 1 of 1 twice with no goal");
    assert_grounded(&output, &corpus());

    let message = provider_error(run_one_segment(&failing(&mock), "ollama", Some("tiny")).await);
    assert_eq!(
        message,
        "ollama model tiny wrote persona 1 of 1 twice with no goal, pain point, motivation, behaviour or quote \
         supported by the evidence (removed 1 ungrounded quote, 2 invalid evidence references; dropped 1 claim \
         without evidence); try another model"
    );
}

/// Persona `index` of `output` is the local provider's, and a warning says why.
fn assert_fell_back(output: &GenerationOutput, index: usize, reason: &str) {
    let persona = &output.personas[index];
    assert_eq!(persona.provider, "local (fallback)");
    assert_eq!(persona.model, "local-v1");
    assert!(persona.unevidenced_claims().is_empty(), "{persona:#?}");
    let prefix = format!(
        "persona {} of {} ({}) was written by the local provider: {reason}",
        index + 1,
        output.personas.len(),
        persona.name
    );
    assert!(
        output.warnings.iter().any(|w| w.starts_with(&prefix)),
        "{prefix:?} not in {:#?}",
        output.warnings
    );
}

#[tokio::test]
async fn a_persona_with_only_behaviours_is_kept_with_a_warning() {
    let mock = MockLlm::start().await;
    mock.always(Reply::text(|p| {
        json!({
            "name": "Quiet", "title": "The Observer", "summary": "Says little.",
            "behaviours": [{"text": "Spends Friday afternoons chasing invoices", "evidence": [p.excerpts[0].id]}]
        })
        .to_string()
    }));
    let output = run_one_segment(&mock.settings(), "anthropic", None).await.unwrap();
    assert_eq!(
        output.personas[0].behaviours,
        vec!["Spends Friday afternoons chasing invoices"]
    );
    assert_eq!(
        output.warnings,
        vec!["persona 1 of 1 (Quiet) has no goals, pain points or quotes supported by the evidence, only behaviours"]
    );
}

#[tokio::test]
async fn repeated_names_are_made_unique() {
    let mock = MockLlm::start().await;
    mock.always(Reply::text(|p| {
        let mut persona: serde_json::Value = serde_json::from_str(&grounded_persona(p)).unwrap();
        persona["name"] = json!("Sam Lee");
        persona.to_string()
    }));
    let output = run(&mock.settings(), "openai", None).await.unwrap();
    let names: Vec<&str> = output.personas.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Sam Lee", "Sam Lee B."]);
}

#[tokio::test]
async fn concurrency_is_limited_by_the_setting() {
    let mock = MockLlm::start().await;
    mock.always(Reply::Delayed(
        Duration::from_millis(300),
        std::sync::Arc::new(grounded_persona),
    ));
    let mut settings = mock.settings();
    settings.llm.concurrency = 2;
    let corpus = corpus();
    let groups: [&[&str]; 5] = [&["P01"], &["P02"], &["P03"], &["P04"], &["P06"]];
    let segments = segments(&corpus, &groups);
    let output = synthesize(
        &settings,
        &generation("openai", None),
        &corpus,
        &segments,
        &Recorder::default(),
    )
    .await
    .unwrap();
    assert_eq!(mock.max_in_flight(), 2);
    assert_eq!(mock.requests().len(), 5);
    let participants: Vec<&str> = output.personas.iter().map(|p| p.participants[0].as_str()).collect();
    assert_eq!(
        participants,
        ["P01", "P02", "P03", "P04", "P06"],
        "results stay in segment order"
    );
}

#[tokio::test]
async fn reasoning_models_get_the_parameters_they_accept() {
    let mock = MockLlm::start().await;
    let mut settings = mock.settings();
    settings.llm.concurrency = 1;
    let output = run(&settings, "openai", Some(REASONING_MODEL)).await.unwrap();
    assert_eq!(output.personas.len(), 2);
    let requests = mock.requests();
    let last = requests.last().unwrap();
    assert_eq!(last.body["max_completion_tokens"], 4096);
    assert!(last.body.get("max_tokens").is_none() && last.body.get("temperature").is_none());
    // Learnt once for the run: three requests for the first persona, one for the second.
    assert_eq!(requests.len(), 4);
    assert_eq!(output.usage.requests, 2, "refused requests produce no completion");
}

#[tokio::test]
async fn gemini_blocked_prompts_are_clear_errors() {
    let mock = MockLlm::start().await;
    mock.always(Reply::Raw(json!({"promptFeedback": {"blockReason": "SAFETY"}})));
    let message = provider_error(run_one_segment(&failing(&mock), "gemini", Some("gem-x")).await);
    assert_eq!(
        message,
        "gemini sent an unusable reply for model gem-x: the prompt was blocked (SAFETY)"
    );
}

#[tokio::test]
async fn an_unreachable_provider_is_named_with_its_address() {
    let mock = MockLlm::start().await;
    let mut settings = mock.settings();
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    settings.providers.ollama.base_url = format!("http://127.0.0.1:{port}");
    settings.llm.max_retries = 1;
    let message = provider_error(run_one_segment(&settings, "ollama", None).await);
    assert!(
        message.starts_with(&format!(
            "cannot reach ollama at http://127.0.0.1:{port}/ after 1 retry: "
        )),
        "{message}"
    );
}

#[tokio::test]
async fn cancellation_stops_a_run_that_waits_on_the_model() {
    let mock = MockLlm::start().await;
    mock.always(Reply::Delayed(
        Duration::from_secs(30),
        std::sync::Arc::new(grounded_persona),
    ));
    let corpus = corpus();
    let segments = two_segments(&corpus);
    let settings = mock.settings();
    let generation = generation("anthropic", None);
    let recorder = Recorder::default();
    let started = Instant::now();
    let run = synthesize(&settings, &generation, &corpus, &segments, &recorder);
    let cancel = async {
        // Cancel once the request is at the model, so the run is truly waiting.
        while mock.requests().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        recorder.cancel.store(true, Ordering::SeqCst);
    };
    let (result, ()) = tokio::join!(run, cancel);
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn unconfigured_and_local_providers_are_refused_before_any_request() {
    let mock = MockLlm::start().await;
    let mut settings = mock.settings();
    settings.providers.openai.api_key = None;
    let err = run_one_segment(&settings, "openai", None).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }));
    assert_eq!(err.to_string(), "provider openai is not configured: set OPENAI_API_KEY");
    let err = run_one_segment(&settings, "local", None).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn the_mock_rejects_requests_the_real_apis_would_reject() {
    let mock = MockLlm::start().await;
    let client = reqwest::Client::new();
    let post = |path: &str, headers: &[(&str, &str)], body: serde_json::Value| {
        let mut request = client.post(format!("{}{path}", mock.url)).json(&body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let chat =
        json!({"model": "m", "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]});
    let status = |r: reqwest::Response| r.status().as_u16();
    let streaming =
        json!({"model": "m", "messages": chat["messages"], "format": "json", "options": {"num_predict": 5}});
    assert_eq!(status(post("/api/chat", &[], streaming).await.unwrap()), 400);
    let anthropic =
        json!({"model": "m", "system": "s", "max_tokens": 5, "messages": [{"role": "user", "content": "u"}]});
    assert_eq!(
        status(
            post("/v1/messages", &[("x-api-key", ANTHROPIC_KEY)], anthropic.clone())
                .await
                .unwrap()
        ),
        400
    );
    assert_eq!(
        status(
            post(
                "/v1/messages",
                &[("x-api-key", "nope"), ("anthropic-version", "2023-06-01")],
                anthropic
            )
            .await
            .unwrap()
        ),
        401
    );
    let bearer = format!("Bearer {OPENAI_KEY}");
    assert_eq!(
        status(
            post("/v1/chat/completions", &[("authorization", bearer.as_str())], chat)
                .await
                .unwrap()
        ),
        400,
        "no max_tokens, temperature or response_format"
    );
    let gemini = json!({"contents": [{"role": "user", "parts": [{"text": "u"}]}]});
    let in_query = format!("/v1beta/models/m:generateContent?key={GEMINI_KEY}");
    assert_eq!(status(post(&in_query, &[], gemini.clone()).await.unwrap()), 400);
    assert_eq!(
        status(post("/v1beta/models/m:generateContent", &[], gemini).await.unwrap()),
        403
    );
}

#[tokio::test]
async fn ollama_is_given_a_context_window_that_holds_the_whole_prompt() {
    // Forty long answers: the evidence alone is several thousand tokens, beyond Ollama's default
    // window, which the mock (like the real server) would cut.
    let texts: Vec<String> = (0..40)
        .map(|i| {
            format!(
                "Participant {i} explains at length how the monthly invoicing routine works for them: \
                 they collect receipts in a shoebox, copy amounts into a spreadsheet on Sunday evenings, \
                 chase the clients who pay late by phone, and reconcile the bank export by hand because \
                 the accounting tool loses transactions whenever the connection drops during a sync."
            )
        })
        .collect();
    let ids: Vec<String> = (0..40).map(|i| format!("P{i:02}")).collect();
    let corpus = Corpus {
        participants: ids
            .iter()
            .map(|id| Participant {
                id: id.clone(),
                attributes: Default::default(),
            })
            .collect(),
        utterances: texts
            .iter()
            .zip(&ids)
            .enumerate()
            .map(|(i, (text, id))| Utterance {
                question: None,
                participant_id: id.clone(),
                source: 0,
                location: format!("line {}", i + 2),
                text: text.clone(),
            })
            .collect(),
        sources: vec![SourceFile {
            path: "long.csv".into(),
            format: "csv".into(),
            bytes: 20_000,
            sha256: "0".repeat(64),
            participants: 40,
            utterances: 40,
        }],
        ..Default::default()
    };
    let group: Vec<&str> = ids.iter().map(String::as_str).collect();
    let segments = segments(&corpus, &[&group]);
    let mock = MockLlm::start().await;
    let mut settings = mock.settings();
    settings.llm.evidence_token_budget = Settings::default().llm.evidence_token_budget;
    let output = synthesize(
        &settings,
        &generation("ollama", None),
        &corpus,
        &segments,
        &Recorder::default(),
    )
    .await
    .unwrap();
    assert_eq!(output.personas.len(), 1);
    let sent = &mock.requests()[0].body;
    let prompt_chars: usize = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().len())
        .sum();
    assert!(
        prompt_chars / 4 > 2048,
        "the prompt ({prompt_chars} chars) exceeds the default window"
    );
    assert!(sent["options"]["num_ctx"].as_u64().unwrap() as usize >= prompt_chars / 4);
}

/// Runs one segment and expects its persona to be the local fallback for `reason`.
async fn expect_fallback(mock: &MockLlm, provider: &str, model: Option<&str>, reason: &str) -> GenerationOutput {
    let output = run_one_segment(&mock.settings(), provider, model)
        .await
        .unwrap_or_else(|e| panic!("{provider}: the run should complete, got {e}"));
    assert_eq!(output.personas.len(), 1);
    assert_fell_back(&output, 0, reason);
    assert_grounded(&output, &corpus());
    output
}

#[tokio::test]
async fn a_reply_missing_fields_twice_falls_back_to_the_local_persona() {
    let mock = MockLlm::start().await;
    mock.always(Reply::text(|p| {
        let mut persona: serde_json::Value = serde_json::from_str(&grounded_persona(p)).unwrap();
        persona.as_object_mut().unwrap().remove("summary");
        persona["goals"][0].as_object_mut().unwrap().remove("text");
        persona.to_string()
    }));
    let output = expect_fallback(
        &mock,
        "openai",
        Some("tiny"),
        "openai model tiny wrote an invalid persona 1 of 1 twice: summary: missing",
    )
    .await;
    assert_eq!(output.usage.requests, 2, "the tokens of both attempts are counted");
    assert_eq!(output.provider, "openai");
}

#[tokio::test]
async fn a_truncated_reply_is_retried_as_cut_off_then_falls_back() {
    let mock = MockLlm::start().await;
    let cut = r#"{"name": "Maya Okafor", "title": "The Seller", "summary": "Sells a lot", "goals": [{"text": "Close"#;
    mock.always(Reply::Raw(json!({
        "model": "tiny",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": cut}, "finish_reason": "length"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 64},
    })));
    let mut settings = mock.settings();
    settings.llm.max_output_tokens = 64;
    let corpus = corpus();
    let segments = segments(&corpus, &[&["P01", "P02"]]);
    let recorder = Recorder::default();
    let output = synthesize(
        &settings,
        &generation("openai", Some("tiny")),
        &corpus,
        &segments,
        &recorder,
    )
    .await
    .unwrap();
    assert_fell_back(
        &output,
        0,
        "openai model tiny wrote an invalid persona 1 of 1 twice: the reply is not valid JSON",
    );
    assert!(
        output.warnings[0].contains("(the reply was cut off at llm.max_output_tokens = 64)"),
        "{:?}",
        output.warnings
    );
    let messages = recorder.messages.lock().unwrap().clone();
    assert!(
        messages.contains(&"persona 1 of 1: retrying: reply cut off".to_string()),
        "{messages:?}"
    );
    assert_eq!(output.usage.output_tokens, 128);
}

#[tokio::test]
async fn an_echo_of_the_template_is_retried_and_never_kept() {
    let mock = MockLlm::start().await;
    // What a 135M model sent back: the template, with one invented goal citing E1.
    let echo = json!({
        "name": "string", "title": "string", "summary": "One or two sentences on who this is",
        "demographics": {"attribute": "value as a string"},
        "goals": [{"text": "I will eat four meals per day", "evidence": ["E1"]}],
        "pain_points": [{"text": "string", "evidence": ["E2"]}],
        "behaviours": [], "quotes": []
    })
    .to_string();
    mock.script([Reply::fixed(echo.clone())]);
    // The retry is answered properly: the echo costs one request, not the persona.
    let output = run_one_segment(&mock.settings(), "ollama", Some("tiny")).await.unwrap();
    assert_eq!(output.personas[0].provider, "ollama");
    assert_eq!(output.personas[0].name, "Persona P01");
    let retry = mock.requests()[1].body["messages"][3]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        retry,
        "Your reply was not valid: name: \"string\" is the template's placeholder; write the persona's own value. \
         Reply with only the JSON object."
    );
    mock.always(Reply::fixed(echo));
    expect_fallback(
        &mock,
        "ollama",
        Some("tiny"),
        "ollama model tiny wrote an invalid persona 1 of 1 twice: name: \"string\" is the template's placeholder",
    )
    .await;
}

#[tokio::test]
async fn a_claim_its_excerpt_does_not_say_is_dropped_and_counted() {
    let mock = MockLlm::start().await;
    mock.always(Reply::text(|p| {
        let mut persona: serde_json::Value = serde_json::from_str(&grounded_persona(p)).unwrap();
        // E1 is "I spend every Friday afternoon chasing unpaid invoices."
        persona["goals"]
            .as_array_mut()
            .unwrap()
            .push(json!({"text": "I will eat four meals per day", "evidence": ["E1"]}));
        persona.to_string()
    }));
    let output = run_one_segment(&mock.settings(), "gemini", None).await.unwrap();
    let persona = &output.personas[0];
    assert_eq!(persona.provider, "gemini");
    assert_eq!(persona.goals.len(), 1);
    assert!(!persona.goals.iter().any(|g| g.contains("meals")));
    assert_eq!(output.grounding.claims_dropped, 1);
    assert_eq!(output.grounding.claims_unsupported, 1);
    assert_eq!(
        output.warnings,
        vec![
            "persona 1 of 1 (Persona P01): removed 0 ungrounded quotes, 0 invalid evidence references; dropped 1 \
             claim without evidence (1 not supported by the excerpts they cite)"
        ]
    );
    assert_grounded(&output, &corpus());
}

#[tokio::test]
async fn a_server_that_refuses_the_schema_is_asked_again_without_it_with_a_warning() {
    let mock = MockLlm::start().await;
    for provider in PROVIDERS {
        let before = mock.requests().len();
        let output = run(&mock.settings(), provider, Some(NO_SCHEMA_MODEL))
            .await
            .unwrap_or_else(|e| panic!("{provider}: {e}"));
        assert_eq!(output.personas.len(), 2);
        assert!(output.personas.iter().all(|p| p.provider == provider), "{provider}");
        assert_eq!(output.warnings.len(), 1, "{provider}: {:?}", output.warnings);
        assert!(
            output.warnings[0].starts_with(&format!("{provider} refused the persona schema (")),
            "{:?}",
            output.warnings
        );
        let requests = &mock.requests()[before..];
        // Learnt once for the run: both personas may have been refused before it was learnt.
        assert!((3..=4).contains(&requests.len()), "{provider}: {}", requests.len());
        let last = &requests.last().unwrap().body;
        match provider {
            "openai" => assert_eq!(last["response_format"], json!({"type": "json_object"})),
            "anthropic" => assert!(last.get("tools").is_none() && last.get("tool_choice").is_none()),
            "gemini" => assert!(last["generationConfig"].get("responseSchema").is_none()),
            _ => assert_eq!(last["format"], "json"),
        }
    }
}

#[tokio::test]
async fn one_bad_persona_does_not_sink_the_run() {
    let mock = MockLlm::start().await;
    // The second segment's participants (P04–P06) always get a reply without JSON.
    mock.always(Reply::text(|p| {
        if p.excerpts[0].participant == "P04" {
            "Sorry, I am not sure what you mean.".to_string()
        } else {
            grounded_persona(p)
        }
    }));
    let output = run(&mock.settings(), "anthropic", Some("small")).await.unwrap();
    assert_eq!(output.personas[0].provider, "anthropic");
    assert_fell_back(
        &output,
        1,
        "anthropic model small wrote an invalid persona 2 of 2 twice",
    );
    assert_eq!(output.usage.requests, 3);
    assert_grounded(&output, &corpus());
}

#[tokio::test]
async fn the_fallback_fail_keeps_a_failing_persona_failing_and_is_validated() {
    let mock = MockLlm::start().await;
    mock.always(Reply::fixed("no JSON"));
    let corpus = corpus();
    let segments = segments(&corpus, &[&["P01", "P02"]]);
    let mut asked = generation("openai", Some("tiny"));
    asked.options.insert("fallback".into(), json!("fail"));
    let message = provider_error(synthesize(&mock.settings(), &asked, &corpus, &segments, &Recorder::default()).await);
    assert_eq!(
        message,
        "openai model tiny wrote an invalid persona 1 of 1 twice: the reply contains no JSON object"
    );
    asked.options.insert("fallback".into(), json!("maybe"));
    let before = mock.requests().len();
    match synthesize(&mock.settings(), &asked, &corpus, &segments, &Recorder::default()).await {
        Err(Error::Validation { message, fields }) => {
            assert_eq!(fields[0].field, "config.fallback");
            assert_eq!(message, "config.fallback: must be \"local\" or \"fail\", got \"maybe\"");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(mock.requests().len(), before, "refused before any request");
}

#[tokio::test]
async fn a_failed_run_still_writes_its_metadata_with_usage_and_error() {
    use persona::generate::{RunRequest, execute_corpus_run};
    let mock = MockLlm::start().await;
    mock.always(Reply::fixed("no JSON"));
    let dir = tempfile::tempdir().unwrap();
    let request = RunRequest {
        data_path: dir.path().join("interviews.csv"),
        // One persona: its two attempts are all the requests.
        generation: GenerationSettings {
            count: 1,
            ..generation("openai", Some("tiny"))
        },
        run_id: None,
        experiment_id: None,
        output_dir: dir.path().join("output"),
        confine_to: None,
    };
    let result = execute_corpus_run(corpus(), &request, &failing(&mock), &persona::generate::NoProgress).await;
    let message = provider_error(result.map(|_| unreachable!("the run fails")));
    assert!(message.contains("wrote an invalid persona"), "{message}");
    let folders: Vec<_> = std::fs::read_dir(dir.path().join("output"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(folders.len(), 1);
    let metadata: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folders[0].join("metadata.json")).unwrap()).unwrap();
    assert_eq!(metadata["error"], message, "{metadata}");
    assert_eq!(metadata["count_produced"], 0);
    assert_eq!(metadata["provider"], "openai");
    assert_eq!(metadata["usage"]["requests"], 2, "{metadata}");
    assert!(metadata["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert!(metadata.get("quality").is_none());
}

#[tokio::test]
async fn a_chat_path_that_is_missing_names_the_base_url_to_check() {
    let mock = MockLlm::start().await;
    let mut settings = mock.settings();
    // Without /v1, an OpenAI-compatible server has no /chat/completions.
    settings.providers.openai.base_url = mock.url.clone();
    let message = provider_error(run_one_segment(&settings, "openai", None).await);
    assert!(
        message.starts_with(&format!(
            "openai has no chat endpoint at {}/ (HTTP 404): check OPENAI_BASE_URL (OpenAI-compatible servers",
            mock.url
        )),
        "{message}"
    );
    assert!(message.contains("need the /v1 suffix"), "{message}");
}

/// The text of the `<excerpt …>` block of a user prompt that starts with `prefix` (claim ranking
/// decides the order of the excerpts, so the one a test needs is looked for among all of them).
fn excerpt_starting<'p>(prompt: &'p str, prefix: &str) -> &'p str {
    prompt
        .split("\n</excerpt>")
        .filter_map(|block| block.rsplit_once(">\n").map(|(_, text)| text))
        .find(|text| text.starts_with(prefix))
        .unwrap_or_else(|| panic!("no excerpt starts with {prefix:?} in {prompt}"))
}

#[tokio::test]
async fn a_local_servers_reported_context_is_used_when_none_is_configured() {
    let mock = MockLlm::start().await;
    mock.report_context(2048);
    let mut settings = mock.settings();
    assert_eq!(settings.llm.context_tokens, 0, "not configured");
    settings.llm.max_output_tokens = 400;
    let long = "word ".repeat(400);
    let mut corpus = corpus();
    corpus.utterances[0].text =
        format!("I spend every Friday afternoon chasing unpaid invoices, and I hate it. {long}");
    let segments = two_segments(&corpus);
    for provider in ["ollama", "openai"] {
        let before = mock.requests().len();
        synthesize(
            &settings,
            &generation(provider, None),
            &corpus,
            &segments,
            &Recorder::default(),
        )
        .await
        .unwrap();
        let request = &mock.requests()[before].body;
        if provider == "ollama" {
            assert_eq!(
                request["options"]["num_ctx"], 2048,
                "never more than the server reports"
            );
        }
        let prompt = request["messages"][1]["content"].as_str().unwrap();
        let long_one = excerpt_starting(prompt, "I spend every Friday afternoon");
        assert!(
            long_one.chars().count() <= 300,
            "{provider}: the long excerpt was cut: {long_one}"
        );
    }
}

#[tokio::test]
async fn a_small_context_gets_fewer_shorter_excerpts() {
    let mock = MockLlm::start().await;
    let mut settings = mock.settings();
    settings.llm.context_tokens = 2048;
    settings.llm.max_output_tokens = 400;
    let long = "word ".repeat(400);
    let mut corpus = corpus();
    corpus.utterances[0].text =
        format!("I spend every Friday afternoon chasing unpaid invoices, and I hate it. {long}");
    let segments = two_segments(&corpus);
    synthesize(
        &settings,
        &generation("ollama", None),
        &corpus,
        &segments,
        &Recorder::default(),
    )
    .await
    .unwrap();
    let request = &mock.requests()[0].body;
    assert_eq!(request["options"]["num_ctx"], 2048, "never more than the model has");
    let prompt = request["messages"][1]["content"].as_str().unwrap();
    let long_one = excerpt_starting(prompt, "I spend every Friday afternoon");
    assert!(long_one.chars().count() <= 300, "the long excerpt was cut: {long_one}");
}

/// `persona generate` against the mock: returns (exit code, stdout, stderr).
async fn cli_generate(mock: &MockLlm, dir: &std::path::Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_persona"));
    command
        .args([
            "generate",
            "--data",
            "interviews.csv",
            "--count",
            "1",
            "--provider",
            "openai",
            "--model",
            "tiny",
        ])
        .args(extra)
        .current_dir(dir)
        .env_remove("PERSONA_CONFIG")
        .env_remove("PERSONA_STORAGE_OUTPUT_DIR")
        .env_remove("PERSONA_LLM_FALLBACK")
        .env_remove("RUST_LOG")
        .env("OPENAI_BASE_URL", format!("{}/v1", mock.url))
        .env("OPENAI_API_KEY", OPENAI_KEY)
        .env("PERSONA_LLM_RETRY_BASE_DELAY_MS", "10");
    let out = tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_shows_each_persona_and_retry_and_takes_the_fallback_flag() {
    let mock = MockLlm::start().await;
    mock.always(Reply::fixed("I am not sure what you mean."));
    let dir = tempfile::tempdir().unwrap();
    crate::support::write_planted_csv(&dir.path().join("interviews.csv"), 1, 4);

    let (code, stdout, stderr) = cli_generate(&mock, dir.path(), &[]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("persona 1 of 1: asking openai/tiny"), "{stderr}");
    assert!(stderr.contains("persona 1 of 1: retrying: invalid reply"), "{stderr}");
    assert!(
        stderr.contains("persona 1 of 1: written by the local provider instead (openai model tiny wrote an invalid"),
        "{stderr}"
    );
    let folder = dir.path().join(stdout.trim().strip_prefix("Output: ").expect(&stdout));
    let metadata: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("metadata.json")).unwrap()).unwrap();
    let warnings = metadata["warnings"].to_string();
    assert!(
        warnings.contains("was written by the local provider: openai model tiny"),
        "{warnings}"
    );
    assert_eq!(metadata["usage"]["requests"], 2);
    let personas: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("personas.json")).unwrap()).unwrap();
    assert_eq!(personas[0]["provider"], "local (fallback)");

    let (code, _, stderr) = cli_generate(&mock, dir.path(), &["--fallback", "fail"]).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("openai model tiny wrote an invalid persona 1 of 1 twice: the reply contains no JSON object"),
        "{stderr}"
    );
    let (code, _, stderr) = cli_generate(&mock, dir.path(), &["--fallback", "maybe"]).await;
    assert_eq!(code, Some(2), "{stderr}");
}

#[tokio::test]
async fn after_the_server_shows_it_is_busy_requests_go_one_at_a_time() {
    let mock = MockLlm::start().await;
    let delay = Duration::from_millis(200);
    // The first request finds the server busy; every answer after it takes 200 ms.
    mock.script([Reply::error(503, "Loading model")]);
    mock.always(Reply::Delayed(delay, std::sync::Arc::new(grounded_persona)));
    let mut settings = mock.settings();
    settings.llm.concurrency = 2;
    let corpus = corpus();
    let segments = segments(&corpus, &[&["P01"], &["P02"], &["P04"], &["P05"]]);
    let output = synthesize(
        &settings,
        &generation("openai", None),
        &corpus,
        &segments,
        &Recorder::default(),
    )
    .await
    .unwrap();
    assert_eq!(output.personas.len(), 4);
    assert!(output.personas.iter().all(|p| p.provider == "openai"));
    assert!(
        output
            .warnings
            .iter()
            .any(|w| w.starts_with("openai was busy (429, 503 or a timeout)")),
        "{:?}",
        output.warnings
    );
    // The first two personas were asked before the 503; the last two, after it, one at a time.
    let requests = mock.requests();
    assert_eq!(requests.len(), 5);
    let gap = requests[4].at - requests[3].at;
    assert!(
        gap >= delay - Duration::from_millis(20),
        "the last two overlapped: {gap:?}"
    );
}
