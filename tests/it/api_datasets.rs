//! Dataset uploads through the real server: each format as multipart and raw bodies, files the
//! ingestion refuses, size limits, generating from a dataset id, and deletion.

use crate::support::executors::FakeExecutor;
use crate::support::{TestApp, error_body, spawn_app, spawn_app_with};
use persona::config::Secret;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const BOUNDARY: &str = "persona-test-boundary-7d3f";

fn multipart(filename: &str, contents: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored field\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(contents);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload_multipart(app: &TestApp, filename: &str, contents: &[u8]) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/datasets")
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(filename, contents))
        .send()
        .await
        .unwrap()
}

async fn upload_raw(app: &TestApp, query: &str, contents: &[u8]) -> reqwest::Response {
    app.request(Method::POST, &format!("/api/v1/datasets{query}"))
        .header("content-type", "application/octet-stream")
        .body(contents.to_vec())
        .send()
        .await
        .unwrap()
}

async fn created(response: reqwest::Response) -> Value {
    let status = response.status();
    let location = response.headers().get("location").cloned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        location.unwrap().to_str().unwrap(),
        format!("/api/v1/datasets/{}", body["dataset_id"].as_str().unwrap())
    );
    body
}

/// One small file per supported format, each with two participants.
fn samples() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "survey.csv",
            "participant_id,role,response\nP1,Nurse,I want shorter handovers.\nP2,Driver,I hate the traffic in the morning.\n",
        ),
        (
            "survey.tsv",
            "participant_id\trole\tresponse\nP1\tNurse\tI want shorter handovers.\nP2\tDriver\tI hate the traffic.\n",
        ),
        (
            "survey.json",
            r#"[{"participant_id": "P1", "response": "I want shorter handovers."}, {"participant_id": "P2", "response": "I hate the traffic."}]"#,
        ),
        (
            "survey.jsonl",
            "{\"participant_id\": \"P1\", \"response\": \"I want shorter handovers.\"}\n{\"participant_id\": \"P2\", \"response\": \"I hate the traffic.\"}\n",
        ),
        (
            "survey.yaml",
            "- participant_id: P1\n  response: I want shorter handovers.\n- participant_id: P2\n  response: I hate the traffic.\n",
        ),
        (
            "interview.md",
            "**Interviewer:** How was your week?\n\n**P1:** I want shorter handovers.\n\n**P2:** I hate the traffic.\n",
        ),
        (
            "interview.txt",
            "Interviewer: How was your week?\nP1: I want shorter handovers.\nP2: I hate the traffic.\n",
        ),
    ]
}

#[tokio::test]
async fn every_format_uploads_as_multipart_and_raw() {
    let app = spawn_app(|_| {}).await;
    for (name, contents) in samples() {
        for multipart_body in [true, false] {
            let response = if multipart_body {
                upload_multipart(&app, name, contents.as_bytes()).await
            } else {
                upload_raw(&app, &format!("?filename={name}"), contents.as_bytes()).await
            };
            let dataset = created(response).await;
            assert!(dataset["dataset_id"].as_str().unwrap().starts_with("dataset-"));
            assert_eq!(dataset["filename"], name);
            assert_eq!(dataset["bytes"], contents.len());
            assert_eq!(dataset["sha256"], hex::encode(Sha256::digest(contents.as_bytes())));
            assert_eq!(dataset["participants"], 2, "{name}: {dataset}");
            assert!(dataset["utterances"].as_u64().unwrap() >= 2, "{name}: {dataset}");
            assert!(dataset["created_at"].as_str().unwrap().ends_with('Z'));
            let id = dataset["dataset_id"].as_str().unwrap();
            let stored = app.root().join("data/datasets").join(id).join(name);
            assert_eq!(std::fs::read(&stored).unwrap(), contents.as_bytes());
            let fetched: Value = app.get(&format!("/api/v1/datasets/{id}")).await.json().await.unwrap();
            assert_eq!(fetched, dataset);
        }
    }
    let list = app.get("/api/v1/datasets?limit=3").await;
    assert_eq!(list.headers()["x-total-count"], "14");
    let list: Value = list.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_eq!(list[0]["filename"], "interview.txt", "newest first");
}

