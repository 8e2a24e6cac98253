//! The `persona` command line: thin wrappers over the library.

pub mod score;
pub mod script;

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
    /// Score the quality of personas (a personas.json or a run folder).
    Score(score::ScoreArgs),
    /// Turn one persona into a privacy-audited conversation script.
    Script(script::ScriptArgs),
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Score(args) => score::run(args),
        Command::Script(args) => script::run(args),
    }
}
