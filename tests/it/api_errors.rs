//! Every error has the envelope, including the framework's own: bad JSON, unknown routes, wrong
//! methods, oversized bodies, wrong content types; and request checks name what is wrong.

use crate::support::executors::FakeExecutor;
use crate::support::{TestApp, error_body, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn app() -> TestApp {
    spawn_app_with(|s| s.server.max_body_bytes = 2048, FakeExecutor::succeeding().shared()).await
}

fn field_names(error: &Value) -> Vec<String> {
    error["details"]["fields"]
        .as_array()
        .expect("details.fields")
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = app().await;
    let response = app
        .request(Method::POST, "/api/v1/generate")
        .header("content-type", "application/json")
        .body(r#"{"data": "a.csv", "count": "#)
        .send()
        .await
        .unwrap();
    let error = error_body(response, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert!(error["message"].as_str().unwrap().contains("not valid JSON"), "{error}");
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_with_allow() {
    let app = app().await;
    let error = error_body(
        app.get("/api/v1/nothing-here").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(error["details"]["path"], "/api/v1/nothing-here");
    error_body(
        app.get("/api/v1/generate/a/b").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    let response = app.request(Method::PUT, "/api/v1/generate").send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET, POST");
    error_body(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    let response = app
        .request(Method::POST, "/api/v1/generate/job-0123456789ab")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"], "GET, DELETE");
    error_body(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    let response = app.request(Method::DELETE, "/api/v1/health").send().await.unwrap();
    assert_eq!(response.headers()["allow"], "GET");
    error_body(response, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = app().await;
    let body = json!({"data": "a.csv", "config": {"padding": "x".repeat(4096)}});
    let error = error_body(
        app.post_json("/api/v1/generate", &body).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    assert_eq!(error["details"]["limit"], 2048);
}

#[tokio::test]
async fn non_json_content_types_are_415() {
    let app = app().await;
    let response = app
        .request(Method::POST, "/api/v1/generate")
        .header("content-type", "text/plain")
        .body(r#"{"data": "a.csv"}"#)
        .send()
        .await
        .unwrap();
    error_body(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    let response = app
        .request(Method::POST, "/api/v1/generate")
        .body(r#"{"data": "a.csv"}"#)
        .send()
        .await
        .unwrap();
    error_body(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
}

#[tokio::test]
async fn wrong_types_and_ranges_are_422_naming_every_field() {
    let app = app().await;
    let cases = [
        (json!({}), vec!["data"]),
        (json!({"data": ""}), vec!["data"]),
        (json!({"data": 42}), vec!["data"]),
        (json!({"data": "a.csv", "count": 0}), vec!["count"]),
        (json!({"data": "a.csv", "count": 21}), vec!["count"]),
        (json!({"data": "a.csv", "count": "5"}), vec!["count"]),
        (json!({"data": "a.csv", "count": 1.5}), vec!["count"]),
        (
            json!({"data": "a.csv", "provider": 1, "model": true}),
            vec!["provider", "model"],
        ),
        (json!({"data": "a.csv", "config": "fast"}), vec!["config"]),
        (
            json!({"data": "a.csv", "webhook_url": "not a url"}),
            vec!["webhook_url"],
        ),
        (
            json!({"data": "a.csv", "webhook_url": "ftp://example.com/x"}),
            vec!["webhook_url"],
        ),
        (json!({"data": "a.csv", "seed": -3}), vec!["seed"]),
        (json!({"data": "a.csv", "experiment_id": 7}), vec!["experiment_id"]),
        (json!(["a.csv"]), vec!["body"]),
        (
            json!({"count": 50, "config": [], "seed": "x"}),
            vec!["data", "count", "config", "seed"],
        ),
    ];
    for (body, expected) in cases {
        let response = app.post_json("/api/v1/generate", &body).await;
        let error = error_body(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
        assert_eq!(field_names(&error), expected, "{body}: {error}");
    }
    let error = error_body(
        app.post_json("/api/v1/generate", &json!({"data": "a.csv", "count": 99}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
    )
    .await;
    assert_eq!(error["details"]["fields"][0]["message"], "must be between 1 and 20");
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM jobs", []), 0);
}

#[tokio::test]
async fn data_outside_the_data_directory_or_missing_is_400_naming_it() {
    let app = app().await;
    std::fs::write(app.root().join("outside.csv"), "secret").unwrap();
    app.write_data_file("inside.csv", "x");
    let outside = app.root().join("outside.csv");
    for data in [
        "../outside.csv",
        "sub/../../outside.csv",
        outside.to_str().unwrap(),
        "/etc/passwd",
        "../../../../../../../../etc/passwd",
    ] {
        let error = error_body(
            app.post_json("/api/v1/generate", &json!({"data": data})).await,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        )
        .await;
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("outside the data directory") && message.contains(data),
            "{message}"
        );
        assert_eq!(error["details"]["field"], "data");
    }
    let error = error_body(
        app.post_json("/api/v1/generate", &json!({"data": "missing.csv"})).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert!(error["message"].as_str().unwrap().contains("missing.csv"), "{error}");
    // An absolute path inside the data directory is fine.
    let inside = app.data_dir.join("inside.csv");
    app.create_job(json!({"data": inside.to_str().unwrap()})).await;
}

#[tokio::test]
async fn unknown_and_unconfigured_providers_are_400_naming_what_is_missing() {
    let app = app().await;
    app.write_data_file("a.csv", "x");
    let error = error_body(
        app.post_json("/api/v1/generate", &json!({"data": "a.csv", "provider": "cohere"}))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("unknown provider \"cohere\""),
        "{error}"
    );
    assert_eq!(error["details"]["field"], "provider");
    let error = error_body(
        app.post_json("/api/v1/generate", &json!({"data": "a.csv", "provider": "anthropic"}))
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert!(
        error["message"].as_str().unwrap().contains("ANTHROPIC_API_KEY"),
        "{error}"
    );
}

#[tokio::test]
async fn library_error_responses_get_the_envelope_too() {
    let app = app().await;
    error_body(
        app.get("/docs/no-such-file.js").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}
