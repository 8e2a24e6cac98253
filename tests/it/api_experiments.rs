//! Experiments, runs and personas through the real server: creation and its checks, generation
//! from an experiment, run details, persona cards, deletion, and the history across a restart of
//! the real process.

use crate::support::executors::FakeExecutor;
use crate::support::{
    WAIT, error_body, http_client, is_ended, spawn_app, spawn_app_with, spawn_process, write_planted_csv,
};
use persona::config::Secret;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn create_experiment(app: &crate::support::TestApp, body: Value) -> Value {
    let response = app.post_json("/api/v1/experiments", &body).await;
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let json: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert_eq!(
        location,
        Some(format!("/api/v1/experiments/{}", json["id"].as_str().unwrap()))
    );
    json
}

async fn json_of(response: reqwest::Response, status: StatusCode) -> Value {
    let actual = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(actual, status, "{body}");
    body
}

#[tokio::test]
async fn an_experiment_runs_jobs_and_keeps_their_history() {
    let app = spawn_app(|_| {}).await;
    write_planted_csv(&app.root().join("data/study.csv"), 3, 6);
    let experiment = create_experiment(
        &app,
        json!({"name": "onboarding", "description": "Q3 interviews", "data_sources": ["study.csv"],
               "config": {"provider": "local", "persona_count": 2, "seed": 9}}),
    )
    .await;
    assert!(experiment["id"].as_str().unwrap().starts_with("exp-"));
    assert_eq!(experiment["status"], "created");
    assert_eq!(experiment["run_count"], 0);
    assert!(experiment["created_at"].as_str().unwrap().ends_with('Z'));
    let id = experiment["id"].as_str().unwrap().to_string();

    // A job from the experiment's settings, then one overriding the count.
    let response = app
        .post_json(&format!("/api/v1/experiments/{id}/generate"), &json!({}))
        .await;
    let job = json_of(response, StatusCode::ACCEPTED).await;
    assert_eq!(job["experiment_id"], id.as_str());
    assert_eq!(
        (job["count"].as_u64(), job["data"].as_str()),
        (Some(2), Some("study.csv"))
    );
    let first = app.wait_until_ended(job["job_id"].as_str().unwrap()).await;
    assert_eq!(first["status"], "completed", "{first}");
    let response = app
        .post_json(&format!("/api/v1/experiments/{id}/generate"), &json!({"count": 3}))
        .await;
    let second_id = json_of(response, StatusCode::ACCEPTED).await["job_id"]
        .as_str()
        .unwrap()
        .to_string();
    let second = app.wait_until_ended(&second_id).await;
    assert_eq!(second["result"]["personas_count"], 3);

    // A job from POST /api/v1/generate naming the experiment joins it too.
    let third = app
        .create_job(json!({"data": "study.csv", "count": 1, "experiment": "onboarding"}))
        .await;
    app.wait_until_ended(&third).await;

    let detail = json_of(app.get(&format!("/api/v1/experiments/{id}")).await, StatusCode::OK).await;
    assert_eq!(detail["run_count"], 3);
    assert_eq!(detail["status"], "completed");
    assert_eq!(detail["runs"].as_array().unwrap().len(), 3);
    assert_eq!(detail["runs"][0]["job_id"], third.as_str(), "newest first");
    assert!(detail["last_run_at"].as_str().unwrap().ends_with('Z'));

    let response = app.get(&format!("/api/v1/experiments/{id}/runs?limit=2")).await;
    assert_eq!(response.headers()["x-total-count"], "3");
    let runs = json_of(response, StatusCode::OK).await;
    assert_eq!(runs.as_array().unwrap().len(), 2);
    let run_id = first["run_id"].as_str().unwrap();
    let run = json_of(
        app.get(&format!("/api/v1/experiments/{id}/runs/{run_id}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(run["run_id"], run_id);
    assert_eq!(run["status"], "completed");
    assert_eq!(run["config"]["seed"], 9);
    assert_eq!(run["personas"].as_array().unwrap().len(), 2);
    let source = &run["source_files"][0];
    assert_eq!(source["sha256"].as_str().unwrap().len(), 64, "{run}");
    assert!(run["metadata"]["quality"].is_object(), "{run}");
    assert_eq!(run["usage"]["input_tokens"], 0);
    assert!(run["duration_ms"].as_u64().is_some());

    // The personas, as JSON and as their Markdown card.
    let persona_id = run["personas"][0]["id"].as_str().unwrap();
    let persona = json_of(app.get(&format!("/api/v1/personas/{persona_id}")).await, StatusCode::OK).await;
    assert_eq!(persona, run["personas"][0]);
    let card = app.get(&format!("/api/v1/personas/{persona_id}?format=markdown")).await;
    assert_eq!(card.status(), StatusCode::OK);
    assert!(
        card.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    let card = card.text().await.unwrap();
    assert!(
        card.starts_with(&format!("# {}", persona["name"].as_str().unwrap())),
        "{card}"
    );

    let list = app.get("/api/v1/experiments").await;
    assert_eq!(list.headers()["x-total-count"], "1");
    let list = json_of(list, StatusCode::OK).await;
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["run_count"], 3);
}

#[tokio::test]
async fn experiment_requests_are_checked_and_errors_are_named() {
    let app = spawn_app(|_| {}).await;
    app.write_data_file("a.csv", "participant_id,response\nP1,I want things.\n");
    create_experiment(&app, json!({"name": "taken", "data_sources": ["a.csv"]})).await;

    let bad = app
        .post_json(
            "/api/v1/experiments",
            &json!({"name": "", "description": 3, "data_sources": ["ok", 5], "config": {"persona_count": 50, "seed": -1}}),
        )
        .await;
    let error = error_body(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    let fields: Vec<&str> = error["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec![
            "name",
            "description",
            "data_sources[1]",
            "config.persona_count",
            "config.seed"
        ]
    );
    let not_object = app.post_json("/api/v1/experiments", &json!([1])).await;
    error_body(not_object, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    let duplicate = app.post_json("/api/v1/experiments", &json!({"name": "taken"})).await;
    error_body(duplicate, StatusCode::CONFLICT, "conflict").await;
    let missing = app
        .post_json(
            "/api/v1/experiments",
            &json!({"name": "x", "data_sources": ["nope.csv"]}),
        )
        .await;
    let error = error_body(missing, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert_eq!(error["details"]["field"], "data_sources[0]");
    let escaping = app
        .post_json(
            "/api/v1/experiments",
            &json!({"name": "y", "data_sources": ["../persona.db"]}),
        )
        .await;
    error_body(escaping, StatusCode::BAD_REQUEST, "invalid_input").await;
    let unconfigured = app
        .post_json(
            "/api/v1/experiments",
            &json!({"name": "z", "config": {"provider": "openai"}}),
        )
        .await;
    let error = error_body(unconfigured, StatusCode::BAD_REQUEST, "invalid_input").await;
    assert!(error["message"].as_str().unwrap().contains("OPENAI_API_KEY"), "{error}");
    assert_eq!(
        app.query_i64("SELECT COUNT(*) FROM experiments", []),
        1,
        "nothing half-written"
    );

    // Unknown ids.
    for path in [
        "/api/v1/experiments/exp-0000000000000000",
        "/api/v1/experiments/exp-0000000000000000/runs",
        "/api/v1/personas/persona-0000000000000000",
    ] {
        error_body(app.get(path).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    let gone = app
        .post_json("/api/v1/experiments/exp-0000000000000000/generate", &json!({}))
        .await;
    error_body(gone, StatusCode::NOT_FOUND, "not_found").await;
    let gone = app.delete("/api/v1/experiments/exp-0000000000000000").await;
    error_body(gone, StatusCode::NOT_FOUND, "not_found").await;

    // Paging and format parameters.
    let bad_page = app.get("/api/v1/experiments?limit=0&offset=x").await;
    let error = error_body(bad_page, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    assert_eq!(error["details"]["fields"].as_array().unwrap().len(), 2);
    let bad_format = app.get("/api/v1/personas/persona-0000000000000000?format=pdf").await;
    error_body(bad_format, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
}

#[tokio::test]
async fn generating_from_an_experiment_needs_one_clear_data_source() {
    let app = spawn_app(|_| {}).await;
    app.write_data_file("a.csv", "participant_id,response\nP1,I want things.\n");
    app.write_data_file("b.csv", "participant_id,response\nP2,I need things.\n");
    let none = create_experiment(&app, json!({"name": "empty"})).await;
    let two = create_experiment(&app, json!({"name": "two", "data_sources": ["a.csv", "b.csv"]})).await;
    let url = |e: &Value| format!("/api/v1/experiments/{}/generate", e["id"].as_str().unwrap());

    let error = error_body(
        app.post_json(&url(&none), &json!({})).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert!(error["message"].as_str().unwrap().contains("no data source"), "{error}");
    let error = error_body(
        app.post_json(&url(&two), &json!({})).await,
        StatusCode::BAD_REQUEST,
        "invalid_input",
    )
    .await;
    assert_eq!(error["details"]["data_sources"], json!(["a.csv", "b.csv"]));
    let bad = app.post_json(&url(&two), &json!({"data": "a.csv", "count": 0})).await;
    error_body(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    let moved = app
        .post_json(&url(&two), &json!({"data": "a.csv", "experiment_id": "exp-1"}))
        .await;
    error_body(moved, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    let not_json = app
        .request(reqwest::Method::POST, &url(&two))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    error_body(not_json, StatusCode::BAD_REQUEST, "invalid_input").await;
    let text = app
        .request(reqwest::Method::POST, &url(&two))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    error_body(text, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;

    // No body at all means "no overrides"; naming one source works.
    let ok = app
        .request(reqwest::Method::POST, &url(&two))
        .json(&json!({"data": "b.csv", "count": 1}))
        .send()
        .await
        .unwrap();
    let job = json_of(ok, StatusCode::ACCEPTED).await;
    assert_eq!(job["data"], "b.csv");
    let single = create_experiment(&app, json!({"name": "single", "data_sources": ["a.csv"]})).await;
    let bare = app.request(reqwest::Method::POST, &url(&single)).send().await.unwrap();
    json_of(bare, StatusCode::ACCEPTED).await;
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM jobs", []), 2);
}

#[tokio::test]
async fn deleting_an_experiment_waits_for_its_jobs_and_may_remove_outputs() {
    let executor = FakeExecutor::waiting();
    let app = spawn_app_with(|_| {}, executor.shared()).await;
    app.write_data_file("a.csv", "participant_id,response\nP1,I want things.\n");
    let experiment = create_experiment(&app, json!({"name": "busy", "data_sources": ["a.csv"]})).await;
    let id = experiment["id"].as_str().unwrap();
    let job = json_of(
        app.post_json(&format!("/api/v1/experiments/{id}/generate"), &json!({}))
            .await,
        StatusCode::ACCEPTED,
    )
    .await;
    let busy = app.delete(&format!("/api/v1/experiments/{id}")).await;
    let error = error_body(busy, StatusCode::CONFLICT, "conflict").await;
    assert!(error["message"].as_str().unwrap().contains("pending or running"));
    let listed = json_of(app.get("/api/v1/experiments").await, StatusCode::OK).await;
    assert_eq!(listed[0]["status"], "running");
    // The run is visible while it runs, and keeps its ID when it ends.
    let job_id = job["job_id"].as_str().unwrap();
    let running = app.wait_for_job(job_id, |j| j["status"] == "running", WAIT).await;
    let runs = json_of(app.get(&format!("/api/v1/experiments/{id}/runs")).await, StatusCode::OK).await;
    assert_eq!(runs.as_array().unwrap().len(), 1);
    assert_eq!(
        (&runs[0]["status"], &runs[0]["run_id"]),
        (&json!("running"), &running["run_id"])
    );
    assert!(runs[0]["started_at"].is_string() && runs[0]["completed_at"].is_null());
    executor.release();
    let ended = app.wait_until_ended(job_id).await;
    let run = json_of(
        app.get(&format!(
            "/api/v1/experiments/{id}/runs/{}",
            running["run_id"].as_str().unwrap()
        ))
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&run["status"], &ended["run_id"]),
        (&json!("completed"), &running["run_id"])
    );

    let bad = app
        .delete(&format!("/api/v1/experiments/{id}?delete_outputs=maybe"))
        .await;
    error_body(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    let deleted = json_of(app.delete(&format!("/api/v1/experiments/{id}")).await, StatusCode::OK).await;
    assert_eq!(deleted["success"], true);
    assert_eq!(deleted["deleted"]["jobs"], 1);
    assert_eq!(deleted["deleted"]["runs"], 1);
    assert_eq!(deleted["deleted"]["output_folders"], 0);
    for table in ["experiments", "jobs", "runs", "personas"] {
        assert_eq!(
            app.query_i64(&format!("SELECT COUNT(*) FROM {table}"), []),
            0,
            "{table}"
        );
    }
    error_body(
        app.get(&format!("/api/v1/experiments/{id}")).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn delete_outputs_removes_the_run_folders_inside_the_output_directory() {
    let app = spawn_app(|_| {}).await;
    write_planted_csv(&app.root().join("data/study.csv"), 2, 5);
    let experiment = create_experiment(&app, json!({"name": "outputs", "data_sources": ["study.csv"]})).await;
    let id = experiment["id"].as_str().unwrap();
    let job = json_of(
        app.post_json(&format!("/api/v1/experiments/{id}/generate"), &json!({"count": 2}))
            .await,
        StatusCode::ACCEPTED,
    )
    .await;
    let done = app.wait_until_ended(job["job_id"].as_str().unwrap()).await;
    let folder = std::path::PathBuf::from(done["result"]["output_path"].as_str().unwrap());
    assert!(folder.join("personas.json").exists());
    let deleted = json_of(
        app.delete(&format!("/api/v1/experiments/{id}?delete_outputs=true"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(deleted["deleted"]["output_folders"], 1);
    assert!(!folder.exists());
}

#[tokio::test]
async fn experiment_writes_need_the_token_and_reads_do_not() {
    let app = spawn_app(|s| s.auth.token = Some(Secret::new("sesame"))).await;
    app.write_data_file("a.csv", "participant_id,response\nP1,I want things.\n");
    let denied = app
        .post_json_with_token("/api/v1/experiments", &json!({"name": "n"}), None)
        .await;
    error_body(denied, StatusCode::UNAUTHORIZED, "unauthorised").await;
    let created = create_experiment(&app, json!({"name": "n", "data_sources": ["a.csv"]})).await;
    let id = created["id"].as_str().unwrap();
    let denied = app
        .post_json_with_token(&format!("/api/v1/experiments/{id}/generate"), &json!({}), None)
        .await;
    error_body(denied, StatusCode::UNAUTHORIZED, "unauthorised").await;
    let denied = app.delete_with_token(&format!("/api/v1/experiments/{id}"), None).await;
    error_body(denied, StatusCode::UNAUTHORIZED, "unauthorised").await;
    let open = app.get_with_token(&format!("/api/v1/experiments/{id}"), None).await;
    assert_eq!(open.status(), StatusCode::OK);
}

/// GET `url` and decode the JSON answer.
async fn get_json(client: &reqwest::Client, url: String) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn experiment_history_survives_a_killed_server() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    write_planted_csv(&dir.path().join("data/study.csv"), 2, 5);
    let client = http_client();
    let server = spawn_process(dir.path(), &[]).await;
    let created: Value = client
        .post(server.url("/api/v1/experiments"))
        .json(&json!({"name": "durable", "data_sources": ["study.csv"], "config": {"persona_count": 2}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let job: Value = client
        .post(server.url(&format!("/api/v1/experiments/{id}/generate")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let done = server
        .wait_for_job(job["job_id"].as_str().unwrap(), is_ended, WAIT)
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    let run_path = format!("/api/v1/experiments/{id}/runs/{}", done["run_id"].as_str().unwrap());
    let before = get_json(&client, server.url(&run_path)).await;
    server.kill_hard();

    let restarted = spawn_process(dir.path(), &[]).await;
    let detail = get_json(&client, restarted.url(&format!("/api/v1/experiments/{id}"))).await;
    assert_eq!(detail["name"], "durable");
    assert_eq!(detail["run_count"], 1);
    assert_eq!(detail["runs"][0]["run_id"], done["run_id"]);
    let after = get_json(&client, restarted.url(&run_path)).await;
    assert_eq!(after, before, "the run and its personas are intact");
    let persona_id = after["personas"][1]["id"].as_str().unwrap();
    let persona = get_json(&client, restarted.url(&format!("/api/v1/personas/{persona_id}"))).await;
    assert_eq!(persona, after["personas"][1]);
    restarted.kill_hard();
}

#[tokio::test]
async fn generate_overrides_treat_null_as_absent_and_refuse_two_counts() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    app.write_data_file("a.csv", "participant_id,response\nP1,I want things.\n");
    let experiment = create_experiment(
        &app,
        json!({"name": "merge", "data_sources": ["a.csv"], "config": {"persona_count": 2, "seed": 9, "detail_level": "brief"}}),
    )
    .await;
    let id = experiment["id"].as_str().unwrap();
    let job = json_of(
        app.post_json(
            &format!("/api/v1/experiments/{id}/generate"),
            &json!({"count": null, "seed": null, "config": null, "data": null}),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    let job_id = job["job_id"].as_str().unwrap();
    assert_eq!(job["count"], 2, "{job}");
    let request: String = {
        let sql = "SELECT request FROM jobs WHERE id = ?1";
        app.db
            .read(|conn| Ok(conn.query_row(sql, [job_id], |row| row.get(0))?))
            .unwrap()
    };
    let request: Value = serde_json::from_str(&request).unwrap();
    assert_eq!(
        (&request["seed"], &request["config"]),
        (&json!(9), &json!({"detail_level": "brief"}))
    );

    let both = app
        .post_json(
            &format!("/api/v1/experiments/{id}/generate"),
            &json!({"count": 4, "persona_count": 5}),
        )
        .await;
    let error = error_body(both, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    assert_eq!(error["details"]["fields"][0]["field"], "persona_count", "{error}");
}
