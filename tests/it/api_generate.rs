//! `/api/v1/generate`: creating, reading, listing and cancelling jobs, and what the worker
//! records for each outcome.

use crate::support::executors::FakeExecutor;
use crate::support::{WAIT, error_body, is_ended, spawn_app, spawn_app_with, write_planted_csv};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn a_job_runs_to_completion_and_its_result_lists_the_personas() {
    let executor = FakeExecutor::succeeding();
    let app = spawn_app_with(|_| {}, executor.shared()).await;
    app.write_data_file("interviews.csv", "participant_id,quote\nP1,hello\n");

    let response = app
        .post_json(
            "/api/v1/generate",
            &json!({"data": "interviews.csv", "count": 2, "seed": 9}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let created: Value = response.json().await.unwrap();
    let job_id = created["job_id"].as_str().unwrap().to_string();
    assert!(job_id.starts_with("job-"), "{created}");
    assert_eq!(created["status"], "pending");
    assert_eq!(created["message"], "Generation job created successfully");
    assert_eq!(created["status_url"], format!("/api/v1/generate/{job_id}"));
    assert!(created["experiment_id"].as_str().unwrap().starts_with("exp-"));

    let job = app.wait_until_ended(&job_id).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["progress"], 100);
    assert_eq!(job["attempts"], 1);
    assert_eq!(
        (job["data"].as_str(), job["provider"].as_str(), job["count"].as_u64()),
        (Some("interviews.csv"), Some("local"), Some(2))
    );
    assert!(job["error"].is_null());
    for field in ["created_at", "started_at", "completed_at"] {
        assert!(job[field].as_str().unwrap().ends_with('Z'), "{field}: {job}");
    }
    let result = &job["result"];
    let run_id = job["run_id"].as_str().unwrap();
    assert_eq!(result["run_id"], run_id);
    assert_eq!(result["experiment_id"], created["experiment_id"]);
    assert_eq!(result["personas_count"], 2);
    let personas = result["personas"].as_array().unwrap();
    assert_eq!(personas.len(), 2);
    assert_eq!(personas[0]["name"], "Persona 1");
    assert_eq!(personas[1]["run_id"], run_id);
    assert_eq!(personas[0]["experiment_id"], created["experiment_id"]);
    let output = result["output_path"].as_str().unwrap();
    assert!(std::path::Path::new(output).join("personas.json").is_file());

    // The executor was given the resolved file, the request's settings and a fresh run id.
    let run = &executor.runs()[0];
    assert_eq!(
        run.data_path,
        app.data_dir.canonicalize().unwrap().join("interviews.csv")
    );
    assert_eq!((run.generation.count, run.generation.seed), (2, 9));
    assert_eq!(run.run_id, run_id);
    assert_eq!(run.output_dir, app.output_dir);

    // One run row, two persona rows.
    assert_eq!(
        app.query_i64("SELECT COUNT(*) FROM runs WHERE job_id = ?1", [&job_id]),
        1
    );
    assert_eq!(
        app.query_i64("SELECT COUNT(*) FROM personas WHERE run_id = ?1", [run_id]),
        2
    );
    assert_eq!(
        app.query_i64(
            "SELECT personas_count FROM runs WHERE id = ?1 AND status = 'completed'",
            [run_id]
        ),
        2
    );
}

#[tokio::test]
async fn defaults_apply_and_jobs_share_the_experiment_named_after_their_data() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    app.write_data_file("a.csv", "x");
    app.write_data_file("nested/b.csv", "x");
    let first = app.create_job(json!({"data": "a.csv"})).await;
    let second = app.create_job(json!({"data": "a.csv", "provider": "LOCAL"})).await;
    let other = app.create_job(json!({"data": "nested/b.csv"})).await;
    let (first, second, other) = (app.job(&first).await, app.job(&second).await, app.job(&other).await);
    assert_eq!(
        (first["count"].as_u64(), first["provider"].as_str()),
        (Some(3), Some("local"))
    );
    assert_eq!(second["provider"], "local", "provider names are normalised");
    assert_eq!(first["experiment_id"], second["experiment_id"]);
    assert_ne!(first["experiment_id"], other["experiment_id"]);
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM experiments", []), 2);
    let name: String = app
        .db
        .read(|c| {
            Ok(c.query_row(
                "SELECT name FROM experiments WHERE id = ?1",
                [first["experiment_id"].as_str().unwrap()],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(name, "a.csv");
    // The default seed is recorded with the job, and so with its run.
    let seed = app.query_i64(
        "SELECT json_extract(request, '$.seed') FROM jobs WHERE id = ?1",
        [first["job_id"].as_str().unwrap()],
    );
    assert_eq!(seed, 42);
}

#[tokio::test]
async fn jobs_can_join_an_existing_experiment_by_id_or_name() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    app.write_data_file("a.csv", "x");
    app.write_data_file("b.csv", "x");
    let first = app.job(&app.create_job(json!({"data": "a.csv"})).await).await;
    let experiment_id = first["experiment_id"].as_str().unwrap();

    let by_id = app
        .create_job(json!({"data": "b.csv", "experiment_id": experiment_id}))
        .await;
    assert_eq!(app.job(&by_id).await["experiment_id"], experiment_id);
    let by_name = app.create_job(json!({"data": "b.csv", "experiment": "a.csv"})).await;
    assert_eq!(app.job(&by_name).await["experiment_id"], experiment_id);
    let both = app
        .create_job(json!({"data": "b.csv", "experiment": "a.csv", "experiment_id": experiment_id}))
        .await;
    assert_eq!(app.job(&both).await["experiment_id"], experiment_id);

    for (body, named) in [
        (
            json!({"data": "b.csv", "experiment_id": "exp-000000000000"}),
            "exp-000000000000",
        ),
        (json!({"data": "b.csv", "experiment": "nope"}), "nope"),
        (
            json!({"data": "b.csv", "experiment": "b.csv", "experiment_id": experiment_id}),
            "b.csv",
        ),
    ] {
        let response = app.post_json("/api/v1/generate", &body).await;
        let error = error_body(response, StatusCode::BAD_REQUEST, "invalid_input").await;
        assert!(error["message"].as_str().unwrap().contains(named), "{error}");
    }
    assert_eq!(
        app.query_i64("SELECT COUNT(*) FROM experiments", []),
        1,
        "no experiment was created for b.csv"
    );
}

#[tokio::test]
async fn an_unknown_job_is_404_in_the_envelope() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    let error = error_body(
        app.get("/api/v1/generate/job-000000000000").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert!(error["message"].as_str().unwrap().contains("job-000000000000"));
    error_body(
        app.delete("/api/v1/generate/job-000000000000").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn the_list_is_newest_first_paginated_filtered_and_counted() {
    let executor = FakeExecutor::waiting();
    // One job slot: the first job runs (and waits), the others stay pending.
    let app = spawn_app_with(|s| s.worker.concurrency = 1, executor.shared()).await;
    app.write_data_file("a.csv", "x");
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(app.create_job(json!({"data": "a.csv", "count": 1})).await);
    }
    app.wait_for_job(&ids[0], |j| j["status"] == "running", WAIT).await;

    let response = app.get("/api/v1/generate").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-total-count"], "4");
    let all: Vec<Value> = response.json().await.unwrap();
    let listed: Vec<&str> = all.iter().map(|j| j["job_id"].as_str().unwrap()).collect();
    let newest_first: Vec<&str> = ids.iter().rev().map(String::as_str).collect();
    assert_eq!(listed, newest_first);

    let response = app.get("/api/v1/generate?limit=2&offset=1").await;
    assert_eq!(response.headers()["x-total-count"], "4");
    let page: Vec<Value> = response.json().await.unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["job_id"], ids[2]);
    assert_eq!(page[1]["job_id"], ids[1]);

    let response = app.get("/api/v1/generate?status=pending").await;
    assert_eq!(response.headers()["x-total-count"], "3");
    let pending: Vec<Value> = response.json().await.unwrap();
    assert!(pending.iter().all(|j| j["status"] == "pending"));
    let running: Vec<Value> = app.get("/api/v1/generate?status=running").await.json().await.unwrap();
    assert_eq!(running.len(), 1);
    assert_eq!(running[0]["job_id"], ids[0]);

    executor.release();
    for id in &ids {
        app.wait_until_ended(id).await;
    }
    let summaries: Vec<Value> = app.get("/api/v1/generate?status=completed").await.json().await.unwrap();
    assert_eq!(summaries.len(), 4);
    for job in &summaries {
        assert_eq!(job["result"]["personas_count"], 1, "{job}");
        assert!(
            job["result"].get("personas").is_none(),
            "list items carry only the count: {job}"
        );
    }
    let full: Vec<Value> = app
        .get("/api/v1/generate?include=result&limit=1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(full[0]["result"]["personas"].as_array().unwrap().len(), 1);

    let response = app
        .get("/api/v1/generate?limit=1001&status=finished&offset=-2&include=everything")
        .await;
    let error = error_body(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    let fields: Vec<&str> = error["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["limit", "status", "offset", "include"]);
    error_body(
        app.get("/api/v1/generate?limit=0").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_error",
    )
    .await;
    let page: Vec<Value> = app
        .get("/api/v1/generate?limit=1000&offset=100")
        .await
        .json()
        .await
        .unwrap();
    assert!(page.is_empty());
}

#[tokio::test]
async fn pending_jobs_cancel_at_once_and_running_jobs_at_their_next_step() {
    let executor = FakeExecutor::waiting();
    // Polls and lease renewals far apart: the running job hears of its cancellation at once.
    let app = spawn_app_with(
        |s| {
            s.worker.concurrency = 1;
            s.worker.poll_interval_ms = 60_000;
            s.worker.lease_seconds = 300;
        },
        executor.shared(),
    )
    .await;
    app.write_data_file("a.csv", "x");
    let running = app.create_job(json!({"data": "a.csv"})).await;
    let pending = app.create_job(json!({"data": "a.csv"})).await;
    app.wait_for_job(&running, |j| j["status"] == "running", WAIT).await;

    let response = app.delete(&format!("/api/v1/generate/{pending}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["status"], "cancelled");
    assert!(view["result"].is_null());
    let cancelled_run = view["run_id"].as_str().unwrap();
    let run_status: String = app
        .db
        .read(|c| Ok(c.query_row("SELECT status FROM runs WHERE id = ?1", [cancelled_run], |r| r.get(0))?))
        .unwrap();
    assert_eq!(run_status, "cancelled");

    let response = app.delete(&format!("/api/v1/generate/{running}")).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let view: Value = response.json().await.unwrap();
    assert_eq!(
        (view["status"].as_str(), view["cancel_requested"].as_bool()),
        (Some("running"), Some(true))
    );
    // Asking twice is answered the same and recorded once.
    let again = app.delete(&format!("/api/v1/generate/{running}")).await;
    assert!(matches!(again.status(), StatusCode::ACCEPTED | StatusCode::CONFLICT));
    let ended = app.wait_for_job(&running, is_ended, Duration::from_secs(10)).await;
    assert_eq!(
        app.query_i64(
            "SELECT COUNT(*) FROM job_events WHERE job_id = ?1 AND event = 'cancel_requested'",
            [&running]
        ),
        1
    );
    assert_eq!(ended["status"], "cancelled", "{ended}");
    assert_eq!(
        app.query_i64("SELECT COUNT(*) FROM runs WHERE job_id = ?1", [&running]),
        1
    );
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM personas", []), 0);

    // Ended jobs cannot be cancelled again.
    let error = error_body(
        app.delete(&format!("/api/v1/generate/{running}")).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert!(error["message"].as_str().unwrap().contains("cancelled"), "{error}");
    assert_eq!(executor.started(), 1, "the cancelled pending job never ran");
}

#[tokio::test]
async fn a_failing_pipeline_fails_the_job_with_its_message() {
    let app = spawn_app_with(|_| {}, FakeExecutor::failing("no participants found in a.csv").shared()).await;
    app.write_data_file("a.csv", "x");
    let id = app.create_job(json!({"data": "a.csv"})).await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "failed");
    assert_eq!(job["error"], "no participants found in a.csv");
    assert!(job["result"].is_null());
    let run_id = job["run_id"].as_str().unwrap();
    let (status, error): (String, String) = app
        .db
        .read(|c| {
            Ok(
                c.query_row("SELECT status, error FROM runs WHERE id = ?1", [run_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?,
            )
        })
        .unwrap();
    assert_eq!(
        (status.as_str(), error.as_str()),
        ("failed", "no participants found in a.csv")
    );
}

#[tokio::test]
async fn a_crashing_pipeline_fails_the_job_without_taking_the_worker_down() {
    let app = spawn_app_with(|_| {}, FakeExecutor::panicking().shared()).await;
    app.write_data_file("a.csv", "x");
    let first = app.create_job(json!({"data": "a.csv"})).await;
    let job = app.wait_until_ended(&first).await;
    assert_eq!(job["status"], "failed");
    let error = job["error"].as_str().unwrap();
    assert!(
        error.contains("internal error") && !error.contains("on purpose"),
        "{error}"
    );
    // The worker keeps going.
    let second = app.create_job(json!({"data": "a.csv"})).await;
    assert_eq!(app.wait_until_ended(&second).await["status"], "failed");
}

#[tokio::test]
async fn url_data_runs_through_the_real_pipeline_confined_to_its_download_folder() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let csv = std::fs::read_to_string("examples/interviews.csv").unwrap();
    Mock::given(method("GET"))
        .and(path("/exports/interviews.csv"))
        .respond_with(ResponseTemplate::new(200).set_body_string(csv))
        .mount(&server)
        .await;
    let app = spawn_app(|s| s.fetch.allow_private_targets = true).await;
    let url = format!("{}/exports/interviews.csv", server.uri());
    let id = app.create_job(json!({"data": url, "count": 2})).await;
    let job = app.wait_until_ended(&id).await;
    // The download sits outside the data directory: the worker confines its reads to the
    // job's download folder instead.
    assert_eq!(job["status"], "completed", "{job}");
    assert!(!job["result"]["personas"].as_array().unwrap().is_empty(), "{job}");
}

#[tokio::test]
async fn url_data_is_downloaded_for_the_run_and_removed_afterwards() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/exports/interviews.csv"))
        .respond_with(ResponseTemplate::new(200).set_body_string("participant_id,quote\nP1,hi\n"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(4096)))
        .mount(&server)
        .await;
    let executor = FakeExecutor::succeeding();
    let app = spawn_app_with(
        |s| {
            s.fetch.allow_private_targets = true;
            s.fetch.max_bytes = 1024;
        },
        executor.shared(),
    )
    .await;

    let url = format!("{}/exports/interviews.csv", server.uri());
    let id = app.create_job(json!({"data": url})).await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["data"], url);
    let run = &executor.runs()[0];
    assert_eq!(run.data_path.file_name().unwrap(), "interviews.csv");
    assert!(run.data_path.starts_with(app.output_dir.join(".downloads")));
    assert!(!run.data_path.exists(), "the download is removed after the run");

    let missing = app
        .create_job(json!({"data": format!("{}/missing.csv", server.uri())}))
        .await;
    let job = app.wait_until_ended(&missing).await;
    assert_eq!(job["status"], "failed");
    assert!(job["error"].as_str().unwrap().contains("HTTP 404"), "{job}");

    let big = app.create_job(json!({"data": format!("{}/big", server.uri())})).await;
    let job = app.wait_until_ended(&big).await;
    assert_eq!(job["status"], "failed");
    assert!(
        job["error"].as_str().unwrap().contains("fetch limit of 1024 bytes"),
        "{job}"
    );
    assert_eq!(executor.started(), 1, "failed downloads never reach the pipeline");
}

#[tokio::test]
async fn private_url_targets_are_refused_unless_allowed() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    for url in [
        "http://127.0.0.1:9/data.csv",
        "http://localhost/data.csv",
        "http://10.0.0.8/x.csv",
    ] {
        let error = error_body(
            app.post_json("/api/v1/generate", &json!({"data": url})).await,
            StatusCode::BAD_REQUEST,
            "invalid_input",
        )
        .await;
        assert!(error["message"].as_str().unwrap().contains(url), "{error}");
    }
}

#[tokio::test]
async fn progress_rises_while_a_job_runs() {
    let executor = FakeExecutor::waiting();
    let app = spawn_app_with(|_| {}, executor.shared()).await;
    app.write_data_file("a.csv", "x");
    let id = app.create_job(json!({"data": "a.csv"})).await;
    let running = app
        .wait_for_job(
            &id,
            |j| j["status"] == "running" && j["progress"].as_u64() > Some(0),
            WAIT,
        )
        .await;
    let progress = running["progress"].as_u64().unwrap();
    assert!(progress > 0 && progress < 100, "{running}");
    assert!(running["result"].is_null() && running["completed_at"].is_null());
    executor.release();
    let done = app.wait_for_job(&id, is_ended, Duration::from_secs(10)).await;
    assert_eq!(done["progress"], 100);
}

/// The persona as generated, without what differs from one run to the next (its quality score
/// names it and the personas it was compared with by id).
fn content(persona: &Value) -> Value {
    let mut persona = persona.clone();
    for key in ["id", "run_id", "experiment_id", "created_at"] {
        persona.as_object_mut().unwrap().remove(key);
    }
    if let Some(quality) = persona["quality"].as_object_mut() {
        quality.remove("persona_id");
        let compared = &mut quality["dimensions"]["distinctiveness"]["details"]["similarity_details"];
        for other in compared.as_array_mut().into_iter().flatten() {
            other.as_object_mut().unwrap().remove("other_id");
        }
    }
    persona
}

#[tokio::test]
async fn the_real_pipeline_generates_evidenced_personas_and_records_the_run() {
    let app = spawn_app(|_| {}).await;
    write_planted_csv(&app.data_dir.join("interviews.csv"), 3, 8);
    let body = json!({"data": "interviews.csv", "count": 3, "seed": 11});
    let first = app.create_job(body.clone()).await;
    let second = app.create_job(body).await;
    let job = app.wait_until_ended(&first).await;
    assert_eq!(job["status"], "completed", "{job}");
    let personas = job["result"]["personas"].as_array().unwrap().clone();
    assert!(!personas.is_empty() && personas.len() <= 3, "{job}");
    assert_eq!(job["result"]["personas_count"], personas.len());
    let run_id = job["run_id"].as_str().unwrap();
    for persona in &personas {
        assert!(persona["id"].as_str().unwrap().starts_with("persona-"));
        assert_eq!(persona["run_id"], run_id);
        assert_eq!(persona["experiment_id"], job["experiment_id"]);
        assert_eq!(persona["provider"], "local");
        let evidence = persona["evidence"].as_array().unwrap();
        assert!(!evidence.is_empty(), "{persona}");
        assert!(evidence.iter().all(|e| e["source"] == "interviews.csv"), "{persona}");
    }
    let folder = std::path::Path::new(job["result"]["output_path"].as_str().unwrap());
    assert!(
        folder.starts_with(&app.output_dir) && folder.is_dir(),
        "{}",
        folder.display()
    );

    let (model, sources, metadata): (String, String, String) = app
        .db
        .read(|c| {
            Ok(c.query_row(
                "SELECT model, source_files, metadata FROM runs WHERE id = ?1",
                [run_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .unwrap();
    assert_eq!(model, "local-v1");
    let sources: Value = serde_json::from_str(&sources).unwrap();
    assert_eq!(sources[0]["path"], "interviews.csv");
    let metadata: Value = serde_json::from_str(&metadata).unwrap();
    assert_eq!(
        (metadata["count_requested"].as_u64(), metadata["seed"].as_u64()),
        (Some(3), Some(11))
    );
    assert_eq!(metadata["run_id"], run_id);

    // The same data and settings give the same personas (fresh IDs aside).
    let again = app.wait_until_ended(&second).await;
    let repeated = again["result"]["personas"].as_array().unwrap();
    assert_eq!(
        repeated.iter().map(content).collect::<Vec<_>>(),
        personas.iter().map(content).collect::<Vec<_>>()
    );
    assert_ne!(repeated[0]["id"], personas[0]["id"], "persona IDs are never reused");
}

#[tokio::test]
async fn the_api_and_the_cli_produce_the_same_personas() {
    let app = spawn_app(|_| {}).await;
    let data = app.data_dir.join("interviews.csv");
    write_planted_csv(&data, 3, 6);
    let id = app
        .create_job(json!({"data": "interviews.csv", "count": 3, "seed": 5}))
        .await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "completed", "{job}");

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_persona"))
        .args(["generate", "--count", "3", "--seed", "5", "--json", "--data"])
        .arg(&data)
        .arg("--output")
        .arg(app.root().join("cli-output"))
        .env_remove("PERSONA_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let cli: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let api = job["result"]["personas"].as_array().unwrap();
    assert_eq!(
        api.iter().map(content).collect::<Vec<_>>(),
        cli.iter().map(content).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_real_pipeline_fails_a_job_on_unusable_data_naming_the_file() {
    let app = spawn_app(|_| {}).await;
    app.write_data_file("empty.csv", "");
    let id = app.create_job(json!({"data": "empty.csv"})).await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert!(job["error"].as_str().unwrap().contains("empty.csv"), "{job}");
    assert_eq!(
        app.query_i64(
            "SELECT COUNT(*) FROM runs WHERE job_id = ?1 AND status = 'failed'",
            [&id]
        ),
        1
    );

    // A folder is named as the client gave it, never by where the server keeps it.
    std::fs::create_dir_all(app.data_dir.join("study/empty")).unwrap();
    let id = app.create_job(json!({"data": "study/empty"})).await;
    let job = app.wait_until_ended(&id).await;
    let error = job["error"].as_str().unwrap();
    assert!(error.starts_with("study/empty: no usable files"), "{error}");
    let data_dir = app.data_dir.canonicalize().unwrap();
    assert!(!error.contains(data_dir.to_str().unwrap()), "{error}");
}

#[tokio::test]
async fn a_job_whose_data_gives_no_usable_persona_fails_naming_each_drop() {
    let app = spawn_app(|_| {}).await;
    app.write_data_file(
        "chatter.csv",
        "participant_id,response\nA,Sunshine over the harbour today.\nB,Sunshine and harbour boats today.\n\
         C,Rain over the harbour again.\nD,Rain and boats in the harbour.\n",
    );
    let id = app.create_job(json!({"data": "chatter.csv", "count": 2})).await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "failed", "{job}");
    let error = job["error"].as_str().unwrap();
    assert!(error.starts_with("no persona could be made from this data"), "{error}");
    assert!(error.contains("was dropped"), "{error}");
    assert!(error.contains("set min_claims to 1"), "{error}");
    assert_eq!(
        app.query_i64(
            "SELECT COUNT(*) FROM runs WHERE job_id = ?1 AND status = 'failed'",
            [&id]
        ),
        1
    );
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM personas", []), 0);

    // Asking for every persona however thin keeps one.
    let id = app
        .create_job(json!({"data": "chatter.csv", "count": 2, "config": {"min_claims": 1}}))
        .await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["result"]["personas_count"], 1, "{job}");
}

#[cfg(unix)]
#[tokio::test]
async fn symbolic_links_in_a_folder_cannot_lead_a_job_out_of_the_data_directory() {
    let outside = tempfile::tempdir().unwrap();
    let secret = "I want nobody outside this folder to ever read the payroll numbers.";
    std::fs::write(
        outside.path().join("secret.csv"),
        format!("participant_id,response\nX1,{secret}\n"),
    )
    .unwrap();
    let app = spawn_app(|_| {}).await;
    write_planted_csv(&app.data_dir.join("mixed/interviews.csv"), 2, 6);
    std::os::unix::fs::symlink(outside.path().join("secret.csv"), app.data_dir.join("mixed/escape.csv")).unwrap();
    // A link that stays inside the data directory is still followed.
    write_planted_csv(&app.data_dir.join("shared/more.csv"), 2, 6);
    std::os::unix::fs::symlink(
        app.data_dir.join("shared/more.csv"),
        app.data_dir.join("mixed/linked.csv"),
    )
    .unwrap();

    let id = app.create_job(json!({"data": "mixed", "count": 2})).await;
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "completed", "{job}");
    let run_id = job["run_id"].as_str().unwrap();
    let experiment_id = job["experiment_id"].as_str().unwrap();
    let run: Value = app
        .get(&format!("/api/v1/experiments/{experiment_id}/runs/{run_id}"))
        .await
        .json()
        .await
        .unwrap();
    let sources: Vec<&str> = run["source_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["interviews.csv", "linked.csv"], "{run}");
    assert_eq!(run["skipped_files"][0]["path"], "escape.csv", "{run}");
    assert!(
        run["skipped_files"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("out of the data directory"),
        "{run}"
    );
    assert!(!job.to_string().contains("payroll"), "nothing from outside is used");
}

#[tokio::test]
async fn config_options_take_effect_and_unknown_keys_are_refused_naming_the_key() {
    let app = spawn_app(|_| {}).await;
    write_planted_csv(&app.data_dir.join("interviews.csv"), 3, 8);
    let response = app
        .post_json(
            "/api/v1/generate",
            &json!({"data": "interviews.csv", "config": {"tone": "friendly", "detail_level": "huge"}}),
        )
        .await;
    let error = error_body(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    let fields: Vec<&str> = error["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["config.tone", "config.detail_level"], "{error}");

    // The same data at two detail levels: brief lists are never longer than 3.
    let mut longest = Vec::new();
    for level in ["brief", "detailed"] {
        let body = json!({"data": "interviews.csv", "count": 3, "seed": 11, "config": {"detail_level": level}});
        let job = app.wait_until_ended(&app.create_job(body).await).await;
        assert_eq!(job["status"], "completed", "{job}");
        let personas = job["result"]["personas"].as_array().unwrap();
        let most = personas
            .iter()
            .flat_map(|p| ["goals", "pain_points", "behaviours", "quotes"].map(|k| p[k].as_array().unwrap().len()))
            .max()
            .unwrap();
        longest.push(most);
    }
    assert!(longest[0] <= 3, "{longest:?}");
    assert!(longest[1] > longest[0], "{longest:?}");
}

#[tokio::test]
async fn a_detail_level_gives_the_same_personas_through_the_api_an_experiment_and_the_cli() {
    let app = spawn_app(|_| {}).await;
    let data = app.data_dir.join("interviews.csv");
    write_planted_csv(&data, 3, 8);
    let config = json!({"detail_level": "brief"});

    let job = app
        .create_job(json!({"data": "interviews.csv", "count": 3, "seed": 11, "config": config}))
        .await;
    let job = app.wait_until_ended(&job).await;
    assert_eq!(job["status"], "completed", "{job}");
    let api: Vec<Value> = job["result"]["personas"]
        .as_array()
        .unwrap()
        .iter()
        .map(content)
        .collect();

    // An experiment holds generation options at the top level of its config; unknown ones are
    // refused there as on /generate, naming the key.
    let refused = app
        .post_json(
            "/api/v1/experiments",
            &json!({"name": "tone", "data_sources": ["interviews.csv"], "config": {"tone": "friendly"}}),
        )
        .await;
    let error = error_body(refused, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    assert_eq!(error["details"]["fields"][0]["field"], "config.tone", "{error}");
    let created = app
        .post_json(
            "/api/v1/experiments",
            &json!({"name": "brief", "data_sources": ["interviews.csv"],
                    "config": {"persona_count": 3, "seed": 11, "detail_level": "brief"}}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let experiment: Value = created.json().await.unwrap();
    let started = app
        .post_json(
            &format!("/api/v1/experiments/{}/generate", experiment["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let started: Value = started.json().await.unwrap();
    let job = app.wait_until_ended(started["job_id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "completed", "{job}");
    let from_experiment: Vec<Value> = job["result"]["personas"]
        .as_array()
        .unwrap()
        .iter()
        .map(content)
        .collect();
    assert_eq!(from_experiment, api);

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_persona"))
        .args([
            "generate",
            "--count",
            "3",
            "--seed",
            "11",
            "--detail-level",
            "brief",
            "--json",
            "--data",
        ])
        .arg(&data)
        .arg("--output")
        .arg(app.root().join("cli-output"))
        .env_remove("PERSONA_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let cli: Vec<Value> = serde_json::from_slice::<Vec<Value>>(&output.stdout)
        .unwrap()
        .iter()
        .map(content)
        .collect();
    assert_eq!(cli, api);
    assert!(
        api.iter().all(|p| ["goals", "pain_points", "behaviours", "motivations"]
            .iter()
            .all(|k| p[k].as_array().unwrap().len() <= 3)),
        "brief lists hold at most three claims"
    );
}
