//! Job creation commits bursts of submissions together (`api::job_writer`): each request still
//! gets its own answer, a failing one leaves nothing behind, and every 200 is already committed.

use crate::support::executors::FakeExecutor;
use crate::support::test_app;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_burst_of_submissions_gets_one_answer_each_and_failures_leave_nothing() {
    let executor = FakeExecutor::waiting();
    let app = test_app()
        .settings(|s| s.worker.concurrency = 1)
        .executor(executor.shared())
        .spawn()
        .await;
    app.write_data_file("a.csv", "participant_id,response\nP1,I like short forms.\n");
    let requests = (0..60).map(|n| {
        let body = if n % 3 == 0 {
            json!({"data": "a.csv", "count": 1, "experiment": format!("missing-{n}")})
        } else {
            json!({"data": "a.csv", "count": 1})
        };
        let app = &app;
        async move {
            let response = app.post_json("/api/v1/generate", &body).await;
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap();
            (n, status, body)
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    let mut created = Vec::new();
    for (n, status, body) in answers {
        if n % 3 == 0 {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(body["error"], "invalid_input");
            assert!(
                body["message"].as_str().unwrap().contains(&format!("missing-{n}")),
                "{body}"
            );
        } else {
            assert_eq!(status, StatusCode::OK, "{body}");
            created.push(body["job_id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(created.len(), 40);
    // Every job answered with 200 is in the file, once, with its creation event; nothing else is.
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM jobs", []), 40);
    assert_eq!(app.query_i64("SELECT COUNT(DISTINCT job_id) FROM job_events", []), 40);
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM experiments", []), 1);
    for id in &created {
        assert_eq!(app.query_i64("SELECT COUNT(*) FROM jobs WHERE id = ?1", [id]), 1);
    }
    executor.release();
}
