//! Bearer-token authentication: writes need the token when one is set, reads only with
//! `auth.protect_reads`; health, docs and the spec stay open.

use crate::support::executors::FakeExecutor;
use crate::support::{TestApp, error_body, spawn_app_with};
use persona::config::Secret;
use reqwest::{Method, StatusCode};
use serde_json::json;

const TOKEN: &str = "s3cret-token";

async fn app(protect_reads: bool) -> TestApp {
    let app = spawn_app_with(
        move |s| {
            s.auth.token = Some(Secret::new(TOKEN));
            s.auth.protect_reads = protect_reads;
        },
        FakeExecutor::succeeding().shared(),
    )
    .await;
    app.write_data_file("a.csv", "x");
    app
}

async fn assert_unauthorised(response: reqwest::Response) {
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    error_body(response, StatusCode::UNAUTHORIZED, "unauthorised").await;
}

#[tokio::test]
async fn writes_need_the_exact_token() {
    let app = app(false).await;
    let body = json!({"data": "a.csv"});
    assert_unauthorised(app.post_json_with_token("/api/v1/generate", &body, None).await).await;
    assert_unauthorised(app.post_json_with_token("/api/v1/generate", &body, Some("wrong")).await).await;
    assert_unauthorised(
        app.post_json_with_token("/api/v1/generate", &body, Some(&format!("{TOKEN}x")))
            .await,
    )
    .await;
    let response = app
        .request(Method::POST, "/api/v1/generate")
        .header("authorization", format!("Basic {TOKEN}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_unauthorised(response).await;
    assert_unauthorised(app.delete_with_token("/api/v1/generate/job-0123456789ab", None).await).await;

    let id = app.create_job(body).await;
    assert_eq!(app.wait_until_ended(&id).await["status"], "completed");
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM jobs", []), 1);
}

#[tokio::test]
async fn authentication_is_checked_before_the_body_is_read() {
    let app = app(false).await;
    let response = app
        .request(Method::POST, "/api/v1/generate")
        .header("content-type", "text/plain")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_unauthorised(response).await;
}

#[tokio::test]
async fn reads_stay_open_unless_protected() {
    let open = app(false).await;
    assert_eq!(
        open.get_with_token("/api/v1/generate", None).await.status(),
        StatusCode::OK
    );

    let protected = app(true).await;
    assert_unauthorised(protected.get_with_token("/api/v1/generate", None).await).await;
    assert_unauthorised(
        protected
            .get_with_token("/api/v1/generate/job-0123456789ab", None)
            .await,
    )
    .await;
    assert_eq!(protected.get("/api/v1/generate").await.status(), StatusCode::OK);
    for path in [
        "/",
        "/api/v1/health",
        "/api/v1/health/ready",
        "/openapi.json",
        "/docs/",
        "/redoc",
    ] {
        let response = protected.get_with_token(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path} stays open");
    }
}

#[tokio::test]
async fn the_token_never_appears_in_responses() {
    let app = app(true).await;
    for path in ["/", "/api/v1/health/ready", "/openapi.json", "/api/v1/generate"] {
        let text = app.get(path).await.text().await.unwrap();
        assert!(!text.contains(TOKEN), "{path} leaks the token");
    }
}
