//! The read cache (`api::read_cache`): views served from memory change as soon as the rows they
//! describe change, also when another process on the same database file changed them.

use crate::support::executors::FakeExecutor;
use crate::support::{WAIT, spawn_process, test_app, write_planted_csv};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Reads a job twice from `app` and checks that the second answer came from the cache.
async fn cached_job(app: &crate::support::TestApp, job_id: &str) -> Value {
    let first = app.job(job_id).await;
    let before = app.state.read_cache.stats();
    let second = app.job(job_id).await;
    let after = app.state.read_cache.stats();
    assert_eq!(first, second);
    assert_eq!(after.hits, before.hits + 1, "the second read is served from memory");
    second
}

#[tokio::test]
async fn a_cached_job_view_follows_cancel_and_completion_by_another_process() {
    let root = tempfile::tempdir().unwrap();
    write_planted_csv(&root.path().join("data/interviews.csv"), 2, 4);
    let executor = FakeExecutor::waiting();
    // One HTTP worker thread: every request meets the same per-thread cache.
    let a = test_app()
        .root(root.path())
        .settings(|s| {
            s.server.workers = 1;
            s.worker.concurrency = 1;
            // A lease renewal changes the job row (and so rebuilds its view): keep them rare.
            s.worker.lease_seconds = 600;
        })
        .executor(executor.shared())
        .spawn()
        .await;

    // Job 1 runs (and waits) on server A.
    let running = a.create_job(json!({"data": "interviews.csv", "count": 2})).await;
    a.wait_for_job(&running, |j| j["status"] == "running", WAIT).await;
    // Process B shares the file. Its worker polls rarely, so after its first look (nothing is
    // pending yet) it only runs jobs submitted to B.
    let b = spawn_process(root.path(), &[("PERSONA_WORKER_POLL_INTERVAL_MS", "600000")]).await;
    // Job 2 stays pending: A's only worker slot is taken.
    let pending = a.create_job(json!({"data": "interviews.csv", "count": 2})).await;
    assert_eq!(cached_job(&a, &running).await["cancel_requested"], false);
    assert_eq!(cached_job(&a, &pending).await["status"], "pending");

    let cancelled = b
        .client
        .delete(b.url(&format!("/api/v1/generate/{pending}")))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), StatusCode::OK);
    let view = a.job(&pending).await;
    assert_eq!(
        view["status"], "cancelled",
        "A's very next read shows B's cancel: {view}"
    );
    assert_eq!(cached_job(&a, &pending).await["status"], "cancelled");

    let requested = b
        .client
        .delete(b.url(&format!("/api/v1/generate/{running}")))
        .send()
        .await
        .unwrap();
    assert_eq!(requested.status(), StatusCode::ACCEPTED);
    // A's worker may already have stopped the job (it looks for cancel requests while it waits).
    let view = a.job(&running).await;
    assert_eq!(view["cancel_requested"], true, "{view}");
    assert!(
        matches!(view["status"].as_str(), Some("running" | "cancelled")),
        "{view}"
    );

    // Job 3 is run by B's worker (the real pipeline); A has cached it before it ended.
    let by_b = b.create_job(json!({"data": "interviews.csv", "count": 2})).await;
    // Read (and so cached) by A while B runs it; B's progress may move between reads.
    a.job(&by_b).await;
    let done_on_b = b.wait_for_job(&by_b, |j| j["status"] == "completed", WAIT).await;
    let on_a = a.job(&by_b).await;
    assert_eq!(on_a, done_on_b, "A's very next read is B's completed view");
    assert_eq!(on_a["result"]["personas"].as_array().map(Vec::len), Some(2));
    assert_eq!(cached_job(&a, &by_b).await, done_on_b);

    // A's own change (its worker ends the cancelled job) shows the same way.
    executor.release();
    let ended = a.wait_for_job(&running, |j| j["status"] == "cancelled", WAIT).await;
    assert_eq!(cached_job(&a, &running).await, ended);
}

#[tokio::test]
async fn cached_list_pages_follow_new_jobs_and_experiments() {
    let executor = FakeExecutor::succeeding();
    let app = test_app()
        .settings(|s| s.server.workers = 1)
        .executor(executor.shared())
        .spawn()
        .await;
    app.write_data_file("a.csv", "participant_id,response\nP1,I like short forms.\n");
    let list = |path: &'static str| {
        let app = &app;
        async move {
            let response = app.get(path).await;
            assert_eq!(response.status(), StatusCode::OK);
            let total: u64 = response.headers()["x-total-count"].to_str().unwrap().parse().unwrap();
            let items: Vec<Value> = response.json().await.unwrap();
            (total, items.len())
        }
    };
    assert_eq!(list("/api/v1/generate?limit=20").await, (0, 0));
    assert_eq!(list("/api/v1/experiments").await, (0, 0));
    let before = app.state.read_cache.stats();
    assert_eq!(list("/api/v1/generate?limit=20").await, (0, 0));
    assert_eq!(app.state.read_cache.stats().hits, before.hits + 1);

    let job = app.create_job(json!({"data": "a.csv", "count": 1})).await;
    assert_eq!(list("/api/v1/generate?limit=20").await, (1, 1));
    assert_eq!(list("/api/v1/experiments").await, (1, 1));
    app.wait_until_ended(&job).await;
    let response = app.get("/api/v1/generate?status=completed").await;
    let items: Vec<Value> = response.json().await.unwrap();
    assert_eq!(items[0]["job_id"], job.as_str());
}

#[tokio::test]
async fn health_answers_from_a_recent_check_and_turns_503_within_a_second_of_a_fault() {
    let app = test_app().executor(FakeExecutor::succeeding().shared()).spawn().await;
    for _ in 0..50 {
        assert_eq!(app.get("/api/v1/health").await.status(), StatusCode::OK);
    }
    std::fs::remove_file(&app.db_path).unwrap();
    let fault = std::time::Instant::now();
    let mut last = StatusCode::OK;
    while fault.elapsed() < std::time::Duration::from_secs(3) && last == StatusCode::OK {
        last = app.get("/api/v1/health").await.status();
    }
    let noticed = fault.elapsed();
    assert_eq!(last, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        noticed < std::time::Duration::from_secs(1),
        "503 only after {noticed:?}"
    );
}
