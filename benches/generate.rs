//! End-to-end generation benchmark: a planted corpus (8 groups, 6 utterances per participant)
//! is written to a temporary CSV, then `execute_run` reads it, segments, synthesises and
//! writes the run folder. Each size runs in a fresh child process so that its peak memory
//! (VmHWM) is its own; the parent also checks the recovered groups (ARI).
//!
//! `cargo bench --bench generate` runs 10,000 and 100,000 participants. Other sizes:
//! `cargo bench --bench generate -- 2000 50000` or `PERSONA_BENCH_SIZES=2000,50000`.
//! `PERSONA_BENCH_COUNT` sets the personas requested (default 8).

use persona::config::Settings;
use persona::domain::Persona;
use persona::generate::synthetic::{PlantedCorpus, PlantedSpec, adjusted_rand_index, persona_labels};
use persona::generate::{GenerationSettings, NoProgress, RunRequest, execute_run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const GROUPS: usize = 8;
const CHILD_DATA: &str = "PERSONA_BENCH_CSV";

fn main() {
    if let Ok(data) = std::env::var(CHILD_DATA) {
        measure(Path::new(&data));
        return;
    }
    let sizes = sizes();
    println!("persona generate benchmark: {GROUPS} planted groups, 6 utterances per participant, CSV input");
    for participants in sizes {
        let dir = tempfile::tempdir().expect("temporary folder");
        let csv = dir.path().join("planted.csv");
        let planted = PlantedCorpus::generate(&PlantedSpec::equal(GROUPS, participants.div_ceil(GROUPS), 2026));
        planted.write_csv(&csv).expect("write the corpus");
        let bytes = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);
        let out = Command::new(std::env::current_exe().expect("own path"))
            .env(CHILD_DATA, &csv)
            .output()
            .expect("run the measurement");
        let report = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            eprintln!(
                "{participants} participants failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::process::exit(1);
        }
        let field = |name: &str| {
            report
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
                .unwrap_or("?")
                .to_string()
        };
        let output = PathBuf::from(field("output"));
        let personas: Vec<Persona> =
            serde_json::from_slice(&std::fs::read(output.join("personas.json")).expect("personas.json"))
                .expect("personas JSON");
        let ids: Vec<String> = planted.participants.iter().map(|p| p.id.clone()).collect();
        let truth: Vec<usize> = planted.participants.iter().map(|p| p.group).collect();
        let ari = adjusted_rand_index(&truth, &persona_labels(&personas, &ids));
        println!(
            "{:>7} participants ({:>6} utterances, {:>5.1} MB CSV): wall {:>6} ms, peak RSS {:>6} MB, {} personas, ARI {ari:.3}",
            planted.participants.len(),
            field("utterances"),
            bytes as f64 / 1e6,
            field("wall_ms"),
            field("peak_rss_mb"),
            personas.len(),
        );
    }
}

fn sizes() -> Vec<usize> {
    let from_args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    if !from_args.is_empty() {
        return from_args;
    }
    if let Ok(list) = std::env::var("PERSONA_BENCH_SIZES") {
        let parsed: Vec<usize> = list.split(',').filter_map(|s| s.trim().parse().ok()).collect();
        if !parsed.is_empty() {
            return parsed;
        }
    }
    vec![10_000, 100_000]
}

/// In the child: ingest + generate + write, timed, then the process's peak memory.
fn measure(data: &Path) {
    let count = std::env::var("PERSONA_BENCH_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(GROUPS);
    let output_dir = data.parent().expect("data folder").join("output");
    let request = RunRequest {
        data_path: data.to_path_buf(),
        generation: GenerationSettings {
            count,
            seed: 42,
            provider: "local".into(),
            model: None,
            options: Default::default(),
        },
        run_id: None,
        experiment_id: None,
        output_dir,
        confine_to: None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let outcome = runtime
        .block_on(execute_run(&request, &Settings::default(), &NoProgress))
        .expect("the run succeeds");
    let wall = started.elapsed();
    println!(
        "wall_ms={} peak_rss_mb={} utterances={} output={}",
        wall.as_millis(),
        peak_rss_mb(),
        outcome.metadata.utterances,
        outcome.output_path.display()
    );
}

/// VmHWM (peak resident set size) of this process, in MB.
fn peak_rss_mb() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map(|kb| format!("{:.0}", kb / 1024.0))
        .unwrap_or_else(|| "?".into())
}
