//! The shared test harness: a real server on 127.0.0.1 with a temporary database, data and
//! output directory, either in this process ([`spawn_app_with`], [`TestAppBuilder`]) or as the
//! real binary ([`spawn_process`]), plus helpers that read like the API.
//!
//! In-process apps start with rate limiting off (tests poll a lot), one HTTP worker pair, two job
//! slots and a 50 ms worker poll; tweak any setting in the closure. Set `TEST_LOG=debug` to see
//! the server's log.

#![allow(dead_code)] // each test module uses a different part of the harness

pub mod executors;
pub mod real_corpus;

use persona::api::Application;
use persona::api::state::AppState;
use persona::config::Settings;
use persona::store::Db;
use persona::worker::JobExecutor;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// How long helpers wait for a condition before failing the test.
pub const WAIT: Duration = Duration::from_secs(30);

fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Ok(level) = std::env::var("TEST_LOG") {
            let _ = persona::cli::init_logging(&level);
        }
    });
}

/// An HTTP client for tests: no proxies, bounded timeouts.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Settings for a test server rooted at `root` (database, data and output directories inside).
pub fn test_settings(root: &Path) -> Settings {
    let mut settings = Settings::default();
    settings.server.host = "127.0.0.1".into();
    settings.server.port = 0;
    settings.server.workers = 2;
    settings.server.shutdown_grace_seconds = 5;
    settings.database.path = root.join("persona.db");
    settings.storage.data_dir = root.join("data");
    settings.storage.output_dir = root.join("output");
    settings.rate_limit.enabled = false;
    settings.worker.concurrency = 2;
    settings.worker.poll_interval_ms = 50;
    settings
}

/// Builds an in-process test server.
pub struct TestAppBuilder {
    tweak: Box<dyn FnOnce(&mut Settings)>,
    executor: Option<Arc<dyn JobExecutor>>,
    reload_config: Option<String>,
    root: Option<PathBuf>,
}

/// Starts building an in-process test server.
pub fn test_app() -> TestAppBuilder {
    TestAppBuilder {
        tweak: Box::new(|_| {}),
        executor: None,
        reload_config: None,
        root: None,
    }
}

/// An in-process server running jobs with the real generation pipeline, with settings tweaked by
/// `tweak`.
pub async fn spawn_app(tweak: impl FnOnce(&mut Settings) + 'static) -> TestApp {
    test_app().settings(tweak).spawn().await
}

/// An in-process server whose jobs run on `executor`, with settings tweaked by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings) + 'static, executor: Arc<dyn JobExecutor>) -> TestApp {
    test_app().settings(tweak).executor(executor).spawn().await
}

impl TestAppBuilder {
    pub fn settings(mut self, tweak: impl FnOnce(&mut Settings) + 'static) -> Self {
        self.tweak = Box::new(tweak);
        self
    }

    /// Runs jobs on `executor` instead of the generation pipeline.
    pub fn executor(mut self, executor: Arc<dyn JobExecutor>) -> Self {
        self.executor = Some(executor);
        self
    }

    /// Writes `toml` to `<root>/persona.toml` and reloads the live settings when it changes
    /// (what `--reload` does); rewrite it with [`TestApp::write_config`].
    pub fn reload_config(mut self, toml: &str) -> Self {
        self.reload_config = Some(toml.to_string());
        self
    }

    /// Runs the server on the database and directories under `root` (which the caller owns), for
    /// example to start a second server on the database of a stopped one.
    pub fn root(mut self, root: &Path) -> Self {
        self.root = Some(root.to_path_buf());
        self
    }

