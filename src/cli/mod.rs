//! The `persona` command line: thin wrappers over the library.

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
pub enum Command {}

/// Runs the CLI and returns the process exit code.
#[allow(unreachable_code, unused_variables)] // until the first subcommand lands
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {}
}
