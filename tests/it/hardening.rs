//! Issue 14, through the real server (or binary): bounded work per request, storage faults
//! reported as faults, the SSRF filter's special-purpose blocks, the worker's containment
//! re-check, the webhook cap, multipart totals and the body deadline, HEAD, startup messages.

use crate::support::executors::FakeExecutor;
use crate::support::{WAIT, error_body, spawn_app, spawn_app_with, test_app, wait_until};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

// ---- 1. rendered output is bounded ----

#[tokio::test]
async fn a_template_that_expands_past_the_script_limit_is_413_and_a_normal_one_renders() {
    let app = spawn_app_with(
        |s| s.server.max_script_bytes = 16 * 1024,
        FakeExecutor::succeeding().shared(),
    )
    .await;
    let persona = crate::quality::personas_json()[1].clone();
    // 124 KB of template repeating a list placeholder: the attack multiplied this into gigabytes.
    let template = "{{psychological_profile.goals}}".repeat(4000);
    let response = app
        .post_json(
            "/api/v1/scripts",
            &json!({"persona": persona, "format": "template", "template": template}),
        )
        .await;
    let error = error_body(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert!(
        error["message"].as_str().unwrap().contains("server.max_script_bytes"),
        "{error}"
    );
    let response = app
        .post_json(
            "/api/v1/scripts",
            &json!({"persona": persona, "format": "template", "template": "{{identity.name}}!"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let script: Value = response.json().await.unwrap();
    assert_eq!(script["output"], "user!");
}

// ---- 2. stored fields are bounded ----

#[tokio::test]
async fn oversized_stored_fields_are_refused_with_422_naming_the_field() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    app.write_data_file("interviews.csv", "participant_id,quote\nP1,hello\n");
    let long = "m".repeat(300_000);
    let cases = [
        (
            "/api/v1/generate",
            json!({"data": "interviews.csv", "model": long}),
            "model",
        ),
        (
            "/api/v1/generate",
            json!({"data": "interviews.csv", "provider": long}),
            "provider",
        ),
        ("/api/v1/generate", json!({"data": long}), "data"),
        (
            "/api/v1/generate",
            json!({"data": "interviews.csv", "config": {"notes": long}}),
            "config",
        ),
        (
            "/api/v1/experiments",
            json!({"name": "big", "description": "d".repeat(20_000)}),
            "description",
        ),
        (
            "/api/v1/experiments",
            json!({"name": "big", "config": {"x": long}}),
            "config",
        ),
        (
            "/api/v1/webhooks",
            json!({"url": format!("https://example.com/{}", "u".repeat(3000))}),
            "url",
        ),
        (
            "/api/v1/webhooks",
            json!({"url": "https://example.com/hook", "secret": "s".repeat(5000)}),
            "secret",
        ),
    ];
    for (path, body, field) in cases {
        let response = app.post_json(path, &body).await;
        let error = error_body(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_error").await;
        let fields: Vec<&str> = error["details"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, vec![field], "{path}: {error}");
        assert!(error["message"].as_str().unwrap().contains("at most"), "{error}");
    }
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM jobs", []), 0, "nothing was stored");
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM experiments", []), 0);
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM webhooks", []), 0);
}

// ---- 3. storage faults ----

async fn readiness(app: &crate::support::TestApp) -> (StatusCode, Value) {
    let response = app.get("/api/v1/health/ready").await;
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_deleted_database_file_refuses_writes_and_probes_say_so() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    app.write_data_file("interviews.csv", "participant_id,quote\nP1,hello\n");
    assert_eq!(readiness(&app).await.0, StatusCode::OK);
    std::fs::remove_file(&app.db_path).unwrap();
    let response = app
        .post_json("/api/v1/generate", &json!({"data": "interviews.csv"}))
        .await;
    let error = error_body(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(
        error["message"].as_str().unwrap().contains("deleted or replaced"),
        "{error}"
    );
    // A new file in its place is no better: it is not the database this server opened.
    std::fs::write(&app.db_path, b"").unwrap();
    let response = app.post_json("/api/v1/experiments", &json!({"name": "after"})).await;
    error_body(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    let (status, body) = readiness(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        body["details"]["checks"]["database"]
            .as_str()
            .unwrap()
            .contains("replaced"),
        "{body}"
    );
    let health = app.get("/api/v1/health").await;
    error_body(health, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
}

/// A small tmpfs mounted at a temporary directory, unmounted on drop; `None` (with the reason
/// printed) where the test may not mount file systems.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let output = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .output();
        match output {
            Ok(out) if out.status.success() => Some(SmallDisk { dir }),
            Ok(out) => {
                eprintln!(
                    "SKIPPED: cannot mount a small tmpfs for the disk-full case: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount for the disk-full case: {e}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a filler file until the file system is full; returns its path.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        // Byte by byte for the last partial block.
        while file.write_all(&[0u8]).is_ok() {}
        let _ = file.flush();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.dir.path()).status();
    }
}

#[tokio::test]
async fn a_full_disk_turns_writes_and_readiness_to_503_until_space_returns() {
    let Some(disk) = SmallDisk::mount(8) else { return };
    let db_path = disk.path().join("persona.db");
    let app = spawn_app_with(move |s| s.database.path = db_path, FakeExecutor::succeeding().shared()).await;
    assert_eq!(readiness(&app).await.0, StatusCode::OK);
    let filler = disk.fill();
    // Enough rows that SQLite needs new pages (and WAL frames) for them.
    let mut refused = None;
    for i in 0..200 {
        let response = app
            .post_json(
                "/api/v1/experiments",
                &json!({"name": format!("exp {i}"), "description": "x".repeat(9_000)}),
            )
            .await;
        if response.status() != StatusCode::CREATED {
            refused = Some(response);
            break;
        }
    }
    let error = error_body(
        refused.expect("a write failed on the full disk"),
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
    )
    .await;
    assert!(error["message"].as_str().unwrap().contains("disk is full"), "{error}");
    let (status, body) = readiness(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body["details"]["checks"]["database"]
            .as_str()
            .unwrap()
            .contains("disk is full"),
        "{body}"
    );
    std::fs::remove_file(filler).unwrap();
    // The probe write clears the fault once there is room again.
    let (status, body) = readiness(&app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let response = app.post_json("/api/v1/experiments", &json!({"name": "after"})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    app.shutdown().await;
}

#[tokio::test]
async fn a_full_output_folder_fails_the_job_saying_the_disk_is_full() {
    let Some(disk) = SmallDisk::mount(1) else { return };
    let output_dir = disk.path().join("output");
    std::fs::create_dir_all(&output_dir).unwrap();
    let app = spawn_app(move |s| s.storage.output_dir = output_dir).await;
    crate::support::write_planted_csv(&app.data_dir.join("interviews.csv"), 2, 4);
    let filler = disk.fill();
    let job_id = app.create_job(json!({"data": "interviews.csv", "count": 2})).await;
    let job = app.wait_until_ended(&job_id).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert!(job["error"].as_str().unwrap_or("").contains("disk full"), "{job}");
    std::fs::remove_file(filler).unwrap();
    app.shutdown().await;
}

#[tokio::test]
async fn a_corrupt_database_is_refused_at_start_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("persona.db");
    {
        let db = persona::store::Db::open_path(&db_path, 1, 1000).unwrap();
        db.migrate().unwrap();
        db.write(|tx| {
            for i in 0..200 {
                tx.execute(
                    "INSERT INTO experiments (id, name, created_at, updated_at) VALUES (?1, ?1, 't', 't')",
                    [format!("exp-{i:04}")],
                )?;
            }
            Ok(())
        })
        .unwrap();
        db.read(|c| Ok(c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").ok()))
            .unwrap();
    }
    // Overwrite everything after the first two pages with garbage.
    let mut bytes = std::fs::read(&db_path).unwrap();
    assert!(bytes.len() > 3 * 4096, "{} bytes", bytes.len());
    for (i, byte) in bytes.iter_mut().enumerate().skip(2 * 4096) {
        *byte = (i * 31 % 251) as u8;
    }
    std::fs::write(&db_path, bytes).unwrap();
    let mut settings = crate::support::test_settings(dir.path());
    settings.database.path = db_path;
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let error = match persona::api::Application::build(settings) {
        Ok(_) => panic!("a corrupt database was served"),
        Err(e) => e.to_string(),
    };
    assert!(
        error.contains("corrupt") || error.contains("malformed") || error.contains("not a database"),
        "{error}"
    );
}

fn serve_binary(dir: &Path, db: &Path) -> (std::process::Output, Duration) {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let started = Instant::now();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_persona"))
        .args(["serve", "--host", "127.0.0.1", "--port", "0", "--db"])
        .arg(db)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--output-dir")
        .arg(dir.join("output"))
        .env_remove("PERSONA_CONFIG")
        .output()
        .expect("persona serve runs");
    (output, started.elapsed())
}

#[test]
fn a_damaged_migration_history_or_an_unopenable_database_is_a_quick_message_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("persona.db");
    {
        let db = persona::store::Db::open_path(&db_path, 1, 1000).unwrap();
        db.migrate().unwrap();
        db.write(|tx| Ok(tx.execute("UPDATE refinery_schema_history SET applied_on = 'yesterday'", [])?))
            .unwrap();
    }
    let (output, _) = serve_binary(dir.path(), &db_path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("applied_on"), "{stderr}");

    // A directory where the database file should be: reported at once, not after the pool's
    // 5 s connection timeout.
    let not_a_file = dir.path().join("folder.db");
    std::fs::create_dir_all(&not_a_file).unwrap();
    let (output, took) = serve_binary(dir.path(), &not_a_file);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot open database"), "{stderr}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

// ---- 4. SSRF ----

#[tokio::test]
async fn addresses_that_embed_or_translate_to_loopback_are_refused_for_webhooks_and_data() {
    let app = spawn_app_with(|_| {}, FakeExecutor::succeeding().shared()).await;
    for url in [
        "http://[::127.0.0.1]:9/hook",
        "http://[::ffff:127.0.0.1]:9/hook",
        "http://[64:ff9b::7f00:1]:9/hook",
        "http://[64:ff9b::a9fe:a9fe]/latest",
        "http://[2002:7f00:1::]:9/hook",
        "http://[2001::1]/hook",
        "http://localhost.:9/hook",
        "http://api.localhost./hook",
    ] {
        let response = app.post_json("/api/v1/webhooks", &json!({"url": url})).await;
        assert!(response.status().is_client_error(), "{url}: {}", response.status());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["success"], false, "{url}");
        let response = app
            .post_json("/api/v1/generate", &json!({"data": format!("{url}.csv")}))
            .await;
        assert!(response.status().is_client_error(), "{url}: {}", response.status());
    }
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM webhooks", []), 0);
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM jobs", []), 0);
}

// ---- 5. TOCTOU ----

#[cfg(unix)]
#[tokio::test]
async fn a_data_file_swapped_for_a_link_out_of_the_data_directory_is_not_read() {
    let executor = FakeExecutor::waiting();
    let app = spawn_app_with(|s| s.worker.concurrency = 1, executor.shared()).await;
    app.write_data_file("first.csv", "participant_id,quote\nP1,hello\n");
    let data = app.write_data_file("second.csv", "participant_id,quote\nP1,hello\n");
    let first = app.create_job(json!({"data": "first.csv"})).await;
    wait_until("the first job to start", WAIT, || executor.started() == 1).await;
    // Accepted while the only job slot is busy, then swapped for a link to a file outside.
    let second = app.create_job(json!({"data": "second.csv"})).await;
    let outside = app.root().join("secret.csv");
    std::fs::write(&outside, "participant_id,quote\nP9,secret\n").unwrap();
    std::fs::remove_file(&data).unwrap();
    std::os::unix::fs::symlink(&outside, &data).unwrap();
    executor.release();
    assert_eq!(app.wait_until_ended(&first).await["status"], "completed");
    let job = app.wait_until_ended(&second).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert!(job["error"].as_str().unwrap().contains("symbolic link"), "{job}");
    assert_eq!(executor.started(), 1, "the swapped file never reached the pipeline");
}

/// With the real pipeline, a file of a folder swapped for a link out while the job runs: the
/// secret is never read, whichever guard meets the swap (the folder walk, or the open itself,
/// which checks where the opened descriptor really is). `ingest::tests` closes the race at the
/// open deterministically.
#[cfg(unix)]
#[tokio::test]
async fn a_folder_file_swapped_for_a_link_out_while_the_job_runs_is_never_read() {
    let app = spawn_app(|s| s.worker.concurrency = 1).await;
    // A large first file keeps the run busy reading and parsing before it reaches the second.
    crate::support::write_planted_csv(&app.data_dir.join("study/a.csv"), 6, 400);
    let second = app.write_data_file("study/b.csv", "participant_id,quote\nP1,I keep my notes on paper.\n");
    let outside = app.root().join("secret.csv");
    std::fs::write(&outside, "participant_id,quote\nP9,payroll password hunter2\n").unwrap();
    let id = app.create_job(json!({"data": "study", "count": 2})).await;
    app.wait_for_job(&id, |job| job["status"] != "pending", WAIT).await;
    std::fs::remove_file(&second).unwrap();
    std::os::unix::fs::symlink(&outside, &second).unwrap();
    let job = app.wait_until_ended(&id).await;
    assert_eq!(job["status"], "completed", "{job}");
    let run: Value = app
        .get(&format!(
            "/api/v1/experiments/{}/runs/{}",
            job["experiment_id"].as_str().unwrap(),
            job["run_id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !run.to_string().contains("hunter2") && !job.to_string().contains("hunter2"),
        "{run}"
    );
    let skipped = run["skipped_files"].as_array().unwrap();
    match skipped.iter().find(|f| f["path"] == "b.csv") {
        Some(file) => {
            let reason = file["reason"].as_str().unwrap();
            // Refused by where the link leads, or (the swap landing between the folder listing
            // and the file's metadata) as a link where a regular file was listed.
            assert!(
                reason.contains("data directory") || reason == "not a regular file",
                "{run}"
            );
            println!("b.csv refused: {reason}");
        }
        // The run read b.csv before the swap: its own words, not the secret's.
        None => println!("b.csv was read before the swap"),
    }
}

// ---- 6. webhook cap ----

#[tokio::test]
async fn registrations_beyond_max_webhooks_are_409() {
    let app = spawn_app_with(|s| s.webhooks.max_webhooks = 3, FakeExecutor::succeeding().shared()).await;
    for i in 0..3 {
        let response = app
            .post_json("/api/v1/webhooks", &json!({"url": format!("https://example.com/{i}")}))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let response = app
        .post_json("/api/v1/webhooks", &json!({"url": "https://example.com/4"}))
        .await;
    let error = error_body(response, StatusCode::CONFLICT, "conflict").await;
    assert!(
        error["message"].as_str().unwrap().contains("webhooks.max_webhooks"),
        "{error}"
    );
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM webhooks", []), 3);
}

// ---- 7. multipart totals and the body deadline ----

#[tokio::test]
async fn form_fields_count_against_the_upload_limit() {
    let app = spawn_app_with(
        |s| s.storage.max_upload_bytes = 10_000,
        FakeExecutor::succeeding().shared(),
    )
    .await;
    let boundary = "hardening-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n").as_bytes());
    body.extend_from_slice(&vec![b'n'; 50_000]);
    body.extend_from_slice(
        format!(
            "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\
             Content-Type: text/csv\r\n\r\nparticipant_id,quote\nP1,hello\n\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    let response = app
        .request(Method::POST, "/api/v1/datasets")
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    error_body(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM datasets", []), 0);
}

#[tokio::test]
async fn a_body_that_stalls_gets_408_with_the_envelope() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(
        |s| s.server.request_timeout_seconds = 1,
        FakeExecutor::succeeding().shared(),
    )
    .await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    stream
        .write_all(
            b"POST /api/v1/experiments HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"name\":",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"error\":\"request_timeout\""), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

// ---- 8. protocol errors answered by actix-http itself ----

/// Sends `request` on a fresh connection and reads the answer until the server closes it.
async fn raw_exchange(port: u16, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .unwrap();
    String::from_utf8(answer).unwrap()
}

/// The last response of a raw answer: its head and its body as JSON (checked against its
/// `content-length`).
fn last_response(answer: &str) -> (String, Value) {
    let start = answer.rfind("HTTP/1.1 ").expect("a response");
    let (head, body) = answer[start..].split_once("\r\n\r\n").expect("a complete head");
    assert!(head.contains(&format!("content-length: {}\r\n", body.len())), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    (head.to_string(), serde_json::from_str(body).expect("a JSON body"))
}

#[tokio::test]
async fn protocol_errors_carry_the_envelope() {
    let app = test_app().executor(FakeExecutor::succeeding().shared()).spawn().await;
    // A malformed request line.
    let (head, body) = last_response(&raw_exchange(app.port, b"GARBAGE\r\n\r\n").await);
    assert!(head.starts_with("HTTP/1.1 400 Bad Request"), "{head}");
    assert_eq!(body["success"], false);
    assert_eq!(body["error"], "invalid_input", "{body}");
    assert!(body["message"].as_str().unwrap().contains("malformed"), "{body}");
    // Too many headers.
    let mut many = b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n".to_vec();
    for i in 0..100 {
        many.extend_from_slice(format!("X-Header-{i}: value\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let (head, body) = last_response(&raw_exchange(app.port, &many).await);
    assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
    assert_eq!(body["error"], "headers_too_large", "{body}");
    // A URL filling the whole 128 KiB head buffer (all of it is read, so no reset).
    let mut huge = b"GET /".to_vec();
    huge.resize(128 * 1024, b'a');
    let (head, body) = last_response(&raw_exchange(app.port, &huge).await);
    assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
    assert_eq!(body["error"], "headers_too_large", "{body}");
}

#[tokio::test]
async fn keep_alive_and_pipelining_are_untouched_and_a_bad_pipelined_request_is_enveloped() {
    let app = test_app().executor(FakeExecutor::succeeding().shared()).spawn().await;
    let good = b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let mut pipelined = [good.as_slice(), good].concat();
    pipelined.extend_from_slice(b"GET /api/v1/health HTTP/1.1\r\nHo st: x\r\n\r\n");
    let answer = raw_exchange(app.port, &pipelined).await;
    assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 2, "{answer}");
    assert_eq!(answer.matches("\"status\":\"healthy\"").count(), 2, "{answer}");
    let (head, body) = last_response(&answer);
    assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
    assert_eq!(body["error"], "invalid_input", "{body}");
    // An ordinary keep-alive client: many requests on one connection.
    let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
    for _ in 0..20 {
        let response = client.get(app.url("/api/v1/health")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.json::<Value>().await.unwrap()["status"], "healthy");
    }
}

#[tokio::test]
async fn a_request_head_that_stalls_gets_408_with_the_envelope() {
    let app = test_app().executor(FakeExecutor::succeeding().shared()).spawn().await;
    let started = Instant::now();
    let answer = raw_exchange(app.port, b"GET /api/v1/health HTTP/1.1\r\nHost").await;
    let (head, body) = last_response(&answer);
    assert!(head.starts_with("HTTP/1.1 408 "), "{head}");
    assert_eq!(body["error"], "request_timeout", "{body}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

// ---- 8. HEAD (the other small ones) ----

#[tokio::test]
async fn head_is_served_wherever_get_is() {
    let app = test_app().executor(FakeExecutor::succeeding().shared()).spawn().await;
    for path in [
        "/api/v1/health",
        "/health/ready",
        "/api/v1/generate",
        "/api/v1/providers",
        "/openapi.json",
    ] {
        let response = app.request(Method::HEAD, path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.bytes().await.unwrap().is_empty(), "{path}");
    }
    // Still 405 where only other methods are served.
    let response = app.request(Method::HEAD, "/api/v1/scripts").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

/// Item 9: what a burst of generation allocates is given back once it is over.
#[tokio::test]
async fn resident_memory_returns_near_its_idle_level_after_a_burst_of_generation() {
    const MIB: u64 = 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let app = crate::support::spawn_process(dir.path(), &[("PERSONA_WORKER_CONCURRENCY", "2")]).await;
    let Some(idle) = app.resident_bytes() else {
        println!("SKIPPED: /proc/<pid>/status cannot be read here");
        return;
    };
    crate::support::write_planted_csv(&dir.path().join("data/burst.csv"), 8, 250);
    let mut jobs = Vec::new();
    for seed in 0..2 {
        jobs.push(
            app.create_job(json!({"data": "burst.csv", "count": 5, "seed": seed}))
                .await,
        );
    }
    let mut peak = idle;
    for id in &jobs {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            peak = peak.max(app.resident_bytes().unwrap_or(0));
            let job = app.job(id).await;
            if crate::support::is_ended(&job) {
                assert_eq!(job["status"], "completed", "{job}");
                break;
            }
            assert!(Instant::now() < deadline, "job {id} did not end: {job}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Within a minute of the burst, resident memory is back within 150 MB of its idle level.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut now = app.resident_bytes().unwrap();
    while now > idle + 150 * MIB && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        now = app.resident_bytes().unwrap();
    }
    println!(
        "resident memory: idle {} MiB, peak {} MiB, after {} MiB",
        idle / MIB,
        peak / MIB,
        now / MIB
    );
    assert!(
        now <= idle + 150 * MIB,
        "idle {} MiB, peak {} MiB, a minute later {} MiB",
        idle / MIB,
        peak / MIB,
        now / MIB
    );
}