    pub async fn spawn(self) -> TestApp {
        init_logging();
        let (dir, root) = match &self.root {
            Some(root) => (None, root.clone()),
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let root = dir.path().to_path_buf();
                (Some(dir), root)
            }
        };
        std::fs::create_dir_all(root.join("data")).expect("data dir");
        let mut settings = test_settings(&root);
        (self.tweak)(&mut settings);
        if let Some(toml) = &self.reload_config {
            // The watched file's live settings apply from the start, as with `serve --config`.
            let from_file = Settings::from_toml(toml).expect("the initial config parses");
            settings.auth = from_file.auth;
            settings.rate_limit = from_file.rate_limit;
            settings.cors = from_file.cors;
        }
        let token = settings.auth.token.as_ref().map(|t| t.expose().to_string());
        let data_dir = settings.storage.data_dir.clone();
        let output_dir = settings.storage.output_dir.clone();
        let db_path = settings.database.path.clone();
        let mut app = match self.executor {
            Some(executor) => Application::build_with_executor(settings, executor),
            None => Application::build(settings),
        }
        .expect("the test app builds");
        let config_path = root.join("persona.toml");
        if let Some(toml) = self.reload_config {
            std::fs::write(&config_path, toml).expect("config file");
            let path = config_path.clone();
            app.reload_on_change(config_path.clone(), Arc::new(move || Settings::from_file(&path)));
        }
        let port = app.port();
        let db = app.db().clone();
        let state = app.state();
        let shutdown = app.shutdown_token();
        let server = tokio::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            client: http_client(),
            token,
            db,
            db_path,
            data_dir,
            output_dir,
            config_path,
            state,
            shutdown,
            server: Some(server),
            root,
            _dir: dir,
        }
    }
}

/// A running in-process server. Dropping it stops the server and removes its directory.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    /// The configured API token, sent by the plain helpers.
    pub token: Option<String>,
    pub db: Db,
    pub db_path: PathBuf,
    pub data_dir: PathBuf,
    pub output_dir: PathBuf,
    pub config_path: PathBuf,
    pub state: actix_web::web::Data<AppState>,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    root: PathBuf,
    /// The temporary directory this app owns (none when started on a caller's directory).
    _dir: Option<TempDir>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The temporary directory holding everything of this app.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A request without any authentication.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    fn authed(&self, builder: RequestBuilder, token: Option<&str>) -> RequestBuilder {
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.get_with_token(path, self.token.as_deref()).await
    }

    pub async fn get_with_token(&self, path: &str, token: Option<&str>) -> Response {
        self.authed(self.request(Method::GET, path), token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.post_json_with_token(path, body, self.token.as_deref()).await
    }

    pub async fn post_json_with_token(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        self.authed(self.request(Method::POST, path), token)
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.delete_with_token(path, self.token.as_deref()).await
    }

    pub async fn delete_with_token(&self, path: &str, token: Option<&str>) -> Response {
        self.authed(self.request(Method::DELETE, path), token)
            .send()
            .await
            .expect("DELETE")
    }

    /// Writes a file into the data directory; returns its path.
    pub fn write_data_file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.data_dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("data subdirectory");
        }
        std::fs::write(&path, contents).expect("data file");
        path
    }

    /// Rewrites the watched config file (see [`TestAppBuilder::reload_config`]).
    pub fn write_config(&self, toml: &str) {
        std::fs::write(&self.config_path, toml).expect("config file");
    }

    /// Submits a job (expecting 200) and returns its id.
    pub async fn create_job(&self, body: Value) -> String {
        let response = self.post_json("/api/v1/generate", &body).await;
        let status = response.status();
        let json: Value = response.json().await.expect("JSON");
        assert_eq!(status, StatusCode::OK, "creating a job failed: {json}");
        json["job_id"].as_str().expect("job_id").to_string()
    }

    /// A job's view (expecting 200).
    pub async fn job(&self, job_id: &str) -> Value {
        let response = self.get(&format!("/api/v1/generate/{job_id}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("JSON")
    }

    /// Polls a job until `done(job)` holds; fails the test with the last view after `timeout`.
    pub async fn wait_for_job(&self, job_id: &str, done: impl Fn(&Value) -> bool, timeout: Duration) -> Value {
        wait_for_job_at(&self.client, &self.address, job_id, done, timeout).await
    }

    /// Polls a job until it has ended (completed, failed or cancelled).
    pub async fn wait_until_ended(&self, job_id: &str) -> Value {
        self.wait_for_job(job_id, is_ended, WAIT).await
    }

    /// Stops the server gracefully and waits for it (and its worker) to finish.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server");
        }
    }

    /// A scalar from the database, for assertions on stored rows.
    pub fn query_i64(&self, sql: &str, params: impl rusqlite::Params) -> i64 {
        self.db
            .read(|conn| Ok(conn.query_row(sql, params, |row| row.get(0))?))
            .expect("query")
    }
}

/// Writes a synthetic interview CSV with `groups` groups of `per_group` participants (six
/// utterances each) to `path`: realistic input for the real pipeline; larger takes longer.
pub fn write_planted_csv(path: &Path, groups: usize, per_group: usize) {
    use persona::generate::synthetic::{PlantedCorpus, PlantedSpec};
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("data directory");
    }
    PlantedCorpus::generate(&PlantedSpec::equal(groups, per_group, 7))
        .write_csv(path)
        .expect("planted CSV");
}