#[tokio::test]
async fn unusable_files_are_refused_and_leave_nothing_behind() {
    let app = spawn_app(|s| s.storage.max_upload_bytes = 2_000).await;
    // CSV and TSV fall back to Windows-1252; other formats must be UTF-8.
    let invalid_utf8 = upload_raw(&app, "?filename=bad.md", b"P1: fine\nP2: caf\xe9 au lait\n").await;
    let error = error_body(invalid_utf8, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    assert_eq!(error["details"]["fields"][0]["field"], "file");
    assert!(error["message"].as_str().unwrap().contains("UTF-8"), "{error}");
    assert_eq!(error["details"]["line"], 2, "{error}");

    let empty = upload_multipart(&app, "empty.csv", b"").await;
    error_body(empty, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    let unparseable = upload_raw(&app, "?filename=broken.json", b"[{\"participant_id\": ").await;
    let error = error_body(unparseable, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    assert!(error["message"].as_str().unwrap().contains("broken.json"), "{error}");
    let too_large = upload_raw(&app, "?filename=big.csv", &vec![b'a'; 5_000]).await;
    let error = error_body(too_large, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(error["details"]["limit"], 2_000);
    let too_large = upload_multipart(&app, "big.csv", &vec![b'a'; 5_000]).await;
    error_body(too_large, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    let unsupported = upload_raw(&app, "?filename=archive.zip", b"PK").await;
    let error = error_body(unsupported, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    assert_eq!(error["details"]["fields"][0]["field"], "filename");
    let unnamed = upload_raw(&app, "", b"participant_id,response\nP1,x\n").await;
    let error = error_body(unnamed, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    assert_eq!(error["details"]["fields"][0]["field"], "filename");
    let no_file = app
        .request(Method::POST, "/api/v1/datasets")
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--{BOUNDARY}--\r\n"
        ))
        .send()
        .await
        .unwrap();
    let error = error_body(no_file, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    assert_eq!(error["details"]["fields"][0]["field"], "file");

    assert_eq!(app.query_i64("SELECT COUNT(*) FROM datasets", []), 0);
    let leftovers: Vec<_> = std::fs::read_dir(app.root().join("data/datasets"))
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "rejected uploads left files: {leftovers:?}");
}

#[tokio::test]
async fn a_dataset_id_works_as_data_and_cannot_be_deleted_while_in_use() {
    let executor = FakeExecutor::waiting();
    let app = spawn_app_with(|_| {}, executor.shared()).await;
    let (name, contents) = samples()[0];
    let dataset = created(upload_multipart(&app, name, contents.as_bytes()).await).await;
    let id = dataset["dataset_id"].as_str().unwrap();
    let job = app.create_job(json!({"data": id, "count": 1})).await;
    let in_use = app.delete(&format!("/api/v1/datasets/{id}")).await;
    error_body(in_use, StatusCode::CONFLICT, "conflict").await;
    let experiment = app
        .post_json(
            "/api/v1/experiments",
            &json!({"name": "uploaded", "data_sources": [id]}),
        )
        .await;
    assert_eq!(experiment.status(), StatusCode::CREATED);
    executor.release();
    let ended = app.wait_until_ended(&job).await;
    assert_eq!(ended["status"], "completed");
    assert!(executor.runs()[0].data_path.ends_with(format!("datasets/{id}/{name}")));

    let deleted: Value = app
        .delete(&format!("/api/v1/datasets/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(deleted["success"], true);
    assert!(!app.root().join("data/datasets").join(id).exists());
    error_body(
        app.get(&format!("/api/v1/datasets/{id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    error_body(
        app.delete(&format!("/api/v1/datasets/{id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let gone = app.post_json("/api/v1/generate", &json!({"data": id})).await;
    let error = error_body(gone, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert!(
        error["message"].as_str().unwrap().contains("unknown dataset"),
        "{error}"
    );
}

#[tokio::test]
async fn a_dataset_generates_personas_with_the_real_pipeline() {
    let app = spawn_app(|_| {}).await;
    let csv = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/interviews.csv")).unwrap();
    let dataset = created(upload_raw(&app, "?filename=interviews.csv", &csv).await).await;
    assert_eq!(dataset["participants"], 15);
    let job = app.create_job(json!({"data": dataset["dataset_id"], "count": 3})).await;
    let done = app.wait_until_ended(&job).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["personas_count"], 3);
    assert_eq!(done["result"]["personas"][0]["evidence"][0]["source"], "interviews.csv");
}

#[tokio::test]
async fn uploads_need_the_token() {
    let app = spawn_app(|s| s.auth.token = Some(Secret::new("sesame"))).await;
    let denied = app
        .request(Method::POST, "/api/v1/datasets?filename=a.csv")
        .body("participant_id,response\nP1,x\n")
        .send()
        .await
        .unwrap();
    error_body(denied, StatusCode::UNAUTHORIZED, "unauthorised").await;
    let denied = app
        .delete_with_token("/api/v1/datasets/dataset-0000000000000000", None)
        .await;
    error_body(denied, StatusCode::UNAUTHORIZED, "unauthorised").await;
    let open = app.get_with_token("/api/v1/datasets", None).await;
    assert_eq!(open.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_upload_over_the_per_file_limit_names_the_limit() {
    let app = spawn_app(|s| s.storage.max_file_bytes = 40).await;
    let body = b"participant_id,response\nP1,I want the report to load before my coffee is cold.\n";
    let response = upload_raw(&app, "?filename=notes.csv", body).await;
    let error = error_body(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(error["details"]["limit"], 40, "{error}");
    assert_eq!(error["details"]["bytes"], body.len(), "{error}");
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM datasets", []), 0);
}

#[tokio::test]
async fn inspect_tells_who_is_a_participant_and_what_was_left_out() {
    let app = spawn_app(|_| {}).await;
    let transcript = b"Sam: Hello, today is April 21st and I'm here with Ana.\n\n\
        Ana: Hello, thanks for having me over to talk about the farm.\n\n\
        Sam: I want to start off by asking you to tell me about yourself.\n\n\
        Ana: I grew up on the farm and I still keep the accounts in a paper ledger every week.\n\n\
        Sam: Mm-hmm.\n\n\
        Ana: The bank app never matches the ledger, so I reconcile everything by hand on Sundays.\n\n\
        Sam: Tell me more about Sundays?\n\n\
        Ana: It takes the whole afternoon and I usually find one mistake that the bank made.\n";
    let body = created(upload_raw(&app, "?filename=ana.txt", transcript).await).await;
    let id = body["dataset_id"].as_str().unwrap();
    let path = format!("/api/v1/datasets/{id}/inspect");

    let detected: Value = app.post_json(&path, &json!({})).await.json().await.unwrap();
    let participants: Vec<&str> = detected["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(participants, ["Ana"], "{detected}");
    let sam = &detected["non_participants"][0];
    assert_eq!(sam["speaker"], "Sam", "{detected}");
    assert_eq!(sam["role"], "interviewer");
    assert!(sam["reason"].as_str().unwrap().contains("ask or prompt"), "{sam}");

    // The researcher's list replaces detection.
    let named: Value = app
        .post_json(&path, &json!({"interviewers": ["ana"]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(named["participants"][0]["id"], "Sam", "{named}");

    let unknown = app
        .post_json("/api/v1/datasets/dataset-0123456789abcdef/inspect", &json!({}))
        .await;
    error_body(unknown, StatusCode::NOT_FOUND, "not_found").await;
    let bad = app.post_json(&path, &json!({"interviewer": "Sam"})).await;
    let error = error_body(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    assert!(error.to_string().contains("interviewer"), "{error}");
}
