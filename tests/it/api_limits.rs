//! Rate limits per client IP, the concurrent-jobs limit, and `--reload` changing both (and the
//! token and CORS origins) while the server runs.

use crate::support::executors::FakeExecutor;
use crate::support::{WAIT, error_body, spawn_app_with, test_app, wait_until};
use reqwest::StatusCode;
use serde_json::json;

fn header_u64(response: &reqwest::Response, name: &str) -> u64 {
    response.headers()[name].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn requests_beyond_the_limit_are_429_with_retry_after() {
    let app = spawn_app_with(
        |s| {
            s.rate_limit.enabled = true;
            s.rate_limit.requests_per_minute = 5;
        },
        FakeExecutor::succeeding().shared(),
    )
    .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for expected_remaining in (0..5).rev() {
        let response = app.get("/api/v1/providers").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header_u64(&response, "x-ratelimit-limit"), 5);
        assert_eq!(header_u64(&response, "x-ratelimit-remaining"), expected_remaining);
        let reset = header_u64(&response, "x-ratelimit-reset");
        assert!(reset >= now + 59 && reset <= now + 62, "reset {reset} vs now {now}");
    }
    let response = app.get("/api/v1/generate").await;
    assert_eq!(header_u64(&response, "x-ratelimit-remaining"), 0);
    let retry_after = header_u64(&response, "retry-after");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let error = error_body(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert_eq!(error["details"]["retry_after"], retry_after);
    assert!(error["message"].as_str().unwrap().contains("Retry after"), "{error}");
    // Health probes are never counted nor refused, at either path.
    for path in ["/api/v1/health", "/api/v1/health/ready", "/health", "/health/ready"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.headers().get("x-ratelimit-limit").is_none(), "{path}");
    }
}

#[tokio::test]
async fn without_the_limit_there_are_no_rate_limit_headers() {
    let app = spawn_app_with(|s| s.rate_limit.enabled = false, FakeExecutor::succeeding().shared()).await;
    for _ in 0..150 {
        let response = app.get("/api/v1/providers").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get("x-ratelimit-limit").is_none());
    }
}

#[tokio::test]
async fn a_client_may_have_only_so_many_unfinished_jobs() {
    let executor = FakeExecutor::waiting();
    let app = spawn_app_with(
        |s| {
            s.rate_limit.enabled = true;
            s.rate_limit.requests_per_minute = 10_000;
            s.rate_limit.max_concurrent_jobs = 2;
            s.worker.concurrency = 1;
        },
        executor.shared(),
    )
    .await;
    app.write_data_file("a.csv", "x");
    let first = app.create_job(json!({"data": "a.csv"})).await;
    let second = app.create_job(json!({"data": "a.csv"})).await;
    let response = app.post_json("/api/v1/generate", &json!({"data": "a.csv"})).await;
    assert!(response.headers().contains_key("retry-after"));
    let error = error_body(response, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    assert!(
        error["message"].as_str().unwrap().contains("too many unfinished jobs"),
        "{error}"
    );
    assert_eq!(error["details"]["max_concurrent_jobs"], 2);
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM jobs", []), 2);

    // Once one has ended, there is room again.
    app.delete(&format!("/api/v1/generate/{second}")).await;
    let third = app.create_job(json!({"data": "a.csv"})).await;
    executor.release();
    for id in [&first, &third] {
        assert_eq!(app.wait_until_ended(id).await["status"], "completed");
    }
}

#[tokio::test]
async fn the_concurrent_jobs_limit_follows_rate_limit_enabled() {
    let executor = FakeExecutor::waiting();
    let app = spawn_app_with(
        |s| {
            s.rate_limit.enabled = false;
            s.rate_limit.max_concurrent_jobs = 1;
        },
        executor.shared(),
    )
    .await;
    app.write_data_file("a.csv", "x");
    for _ in 0..3 {
        app.create_job(json!({"data": "a.csv"})).await;
    }
    executor.release();
}

#[tokio::test]
async fn reload_applies_token_limits_and_origins_and_ignores_a_broken_file() {
    let app = test_app()
        .settings(|s| s.rate_limit.enabled = false)
        .executor(FakeExecutor::succeeding().shared())
        .reload_config("[cors]\norigins = [\"https://a.example\"]\n")
        .spawn()
        .await;
    app.write_data_file("a.csv", "x");
    let origin_allowed = |origin: &'static str| {
        let client = app.client.clone();
        let url = app.url("/api/v1/health");
        async move {
            let response = client.get(url).header("origin", origin).send().await.unwrap();
            response.headers().get("access-control-allow-origin").is_some()
        }
    };
    assert!(origin_allowed("https://a.example").await);
    assert!(!origin_allowed("https://b.example").await);
    assert_eq!(
        app.post_json_with_token("/api/v1/generate", &json!({"data": "a.csv"}), None)
            .await
            .status(),
        StatusCode::OK
    );

    app.write_config(
        "[auth]\ntoken = \"reloaded-token\"\n[rate_limit]\nenabled = true\nrequests_per_minute = 1000\n\
         [cors]\norigins = [\"https://b.example\"]\n",
    );
    let live = app.state.live.clone();
    wait_until("the new config to apply", WAIT, || live.current().token.is_some()).await;
    assert!(origin_allowed("https://b.example").await);
    assert!(!origin_allowed("https://a.example").await);
    let response = app
        .post_json_with_token("/api/v1/generate", &json!({"data": "a.csv"}), None)
        .await;
    error_body(response, StatusCode::UNAUTHORIZED, "unauthorised").await;
    let response = app
        .post_json_with_token("/api/v1/generate", &json!({"data": "a.csv"}), Some("reloaded-token"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-ratelimit-limit"], "1000");

    // A file that does not parse leaves the settings as they were.
    app.write_config("[auth\ntoken = ");
    tokio::time::sleep(persona::api::reload::POLL_INTERVAL * 3).await;
    let current = app.state.live.current();
    assert_eq!(
        current.token.as_ref().map(|t| t.expose().to_string()).as_deref(),
        Some("reloaded-token")
    );
    assert_eq!(current.rate_limit.requests_per_minute, 1000);
}
