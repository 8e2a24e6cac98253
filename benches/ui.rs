//! Web workspace: server time and page weight of each page for a run of 20 personas with
//! evidence. Starts the real server on a random port, generates a run with the real pipeline
//! (planted data; its personas are repeated up to 20, each keeping its evidence and quality),
//! then times every fragment over loopback and adds up what a browser loads for each page
//! (shell + CSS + JS + fragment, uncompressed).
//!
//! `cargo bench --bench ui`; `UI_BENCH_ROUNDS` sets the requests per page (default 50).

use persona::api::Application;
use persona::config::Settings;
use persona::domain::IdKind;
use persona::generate::Progress;
use persona::generate::synthetic::{PlantedCorpus, PlantedSpec};
use persona::worker::{ExecuteFuture, JobExecutor, JobRun, PipelineExecutor};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PERSONAS: usize = 20;

/// The generation pipeline, its personas repeated up to [`PERSONAS`].
struct TwentyPersonas(PipelineExecutor);

impl JobExecutor for TwentyPersonas {
    fn execute(&self, run: JobRun, progress: Arc<dyn Progress>) -> ExecuteFuture {
        let pipeline = self.0.execute(run, progress);
        Box::pin(async move {
            let mut output = pipeline.await?;
            let originals = output.personas.clone();
            for (n, original) in originals.iter().cycle().enumerate().take(PERSONAS - originals.len()) {
                let mut copy = original.clone();
                copy.id = IdKind::Persona.new_id();
                copy.name = format!("{} ({})", original.name, n + 2);
                output.personas.push(copy);
            }
            Ok(output)
        })
    }
}

fn main() {
    let rounds: usize = std::env::var("UI_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(rounds));
}

async fn run(rounds: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::default();
    settings.server.port = 0;
    settings.server.workers = 2;
    settings.database.path = dir.path().join("persona.db");
    settings.storage.data_dir = dir.path().join("data");
    settings.storage.output_dir = dir.path().join("output");
    settings.rate_limit.enabled = false;
    std::fs::create_dir_all(&settings.storage.data_dir).expect("data dir");
    PlantedCorpus::generate(&PlantedSpec::equal(8, 6, 7))
        .write_csv(&settings.storage.data_dir.join("study.csv"))
        .expect("planted CSV");
    let executor = Arc::new(TwentyPersonas(PipelineExecutor::new(Arc::new(settings.clone()))));
    let app = Application::build_with_executor(settings, executor).expect("server");
    let base = format!("http://127.0.0.1:{}", app.port());
    let stop = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().no_proxy().build().expect("client");

    let created: Value = client
        .post(format!("{base}/api/v1/generate"))
        .json(&json!({"data": "study.csv", "count": 8}))
        .send()
        .await
        .expect("generate")
        .json()
        .await
        .expect("JSON");
    let job_id = created["job_id"].as_str().expect("job_id").to_string();
    let job = wait_for_completion(&client, &base, &job_id).await;
    let personas = job["result"]["personas"].as_array().expect("personas");
    let evidence: usize = personas
        .iter()
        .map(|p| p["evidence"].as_array().map_or(0, Vec::len))
        .sum();
    let (experiment_id, run_id) = (job["experiment_id"].as_str().unwrap(), job["run_id"].as_str().unwrap());
    let persona_id = personas[0]["id"].as_str().unwrap();
    println!(
        "run of {} personas with {evidence} evidence entries; {rounds} requests per page (debug or release: see the build)",
        personas.len()
    );

    let shell_and_assets = {
        let shell = client
            .get(format!("{base}/ui/"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .len();
        shell + persona::api::ui::STYLESHEET.len() + persona::api::ui::SCRIPT.len()
    };
    let pages = [
        (
            "run (20 cards)",
            format!("/ui/fragments/experiments/{experiment_id}/runs/{run_id}"),
        ),
        ("job (20 cards)", format!("/ui/fragments/jobs/{job_id}")),
        ("persona", format!("/ui/fragments/personas/{persona_id}")),
        (
            "evidence of a claim",
            format!("/ui/fragments/personas/{persona_id}/evidence?field=goals&index=0"),
        ),
        ("experiment", format!("/ui/fragments/experiments/{experiment_id}")),
        (
            "compare",
            format!("/ui/fragments/compare?experiment={experiment_id}&a={run_id}&b={run_id}"),
        ),
        ("jobs", "/ui/fragments/jobs".to_string()),
        ("experiments", "/ui/fragments/experiments".to_string()),
        ("generate form", "/ui/fragments/".to_string()),
        ("webhooks", "/ui/fragments/webhooks".to_string()),
    ];
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>12}",
        "page", "median ms", "p95 ms", "max ms", "page KB"
    );
    for (name, path) in pages {
        let mut times = Vec::with_capacity(rounds);
        let mut bytes = 0;
        for _ in 0..rounds {
            let started = Instant::now();
            let response = client.get(format!("{base}{path}")).send().await.expect("request");
            assert!(response.status().is_success(), "{path}: {}", response.status());
            bytes = response.bytes().await.expect("body").len();
            times.push(started.elapsed());
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name:<22} {:>10.2} {:>10.2} {:>10.2} {:>12.1}",
            ms(times[times.len() / 2]),
            ms(times[(times.len() * 95 / 100).min(times.len() - 1)]),
            ms(*times.last().unwrap()),
            (shell_and_assets + bytes) as f64 / 1024.0
        );
    }
    println!(
        "(page KB = shell {:.1} KB with CSS and JS + the fragment; times are request round trips over loopback)",
        shell_and_assets as f64 / 1024.0
    );
    stop.cancel();
    let _ = server.await;
}

async fn wait_for_completion(client: &reqwest::Client, base: &str, job_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let job: Value = client
            .get(format!("{base}/api/v1/generate/{job_id}"))
            .send()
            .await
            .expect("job")
            .json()
            .await
            .expect("JSON");
        match job["status"].as_str() {
            Some("completed") => return job,
            Some("failed" | "cancelled") => panic!("the job ended {job}"),
            _ if Instant::now() > deadline => panic!("the job did not end in time: {job}"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}
