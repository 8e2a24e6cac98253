//! LLM providers through the REST API: one complete job per provider against the mock LLM
//! server, provider failures as job errors, the submit-time provider checks and
//! `GET /api/v1/providers`.

use crate::mock_llm::{
    ANTHROPIC_KEY, GEMINI_KEY, INPUT_TOKENS, MockLlm, OPENAI_KEY, OUTPUT_TOKENS, Reply, grounded_persona,
};
use crate::support::{TestApp, error_body, spawn_app, write_planted_csv};
use persona::config::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PROVIDERS: [&str; 4] = ["openai", "anthropic", "gemini", "ollama"];

/// A test server whose providers point at `mock` (keys included).
async fn app_for(mock: &MockLlm) -> TestApp {
    let llm = mock.settings();
    spawn_app(move |s: &mut Settings| {
        s.providers = llm.providers;
        s.llm = llm.llm;
    })
    .await
}

/// A grounded persona plus one quote that nobody said (grounding removes it).
fn persona_with_an_invented_quote(prompt: &crate::mock_llm::Prompt) -> String {
    let mut persona: Value = serde_json::from_str(&grounded_persona(prompt)).unwrap();
    let first = prompt.excerpts[0].id.clone();
    persona["quotes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"text": "Nobody in this study ever said these exact words", "evidence": [first]}));
    persona.to_string()
}

fn run_row(app: &TestApp, run_id: &str) -> (String, String, i64, i64, Value) {
    app.db
        .read(|c| {
            Ok(c.query_row(
                "SELECT provider, model, input_tokens, output_tokens, metadata FROM runs WHERE id = ?1",
                [run_id],
                |r| {
                    let metadata: String = r.get(4)?;
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        serde_json::from_str(&metadata).unwrap(),
                    ))
                },
            )?)
        })
        .unwrap()
}

