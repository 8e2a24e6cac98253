//! Server-Sent Events of a job through the real server: the whole life of a job, resuming with
//! `Last-Event-ID` (also after the real process was killed), terminal states, keep-alives, the
//! 404 envelope and graceful shutdown with a stream open.

use crate::support::executors::FakeExecutor;
use crate::support::{
    WAIT, error_body, http_client, is_ended, spawn_app, spawn_app_with, spawn_process, write_planted_csv,
};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// One parsed SSE frame.
#[derive(Debug, Clone, PartialEq)]
struct Frame {
    id: Option<i64>,
    event: String,
    data: Value,
}

/// What a stream delivered: its frames, its comment lines, and whether it ended by itself.
#[derive(Debug, Default)]
struct Received {
    frames: Vec<Frame>,
    comments: Vec<String>,
    ended: bool,
}

/// Reads an event stream until it ends, `stop` holds for what has arrived, or `timeout`.
async fn read_stream(response: reqwest::Response, timeout: Duration, stop: impl Fn(&Received) -> bool) -> Received {
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut received = Received::default();
    let mut buffer = String::new();
    let mut stream = response.bytes_stream();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let next = tokio::time::timeout_at(deadline, stream.next()).await;
        let chunk = match next {
            Err(_) => panic!("the stream neither ended nor met the condition in {timeout:?}: {received:?}"),
            Ok(None) => {
                received.ended = true;
                return received;
            }
            Ok(Some(chunk)) => chunk.expect("stream chunk"),
        };
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let (mut id, mut event, mut data) = (None, None, None);
            for line in block.lines() {
                if let Some(comment) = line.strip_prefix(':') {
                    received.comments.push(comment.trim().to_string());
                } else if let Some(value) = line.strip_prefix("id: ") {
                    id = Some(value.parse().unwrap());
                } else if let Some(value) = line.strip_prefix("event: ") {
                    event = Some(value.to_string());
                } else if let Some(value) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str(value).unwrap());
                }
            }
            if let (Some(event), Some(data)) = (event, data) {
                received.frames.push(Frame { id, event, data });
            }
        }
        if stop(&received) {
            return received;
        }
    }
}

fn events_of(received: &Received) -> Vec<&str> {
    received.frames.iter().map(|f| f.event.as_str()).collect()
}

#[tokio::test]
async fn a_stream_follows_a_job_to_completion_and_resumes_without_gaps() {
    let app = spawn_app(|_| {}).await;
    write_planted_csv(&app.root().join("data/study.csv"), 3, 5);
    let job = app.create_job(json!({"data": "study.csv", "count": 3})).await;
    let stream = app.get(&format!("/api/v1/generate/{job}/events")).await;
    assert_eq!(stream.headers()["cache-control"], "no-cache");
    let all = read_stream(stream, WAIT, |_| false).await;
    assert!(all.ended, "the stream ends after the terminal event");
    let events = events_of(&all);
    assert_eq!(events.first(), Some(&"pending"));
    assert_eq!(events.get(1), Some(&"running"));
    assert_eq!(events.last(), Some(&"completed"));
    assert!(events.iter().filter(|e| **e == "progress").count() >= 3, "{events:?}");
    let ids: Vec<i64> = all.frames.iter().map(|f| f.id.unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "increasing ids: {ids:?}");
    let progress: Vec<u64> = all
        .frames
        .iter()
        .map(|f| f.data["progress"].as_u64().unwrap())
        .collect();
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress never goes down: {progress:?}"
    );
    let last = &all.frames.last().unwrap().data;
    assert_eq!(last["job_id"], job.as_str());
    assert_eq!(last["progress"], 100);
    assert_eq!(last["result"]["personas"].as_array().unwrap().len(), 3);
    assert_eq!(*last, app.job(&job).await, "the completed event is the job view");

    // Resuming after the third event gives exactly the rest.
    let resume_after = ids[2];
    let resumed = app
        .request(reqwest::Method::GET, &format!("/api/v1/generate/{job}/events"))
        .header("Last-Event-ID", resume_after.to_string())
        .send()
        .await
        .unwrap();
    let rest = read_stream(resumed, WAIT, |_| false).await;
    assert_eq!(rest.frames, all.frames[3..].to_vec());
    let by_query = app
        .get(&format!(
            "/api/v1/generate/{job}/events?last_event_id={}",
            ids[ids.len() - 2]
        ))
        .await;
    let last_only = read_stream(by_query, WAIT, |_| false).await;
    assert_eq!(events_of(&last_only), vec!["completed"]);
    // After the terminal event there is nothing more to say.
    let after_end = app
        .get(&format!(
            "/api/v1/generate/{job}/events?last_event_id={}",
            ids[ids.len() - 1]
        ))
        .await;
    let nothing = read_stream(after_end, WAIT, |_| false).await;
    assert!(nothing.frames.is_empty() && nothing.ended);
    // The stored events are what an operator sees.
    assert_eq!(
        app.query_i64("SELECT COUNT(*) FROM job_events WHERE job_id = ?1", [&job]),
        ids.len() as i64
    );
}

