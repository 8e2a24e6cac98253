//! `persona generate`: runs generation on a file or folder and writes a run folder.

use super::exit::error_line;
use crate::config::{ProcessEnv, Settings};
use crate::domain::values::PersonaCount;
use crate::generate::{GenerationSettings, Progress, RunOutcome, RunRequest, Step, execute_run};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// File or folder of research data (CSV, TSV, JSON, JSONL, YAML, Markdown, text, VTT, SRT).
    #[arg(long, value_name = "PATH")]
    pub data: PathBuf,
    /// Personas to generate, 1–20 [default: 3, or generation.count]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(i64::from(PersonaCount::MIN)..=i64::from(PersonaCount::MAX)))]
    pub count: Option<u16>,
    /// Provider [default: local, or generation.provider]
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// Model of the provider [default: the provider's configured model]
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// A persona the model cannot write: `local` writes that segment's persona with the local
    /// provider, `fail` fails the run [default: local, or llm.fallback]
    #[arg(long, value_name = "MODE", value_parser = clap::builder::PossibleValuesParser::new(crate::config::LLM_FALLBACKS))]
    pub fallback: Option<String>,
    /// Seed of segmentation and naming [default: 42, or generation.seed]
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Folder the run folder is created in [default: ./output, or storage.output_dir]
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// A speaker who is an interviewer (repeatable): their lines are never evidence; replaces
    /// interviewer detection [default: ingest.interviewers]
    #[arg(long = "interviewer", value_name = "NAME")]
    pub interviewers: Vec<String>,
    /// Config file (TOML) [default: $PERSONA_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Claims per list: brief, standard or detailed [default: generation.detail_level]
    #[arg(long, value_name = "LEVEL", value_parser = ["brief", "standard", "detailed"])]
    pub detail_level: Option<String>,
    /// Print the personas as a JSON array on stdout (and nothing else there).
    #[arg(long)]
    pub json: bool,
}

/// Runs `persona generate`; returns the exit code.
pub fn run(args: GenerateArgs) -> i32 {
    // Configuration mistakes (settings, provider) are usage errors: exit 2, before any work.
    let settings = match Settings::load(args.config.as_deref(), &ProcessEnv) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("{}", error_line(&e));
            return super::exit::EXIT_CONFIG;
        }
    };
    let request = RunRequest {
        data_path: args.data,
        generation: GenerationSettings {
            count: args.count.map_or(settings.generation.count, usize::from),
            seed: args.seed.unwrap_or(settings.generation.seed),
            provider: args.provider.unwrap_or_else(|| settings.generation.provider.clone()),
            model: args.model,
            options: {
                let mut options = interviewer_options(&args.interviewers);
                if let Some(mode) = args.fallback {
                    options.insert("fallback".to_string(), serde_json::Value::from(mode));
                }
                if let Some(level) = args.detail_level {
                    options.insert("detail_level".to_string(), serde_json::Value::from(level));
                }
                options
            },
        },
        run_id: None,
        experiment_id: None,
        output_dir: args.output.unwrap_or_else(|| settings.storage.output_dir.clone()),
        confine_to: None,
    };
    if let Err(e) = crate::generate::providers::resolve(&request.generation.provider, &settings) {
        eprintln!("{}", error_line(&e));
        return super::exit::EXIT_CONFIG;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{}", error_line(&format!("cannot start the runtime: {e}")));
            return 1;
        }
    };
    let progress = CliProgress::new();
    let result = runtime.block_on(execute_run(&request, &settings, &progress));
    progress.finish();
    match result {
        Ok(outcome) => {
            report_outcome(&outcome);
            let printed = if args.json {
                eprintln!("Output: {}", outcome.output_path.display());
                serde_json::to_string_pretty(&outcome.personas)
                    .map_err(std::io::Error::other)
                    .and_then(|json| print_line(&json))
            } else {
                print_line(&format!("Output: {}", outcome.output_path.display()))
            };
            match printed {
                // A closed pipe (`| head`) is the reader's choice, not a failure.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("{}", error_line(&e));
                    return 1;
                }
                _ => {}
            }
            0
        }
        Err(e) => {
            eprintln!("{}", error_line(&e));
            1
        }
    }
}

/// The run's summary on stderr: skipped files, warnings, counts, token usage and quality.
fn report_outcome(outcome: &RunOutcome) {
    for skipped in &outcome.metadata.skipped {
        eprintln!("warning: skipped {}: {}", skipped.path, skipped.reason);
    }
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    eprintln!(
        "generated {} persona{} from {} participants in {} ms",
        outcome.personas.len(),
        if outcome.personas.len() == 1 { "" } else { "s" },
        outcome.metadata.participants,
        outcome.duration_ms
    );
    if outcome.usage.requests > 0 {
        let g = outcome.grounding;
        eprintln!(
            "{} {}: {} input + {} output tokens in {} requests; grounding removed {} quote(s), \
             {} evidence reference(s), {} claim(s)",
            outcome.metadata.provider,
            outcome.metadata.model,
            outcome.usage.input_tokens,
            outcome.usage.output_tokens,
            outcome.usage.requests,
            g.quotes_removed,
            g.evidence_removed,
            g.claims_dropped
        );
    }
    if let Some(average) = outcome
        .metadata
        .quality
        .as_ref()
        .and_then(|q| q["average_score"].as_f64())
    {
        eprintln!(
            "average quality score {average:.2} (details: persona score {})",
            outcome.output_path.display()
        );
    }
}

/// `--interviewer` flags as the run's `config.interviewers` (recorded in its metadata).
fn interviewer_options(interviewers: &[String]) -> serde_json::Map<String, serde_json::Value> {
    let mut options = serde_json::Map::new();
    if !interviewers.is_empty() {
        options.insert("interviewers".to_string(), serde_json::json!(interviewers));
    }
    options
}

fn print_line(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")?;
    stdout.flush()
}

/// Progress on stderr: a bar on a terminal, plain `[ 25%] segmenting participants` lines
/// otherwise (logs, pipes, CI).
struct CliProgress {
    bar: Option<ProgressBar>,
}

impl CliProgress {
    fn new() -> CliProgress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(100);
            if let Ok(style) = ProgressStyle::with_template("{bar:30.cyan/blue} {pos:>3}% {msg}") {
                bar.set_style(style);
            }
            bar
        });
        CliProgress { bar }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for CliProgress {
    fn step(&self, step: Step, message: &str) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(u64::from(step.progress()));
                bar.set_message(message.to_string());
            }
            None => eprintln!("[{:>3}%] {message}", step.progress()),
        }
    }
}
