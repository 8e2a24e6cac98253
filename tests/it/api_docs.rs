//! The OpenAPI document and the documentation pages served from the binary.

use crate::support::executors::FakeExecutor;
use crate::support::spawn_app_with;
use reqwest::StatusCode;
use serde_json::Value;

const OPERATIONS: [(&str, &str); 7] = [
    ("/", "get"),
    ("/api/v1/health", "get"),
    ("/api/v1/health/ready", "get"),
    ("/api/v1/generate", "get"),
    ("/api/v1/generate", "post"),
    ("/api/v1/generate/{job_id}", "get"),
    ("/api/v1/generate/{job_id}", "delete"),
];

#[tokio::test]
async fn the_spec_is_openapi_3_1_and_documents_every_operation() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let spec: Value = response.json().await.unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    assert_eq!(spec["info"]["title"], "Persona API");
    assert_eq!(spec["info"]["version"], env!("CARGO_PKG_VERSION"));

    let bearer = &spec["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (bearer["type"].as_str(), bearer["scheme"].as_str()),
        (Some("http"), Some("bearer"))
    );
    let error_body = &spec["components"]["schemas"]["ErrorBody"];
    for field in ["success", "error", "message", "details"] {
        assert!(error_body["properties"].get(field).is_some(), "ErrorBody.{field}");
    }
    assert!(spec["components"]["schemas"]["JobView"].is_object());
    assert!(spec["components"]["schemas"]["Persona"].is_object());
    // The fourth claim list (what works for them) is part of the documented persona.
    assert_eq!(
        spec["components"]["schemas"]["Persona"]["properties"]["motivations"]["type"], "array",
        "{}",
        spec["components"]["schemas"]["Persona"]
    );

    for (path, method) in OPERATIONS {
        let operation = &spec["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        let responses = operation["responses"].as_object().unwrap();
        assert!(!responses.is_empty());
        for (status, response) in responses {
            // Shared error responses are references to `components.responses`.
            let response = match response["$ref"].as_str() {
                Some(reference) => {
                    let name = reference.trim_start_matches("#/components/responses/");
                    &spec["components"]["responses"][name]
                }
                None => response,
            };
            if status == "429" {
                let retry_after = &response["headers"]["Retry-After"];
                assert!(retry_after.is_object(), "{method} {path} 429 documents Retry-After");
            }
            assert!(
                response["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{method} {path} {status}"
            );
            if status.starts_with('4') || status.starts_with('5') {
                let schema = &response["content"]["application/json"]["schema"]["$ref"];
                assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path} {status}");
            }
        }
        // Every operation but the health probes is rate-limited.
        let probe = path.starts_with("/api/v1/health");
        assert_eq!(
            responses.contains_key("429"),
            !probe,
            "{method} {path} documents rate limiting"
        );
    }

    let post = &spec["paths"]["/api/v1/generate"]["post"];
    for status in ["200", "400", "401", "413", "415", "422", "429"] {
        assert!(
            post["responses"].get(status).is_some(),
            "POST /api/v1/generate documents {status}"
        );
    }
    assert_eq!(post["security"], serde_json::json!([{"bearer": []}]));
    let delete = &spec["paths"]["/api/v1/generate/{job_id}"]["delete"];
    for status in ["200", "202", "401", "404", "409"] {
        assert!(delete["responses"].get(status).is_some(), "DELETE documents {status}");
    }
    let list = &spec["paths"]["/api/v1/generate"]["get"];
    assert!(list["responses"]["200"]["headers"].get("X-Total-Count").is_some());
    let params: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, vec!["limit", "offset", "status", "include"]);
    let body_schema = &post["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(body_schema, "#/components/schemas/GenerateBody");
    let generate_body = &spec["components"]["schemas"]["GenerateBody"];
    assert_eq!(generate_body["required"], serde_json::json!(["data"]));
    assert_eq!(generate_body["properties"]["count"]["maximum"], 20);
    let statuses = &spec["components"]["schemas"]["JobStatus"]["enum"];
    assert_eq!(
        statuses,
        &serde_json::json!(["pending", "running", "completed", "failed", "cancelled"])
    );
}

#[tokio::test]
async fn swagger_ui_and_redoc_are_served_from_the_binary() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("swagger-ui"));
    let initializer = app.get("/docs/swagger-initializer.js").await.text().await.unwrap();
    assert!(initializer.contains("/openapi.json"), "{initializer}");
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), StatusCode::OK);
    // `/docs` without the slash leads to the UI.
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status(), StatusCode::OK);
    assert_eq!(redirect.url().path(), "/docs/");

    let redoc = app.get("/redoc").await;
    assert_eq!(redoc.status(), StatusCode::OK);
    assert!(
        redoc.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = redoc.text().await.unwrap();
    assert!(html.contains(r#"spec-url="/openapi.json""#) && html.contains("/redoc/redoc.standalone.js"));
    assert!(!html.contains("cdn."), "ReDoc must not load anything from a CDN");
    let script = app.get("/redoc/redoc.standalone.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert!(script.bytes().await.unwrap().len() > 500_000);
}
