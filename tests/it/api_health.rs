//! `GET /`, liveness, readiness and CORS.

use crate::support::executors::FakeExecutor;
use crate::support::{error_body, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::Value;

#[tokio::test]
async fn root_describes_the_api() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "Persona API");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["docs"], "/docs");
    assert_eq!(body["health"], "/api/v1/health");
}

#[tokio::test]
async fn health_and_readiness_pass_while_everything_works() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    let response = app.get("/api/v1/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));

    let response = app.get("/api/v1/health/ready").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["migrations"], "ok");
    assert_eq!(body["checks"]["worker"], "ok");

    // The same probes outside the API prefix, where orchestrators often look.
    let body: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(body["status"], "healthy");
    let body: Value = app.get("/health/ready").await.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let wrong_method = app.post_json("/health", &serde_json::json!({})).await;
    assert_eq!(wrong_method.headers()["allow"], "GET");
    error_body(wrong_method, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}

#[tokio::test]
async fn health_is_503_when_the_database_cannot_be_used() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    std::fs::remove_file(&app.db_path).unwrap();

    let error = error_body(
        app.get("/api/v1/health").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
    )
    .await;
    assert!(error["message"].as_str().unwrap().contains("database"), "{error}");
    let error = error_body(
        app.get("/api/v1/health/ready").await,
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
    )
    .await;
    assert_eq!(error["details"]["failing"], serde_json::json!(["database"]));
    assert_eq!(error["details"]["checks"]["worker"], "ok");
}

#[tokio::test]
async fn readiness_is_503_when_the_worker_does_not_beat() {
    use actix_web::{test, web};
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    // The same application state, but with a worker heartbeat that never beats.
    let mut state = (**app.state).clone();
    state.heartbeat = persona::worker::Heartbeat::default();
    let spec = persona::api::openapi();
    let routes = web::Data::new(persona::api::error::RouteTable::from_openapi(&spec));
    let service = test::init_service(persona::api::create_app(web::Data::new(state), spec, routes)).await;
    let request = test::TestRequest::get().uri("/api/v1/health/ready").to_request();
    let response = test::call_service(&service, request).await;
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body["error"], "unavailable");
    assert_eq!(body["details"]["failing"], serde_json::json!(["worker"]));
    assert_eq!(body["details"]["checks"]["worker"], "not started");
    assert_eq!(body["details"]["checks"]["database"], "ok");
}

#[tokio::test]
async fn cors_preflights_are_answered_and_responses_expose_headers() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    let response = app
        .request(Method::OPTIONS, "/api/v1/generate")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    // Only the methods some route accepts.
    assert_eq!(headers["access-control-allow-methods"], "GET, POST, DELETE, OPTIONS");
    assert_eq!(headers["access-control-allow-headers"], "authorization, content-type");
    assert!(headers.contains_key("access-control-max-age"));

    let response = app
        .request(Method::GET, "/api/v1/generate")
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let exposed = response.headers()["access-control-expose-headers"].to_str().unwrap();
    for header in ["X-Total-Count", "X-RateLimit-Remaining", "Retry-After"] {
        assert!(exposed.contains(header), "{exposed}");
    }
    // Requests without an Origin get no CORS headers.
    assert!(
        app.get("/api/v1/generate")
            .await
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn cors_origins_can_be_restricted() {
    let app = spawn_app_with(
        |s| s.cors.origins = vec!["https://app.example".into()],
        FakeExecutor::succeeding().shared(),
    )
    .await;
    let preflight = |origin: &'static str| {
        app.request(Method::OPTIONS, "/api/v1/generate")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = preflight("https://app.example").await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example");
    assert_eq!(allowed.headers()["vary"], "Origin");
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(refused.headers().get("access-control-allow-origin").is_none());
}
