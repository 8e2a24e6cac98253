//! `persona inspect`: what ingestion makes of a file or folder, before any generation.

use super::exit::error_line;
use crate::config::{ProcessEnv, Settings};
use crate::ingest::{IngestLimits, IngestOptions, inspect, load_path_with};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// File or folder of research data.
    #[arg(long, value_name = "PATH")]
    pub data: PathBuf,
    /// A speaker who is an interviewer (repeatable); replaces detection [default: ingest.interviewers]
    #[arg(long = "interviewer", value_name = "NAME")]
    pub interviewers: Vec<String>,
    /// Config file (TOML) [default: $PERSONA_CONFIG]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the inspection as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `persona inspect`; returns the exit code.
pub fn run(args: InspectArgs) -> i32 {
    let settings = match Settings::load(args.config.as_deref(), &ProcessEnv) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("{}", error_line(&e));
            return super::exit::EXIT_CONFIG;
        }
    };
    let interviewers = if args.interviewers.is_empty() {
        settings.ingest.interviewers.clone()
    } else {
        args.interviewers
    };
    let options = IngestOptions { interviewers };
    let corpus = match load_path_with(&args.data, &IngestLimits::from_settings(&settings.storage), &options) {
        Ok(corpus) => corpus,
        Err(e) => {
            eprintln!("{}", error_line(&e));
            return super::exit::EXIT_FAILURE;
        }
    };
    let inspection = inspect::inspect(&corpus);
    let text = if args.json {
        match serde_json::to_string_pretty(&inspection) {
            Ok(json) => json,
            Err(e) => {
                eprintln!("{}", error_line(&e));
                return super::exit::EXIT_FAILURE;
            }
        }
    } else {
        inspect::render_text(&inspection)
    };
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{}", text.trim_end()).and_then(|()| stdout.flush()) {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("{}", error_line(&e));
            super::exit::EXIT_FAILURE
        }
        _ => 0,
    }
}