#[tokio::test]
async fn a_job_per_provider_writes_grounded_personas_and_records_usage() {
    let mock = MockLlm::start().await;
    mock.always(Reply::text(persona_with_an_invented_quote));
    let app = app_for(&mock).await;
    write_planted_csv(&app.data_dir.join("interviews.csv"), 2, 6);
    for provider in PROVIDERS {
        let before = mock.requests().len();
        let id = app
            .create_job(
                json!({"data": "interviews.csv", "count": 2, "seed": 3, "provider": provider, "model": "mock-model"}),
            )
            .await;
        let job = app.wait_until_ended(&id).await;
        assert_eq!(job["status"], "completed", "{provider}: {job}");
        assert_eq!(
            (job["provider"].as_str(), job["model"].as_str()),
            (Some(provider), Some("mock-model"))
        );
        let personas = job["result"]["personas"].as_array().unwrap();
        assert_eq!(personas.len(), 2, "{provider}: {job}");
        let requests = mock.requests().len() - before;
        assert_eq!(requests, 2, "{provider}: one request per persona");
        for persona in personas {
            assert_eq!(persona["provider"], provider);
            assert_eq!(
                persona["model"], "mock-model-mock-0001",
                "the model the provider says answered"
            );
            assert_eq!(persona["run_id"], job["run_id"]);
            let quotes: Vec<&str> = persona["quotes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| q.as_str().unwrap())
                .collect();
            assert_eq!(quotes.len(), 2, "{provider}: the invented quote is removed: {persona}");
            assert!(!quotes.iter().any(|q| q.contains("Nobody in this study")));
            assert!(!persona["evidence"].as_array().unwrap().is_empty());
            assert_eq!(
                persona["quality"]["persona_id"], persona["id"],
                "scored at the end of the run"
            );
        }

        let run_id = job["run_id"].as_str().unwrap();
        let (run_provider, model, input_tokens, output_tokens, metadata) = run_row(&app, run_id);
        assert_eq!((run_provider.as_str(), model.as_str()), (provider, "mock-model"));
        assert_eq!(input_tokens as u64, 2 * INPUT_TOKENS, "{provider}");
        assert_eq!(output_tokens as u64, 2 * OUTPUT_TOKENS, "{provider}");
        assert_eq!(
            metadata["usage"],
            json!({"input_tokens": 2 * INPUT_TOKENS, "output_tokens": 2 * OUTPUT_TOKENS, "requests": 2})
        );
        assert_eq!(metadata["grounding"]["quotes_removed"], 2, "{provider}: {metadata}");
        assert_eq!(metadata["quality"]["persona_count"], 2, "{metadata}");

        // metadata.json in the run folder says the same.
        let folder = std::path::Path::new(job["result"]["output_path"].as_str().unwrap());
        let file: Value = serde_json::from_slice(&std::fs::read(folder.join("metadata.json")).unwrap()).unwrap();
        assert_eq!(file["usage"], metadata["usage"]);
        assert_eq!(file["grounding"], metadata["grounding"]);
        assert_eq!(file["provider"], provider);
    }
}

#[tokio::test]
async fn the_event_stream_says_what_the_model_is_doing_persona_by_persona() {
    let mock = MockLlm::start().await;
    mock.always(Reply::text(grounded_persona));
    let app = app_for(&mock).await;
    write_planted_csv(&app.data_dir.join("interviews.csv"), 2, 6);
    let id = app
        .create_job(
            json!({"data": "interviews.csv", "count": 2, "seed": 3, "provider": "openai", "model": "mock-model"}),
        )
        .await;
    assert_eq!(app.wait_until_ended(&id).await["status"], "completed");

    // The job has ended, so its stream replays every stored event and closes.
    let stream = app
        .get(&format!("/api/v1/generate/{id}/events"))
        .await
        .text()
        .await
        .unwrap();
    let messages: Vec<Value> = stream
        .split("\n\n")
        .filter(|frame| frame.lines().any(|l| l == "event: message"))
        .map(|frame| {
            let data = frame.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
            serde_json::from_str(data).unwrap()
        })
        .collect();
    assert!(!messages.is_empty(), "{stream}");
    for message in &messages {
        assert_eq!(
            message["job_id"],
            id.as_str(),
            "a message event carries the job view: {message}"
        );
        assert_eq!(message["status"], "running");
    }
    let last = messages.last().unwrap()["message"].as_str().unwrap();
    assert!(
        last.starts_with("2 of 2 personas written with openai/mock-model (") && last.ends_with(" tokens so far)"),
        "{last}"
    );
    let terminal = stream
        .rfind("event: completed")
        .expect("the stream ends with the terminal event");
    assert!(stream.rfind("event: message").unwrap() < terminal);
}

#[tokio::test]
async fn provider_failures_end_the_job_with_a_clear_error() {
    let mock = MockLlm::start().await;
    let app = app_for(&mock).await;
    write_planted_csv(&app.data_dir.join("interviews.csv"), 2, 4);

    mock.script([Reply::error(401, "Incorrect API key provided")]);
    let id = app
        .create_job(json!({"data": "interviews.csv", "count": 1, "provider": "openai"}))
        .await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"], "authentication failed for openai: check OPENAI_API_KEY");
    assert!(job["result"].is_null());
    assert_eq!(
        app.query_i64(
            "SELECT COUNT(*) FROM runs WHERE job_id = ?1 AND status = 'failed'",
            [&id]
        ),
        1
    );

    mock.always(Reply::error(404, "model 'llama9' not found"));
    let id = app
        .create_job(json!({"data": "interviews.csv", "count": 1, "provider": "ollama", "model": "llama9"}))
        .await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "failed", "{job}");
    let error = job["error"].as_str().unwrap();
    assert!(error.starts_with("model llama9 not found at ollama"), "{error}");
    assert!(error.contains("ollama pull llama9"), "{error}");

    // A persona whose requests fail after their retries fails the job when the request says so
    // (by default it falls back to the local provider).
    mock.always(Reply::error(429, "slow down"));
    let id = app
        .create_job(
            json!({"data": "interviews.csv", "count": 1, "provider": "anthropic", "config": {"fallback": "fail"}}),
        )
        .await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"], "rate-limited by anthropic after 3 retries");

    // By default the same failure leaves the job completed, the persona written locally.
    let id = app
        .create_job(json!({"data": "interviews.csv", "count": 1, "provider": "anthropic"}))
        .await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["result"]["personas"][0]["provider"], "local (fallback)");

    let response = app
        .post_json(
            "/api/v1/generate",
            &json!({"data": "interviews.csv", "provider": "anthropic", "config": {"fallback": "sometimes"}}),
        )
        .await;
    let body = error_body(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    assert_eq!(body["details"]["fields"][0]["field"], "config.fallback", "{body}");
}