pub fn is_ended(job: &Value) -> bool {
    matches!(job["status"].as_str(), Some("completed" | "failed" | "cancelled"))
}

/// Polls `GET /api/v1/generate/{job_id}` on `address` until `done(job)` holds.
pub async fn wait_for_job_at(
    client: &reqwest::Client,
    address: &str,
    job_id: &str,
    done: impl Fn(&Value) -> bool,
    timeout: Duration,
) -> Value {
    let deadline = Instant::now() + timeout;
    let mut last = Value::Null;
    while Instant::now() < deadline {
        if let Ok(response) = client.get(format!("{address}/api/v1/generate/{job_id}")).send().await
            && response.status() == StatusCode::OK
        {
            last = response.json().await.expect("JSON");
            if done(&last) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("job {job_id} did not reach the expected state within {timeout:?}; last seen: {last}");
}

/// Waits (bounded) until `condition` holds.
pub async fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// Reads the body of an error response, checking the envelope.
pub async fn error_body(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}"
    );
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(body["details"].is_object(), "{body}");
    body
}

/// The real `persona serve` binary, running on a free port.
pub struct ProcessApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub log_path: PathBuf,
    child: Child,
}

/// Starts `persona serve` with the database `<dir>/persona.db`, data `<dir>/data` and outputs
/// `<dir>/output` (so that a second start on the same `dir` reuses them), rate limiting off, plus
/// `envs`. Waits until `/api/v1/health` answers. `PERSONA_*` variables of the test environment
/// are not passed on.
pub async fn spawn_process(dir: &Path, envs: &[(&str, &str)]) -> ProcessApp {
    init_logging();
    std::fs::create_dir_all(dir.join("data")).expect("data dir");
    let port = free_port();
    let log_index = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()).count())
        .unwrap_or(0);
    let log_path = dir.join(format!("server-{log_index}.log"));
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut command = Command::new(env!("CARGO_BIN_EXE_persona"));
    command
        .arg("serve")
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--db")
        .arg(dir.join("persona.db"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--output-dir")
        .arg(dir.join("output"))
        .args(["--log-level", "info"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log);
    for (key, _) in std::env::vars() {
        if key.starts_with("PERSONA_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command.env("PERSONA_RATE_LIMIT_ENABLED", "false");
    for (key, value) in envs {
        command.env(key, value);
    }
    let child = command.spawn().expect("persona serve starts");
    let mut app = ProcessApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: http_client(),
        log_path,
        child,
    };
    app.wait_until_healthy().await;
    app
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl ProcessApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    async fn wait_until_healthy(&mut self) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("persona serve exited early ({status}):\n{}", self.log());
            }
            if let Ok(response) = self.client.get(self.url("/api/v1/health")).send().await
                && response.status() == StatusCode::OK
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("persona serve did not become healthy within {WAIT:?}:\n{}", self.log());
    }

    /// Submits a job (expecting 200) and returns its id.
    pub async fn create_job(&self, body: Value) -> String {
        let response = self
            .client
            .post(self.url("/api/v1/generate"))
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = response.status();
        let json: Value = response.json().await.expect("JSON");
        assert_eq!(status, StatusCode::OK, "creating a job failed: {json}");
        json["job_id"].as_str().expect("job_id").to_string()
    }

    pub async fn job(&self, job_id: &str) -> Value {
        self.client
            .get(self.url(&format!("/api/v1/generate/{job_id}")))
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("JSON")
    }

    pub async fn wait_for_job(&self, job_id: &str, done: impl Fn(&Value) -> bool, timeout: Duration) -> Value {
        wait_for_job_at(&self.client, &self.address, job_id, done, timeout).await
    }

    /// SIGKILL: the process dies at once, as in a crash.
    pub fn kill_hard(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// SIGTERM, then waits (bounded) for the process to exit; returns its exit status.
    pub fn terminate(mut self, timeout: Duration) -> ExitStatus {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: sending a signal to our own child process, whose pid we hold.
        let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(sent, 0, "SIGTERM could not be sent");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() >= deadline {
                let log = self.log();
                let _ = self.child.kill();
                panic!("persona serve did not exit within {timeout:?} of SIGTERM:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ProcessApp {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
