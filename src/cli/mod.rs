//! The `persona` command line: thin wrappers over the library.

pub mod generate;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "persona",
    version,
    about = "Evidence-backed user personas from research data"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate personas from a file or folder of research data and write a run folder.
    Generate(generate::GenerateArgs),
}

/// Runs the CLI and returns the process exit code: 0 on success, 1 when the input or the run
/// fails, 2 for usage errors (reported by clap).
pub fn main() -> i32 {
    // RUST_LOG is respected; by default only warnings reach stderr.
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).try_init();
    let cli = Cli::parse();
    match cli.command {
        Command::Generate(args) => generate::run(args),
    }
}

/// An error as one line, prefixed `error: `, for stderr.
pub fn error_line(error: &dyn std::fmt::Display) -> String {
    let message = error.to_string();
    format!("error: {}", message.split_whitespace().collect::<Vec<_>>().join(" "))
}