#[tokio::test]
async fn jobs_naming_an_unknown_or_unconfigured_provider_are_refused_at_submission() {
    let app = spawn_app(|_| {}).await;
    write_planted_csv(&app.data_dir.join("interviews.csv"), 2, 4);
    let providers: Value = app.get("/api/v1/providers").await.json().await.unwrap();
    for status in providers["providers"].as_array().unwrap() {
        if status["name"] == "ollama" {
            // Configured without a key: a job would try to reach localhost:11434.
            assert_eq!(status["configured"], true);
            continue;
        }
        let response = app
            .post_json(
                "/api/v1/generate",
                &json!({"data": "interviews.csv", "provider": status["name"]}),
            )
            .await;
        if status["configured"] == true {
            if status["name"] == "local" {
                assert_eq!(response.status(), StatusCode::OK, "{status}");
            }
        } else {
            // The check at submission and the listing agree on what is missing.
            let body = error_body(response, StatusCode::BAD_REQUEST, "invalid_input").await;
            assert_eq!(body["details"]["field"], "provider");
            assert_eq!(body["details"]["missing"], status["missing"], "{body}");
            assert!(
                body["message"].as_str().unwrap().ends_with(&format!(
                    "is not configured: set {}",
                    status["missing"].as_str().unwrap()
                )),
                "{body}"
            );
        }
    }
    let response = app
        .post_json(
            "/api/v1/generate",
            &json!({"data": "interviews.csv", "provider": "mistral"}),
        )
        .await;
    let body = error_body(response, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("unknown provider \"mistral\""),
        "{body}"
    );
    assert_eq!(body["details"]["field"], "provider");
}

#[tokio::test]
async fn the_provider_list_says_what_is_configured_and_never_shows_keys() {
    let app = spawn_app(|s: &mut Settings| {
        s.providers.ollama.base_url = "http://gpu-box:11434".into();
        s.providers.openai.model = "gpt-test".into();
    })
    .await;
    let response = app.get("/api/v1/providers").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["default_provider"], "local");
    let listed: Vec<(String, bool, String, Value)> = body["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["configured"].as_bool().unwrap(),
                p["default_model"].as_str().unwrap().to_string(),
                p["missing"].clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("local".into(), true, "local-v1".into(), Value::Null),
            ("openai".into(), false, "gpt-test".into(), json!("OPENAI_API_KEY")),
            (
                "anthropic".into(),
                false,
                "claude-sonnet-4-5".into(),
                json!("ANTHROPIC_API_KEY")
            ),
            (
                "gemini".into(),
                false,
                "gemini-2.5-flash".into(),
                json!("GEMINI_API_KEY or GOOGLE_API_KEY")
            ),
            ("ollama".into(), true, "llama3.1".into(), Value::Null),
        ]
    );
    assert_eq!(body["providers"][4]["base_url"], "http://gpu-box:11434");
    assert!(body["providers"][0]["base_url"].is_null());

    let mock = MockLlm::start().await;
    let app = app_for(&mock).await;
    let response = app.get("/api/v1/providers").await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    for key in [OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY] {
        assert!(!text.contains(key), "a key leaked: {text}");
    }
    let body: Value = serde_json::from_str(&text).unwrap();
    for provider in body["providers"].as_array().unwrap() {
        assert_eq!(provider["configured"], true, "{provider}");
        assert!(provider["missing"].is_null(), "{provider}");
        assert!(provider.get("api_key").is_none() && provider.get("key").is_none());
    }
    assert_eq!(body["providers"][1]["base_url"], format!("{}/v1", mock.url));
}

#[tokio::test]
async fn the_cli_writes_the_same_personas_with_a_provider() {
    let mock = MockLlm::start().await;
    let app = app_for(&mock).await;
    let data = app.data_dir.join("interviews.csv");
    write_planted_csv(&data, 2, 5);
    let id = app
        .create_job(
            json!({"data": "interviews.csv", "count": 2, "seed": 4, "provider": "openai", "model": "mock-model"}),
        )
        .await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "completed", "{job}");

    // Not `std::process`: the mock answers on this test's runtime while the CLI runs.
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_persona"))
        .args([
            "generate",
            "--provider",
            "openai",
            "--model",
            "mock-model",
            "--count",
            "2",
            "--seed",
            "4",
            "--json",
        ])
        .arg("--data")
        .arg(&data)
        .arg("--output")
        .arg(app.root().join("cli-output"))
        .env_remove("PERSONA_CONFIG")
        .env("OPENAI_BASE_URL", format!("{}/v1", mock.url))
        .env("OPENAI_API_KEY", OPENAI_KEY)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "openai mock-model: {} input + {} output tokens in 2 requests",
            2 * INPUT_TOKENS,
            2 * OUTPUT_TOKENS
        )),
        "{stderr}"
    );
    assert!(!stderr.contains(OPENAI_KEY));
    let cli: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let api = job["result"]["personas"].as_array().unwrap();
    let written = |personas: &[Value]| -> Vec<Value> {
        personas
            .iter()
            .map(|p| {
                json!([
                    p["name"],
                    p["goals"],
                    p["pain_points"],
                    p["behaviours"],
                    p["quotes"],
                    p["evidence"],
                    p["provider"],
                    p["model"],
                    p["quality"]["overall_score"]
                ])
            })
            .collect()
    };
    assert_eq!(written(&cli), written(api));
}
