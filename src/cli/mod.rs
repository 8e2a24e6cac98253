//! The `persona` command line: thin wrappers over the library.

pub mod exit;
pub mod generate;
pub mod inspect;
pub mod logging;
pub mod migrate;
pub mod score;
pub mod script;
pub mod serve;

pub use exit::{EXIT_CONFIG, EXIT_FAILURE, Failure, error_line};
pub use logging::{flush_logs, init_logging};

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
    /// Show who ingestion takes for participants, interviewers and staff, and what it leaves out.
    Inspect(inspect::InspectArgs),
    /// Run the REST API and the job worker.
    Serve(serve::ServeArgs),
    /// Apply database migrations and report the schema version.
    Migrate(migrate::MigrateArgs),
    /// Score the quality of personas (a personas.json or a run folder).
    Score(score::ScoreArgs),
    /// Turn one persona into a privacy-audited conversation script.
    Script(script::ScriptArgs),
}

/// Runs the CLI and returns the process exit code: 0 on success, 1 when the input or the run
/// fails, 2 for usage and configuration errors.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Generate(args) => {
            init_tool_logging();
            generate::run(args)
        }
        Command::Inspect(args) => {
            init_tool_logging();
            inspect::run(args)
        }
        Command::Serve(args) => serve::run(args),
        Command::Migrate(args) => migrate::run(args),
        Command::Score(args) => {
            init_tool_logging();
            score::run(args)
        }
        Command::Script(args) => {
            init_tool_logging();
            script::run(args)
        }
    }
}

/// Logging for one-shot commands: `RUST_LOG` is respected; by default only warnings reach stderr.
fn init_tool_logging() {
    let _ = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).try_init();
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[test]
    fn config_default_toml_documents_the_built_in_defaults() {
        let documented = Settings::from_toml(include_str!("../../config/default.toml")).expect("it parses");
        assert_eq!(format!("{documented:?}"), format!("{:?}", Settings::default()));
    }
}