#[tokio::test]
async fn failed_and_cancelled_jobs_end_their_streams() {
    let executor = FakeExecutor::failing("the data is unusable");
    let app = spawn_app_with(|_| {}, executor.shared()).await;
    app.write_data_file("a.csv", "participant_id,response\nP1,I want things.\n");
    let failed = app.create_job(json!({"data": "a.csv"})).await;
    let received = read_stream(
        app.get(&format!("/api/v1/generate/{failed}/events")).await,
        WAIT,
        |_| false,
    )
    .await;
    assert_eq!(events_of(&received).last(), Some(&"failed"));
    assert_eq!(received.frames.last().unwrap().data["error"], "the data is unusable");

    let waiting = FakeExecutor::waiting();
    let app = spawn_app_with(|_| {}, waiting.shared()).await;
    app.write_data_file("a.csv", "participant_id,response\nP1,I want things.\n");
    let job = app.create_job(json!({"data": "a.csv"})).await;
    let stream = app.get(&format!("/api/v1/generate/{job}/events")).await;
    let reader = tokio::spawn(read_stream(stream, WAIT, |_| false));
    app.wait_for_job(&job, |j| j["status"] == "running", WAIT).await;
    let cancel = app.delete(&format!("/api/v1/generate/{job}")).await;
    assert_eq!(cancel.status(), StatusCode::ACCEPTED);
    app.wait_until_ended(&job).await;
    let received = reader.await.unwrap();
    let events = events_of(&received);
    assert!(events.contains(&"cancel_requested"), "{events:?}");
    assert_eq!(events.last(), Some(&"cancelled"));
    assert!(received.ended);
}

#[tokio::test]
async fn keep_alive_comments_are_sent_while_nothing_happens() {
    let executor = FakeExecutor::waiting();
    let app = spawn_app_with(|s| s.server.sse_keepalive_seconds = 1, executor.shared()).await;
    app.write_data_file("a.csv", "participant_id,response\nP1,I want things.\n");
    let job = app.create_job(json!({"data": "a.csv"})).await;
    let stream = app.get(&format!("/api/v1/generate/{job}/events")).await;
    let received = read_stream(stream, Duration::from_secs(10), |r| {
        r.comments.iter().any(|c| c == "keep-alive")
    })
    .await;
    assert!(!received.ended);
    assert_eq!(events_of(&received)[..2], ["pending", "running"]);
    executor.release();
}

#[tokio::test]
async fn unknown_jobs_and_bad_event_ids_get_the_error_envelope() {
    let app = spawn_app(|_| {}).await;
    let missing = app.get("/api/v1/generate/job-0000000000000000/events").await;
    error_body(missing, StatusCode::NOT_FOUND, "not_found").await;
    app.write_data_file("a.csv", "participant_id,response\nP1,I want things.\n");
    let job = app.create_job(json!({"data": "a.csv"})).await;
    let bad = app
        .request(reqwest::Method::GET, &format!("/api/v1/generate/{job}/events"))
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .unwrap();
    error_body(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
    for query in [
        "last_event_id=-1",
        "last_event_id=1000000000000000000",
        "last_event_id=x",
    ] {
        let bad = app.get(&format!("/api/v1/generate/{job}/events?{query}")).await;
        let error = error_body(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
        assert_eq!(error["details"]["fields"][0]["field"], "last_event_id", "{query}");
    }
}

#[tokio::test]
async fn shutdown_ends_open_streams_promptly() {
    let executor = FakeExecutor::waiting();
    let app = spawn_app_with(|_| {}, executor.shared()).await;
    app.write_data_file("a.csv", "participant_id,response\nP1,I want things.\n");
    let job = app.create_job(json!({"data": "a.csv"})).await;
    let stream = app.get(&format!("/api/v1/generate/{job}/events")).await;
    let reader = tokio::spawn(read_stream(stream, WAIT, |_| false));
    app.wait_for_job(&job, |j| j["status"] == "running", WAIT).await;
    executor.release();
    let started = std::time::Instant::now();
    app.shutdown().await;
    let received = reader.await.unwrap();
    assert!(received.ended, "the stream ended with the server");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

#[tokio::test]
async fn events_resume_after_the_server_was_killed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    write_planted_csv(&dir.path().join("data/study.csv"), 2, 5);
    let client = http_client();
    let first = spawn_process(dir.path(), &[]).await;
    let job = first.create_job(json!({"data": "study.csv", "count": 2})).await;
    first.wait_for_job(&job, is_ended, WAIT).await;
    let url = |server: &crate::support::ProcessApp| server.url(&format!("/api/v1/generate/{job}/events"));
    let before = read_stream(client.get(url(&first)).send().await.unwrap(), WAIT, |_| false).await;
    first.kill_hard();

    let second = spawn_process(dir.path(), &[]).await;
    let middle = before.frames[1].id.unwrap();
    let resumed = client
        .get(url(&second))
        .header("Last-Event-ID", middle.to_string())
        .send()
        .await
        .unwrap();
    let after = read_stream(resumed, WAIT, |_| false).await;
    assert_eq!(after.frames, before.frames[2..].to_vec(), "no gap, no repeat");
    second.kill_hard();
}
