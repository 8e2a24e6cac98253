//! The `persona` command line: thin wrappers over the library.

pub mod migrate;
pub mod serve;

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
    /// Apply database migrations and report the schema version.
    Migrate(migrate::MigrateArgs),
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Migrate(args) => migrate::run(args),
    }
}

/// Exit code for a configuration or usage problem.
pub const EXIT_CONFIG: i32 = 2;
/// Exit code for a failure while running.
pub const EXIT_FAILURE: i32 = 1;

/// Starts logging at `level` (`error`, `warn`, `info`, `debug`, `trace` or `off`); `RUST_LOG`,
/// when set, adds finer per-module filters. Never fails if logging is already set up.
pub fn init_logging(level: &str) -> Result<(), String> {
    let level = level.trim().to_ascii_lowercase();
    if level.parse::<log::LevelFilter>().is_err() {
        return Err(format!(
            "invalid log level {level:?}: use error, warn, info, debug, trace or off"
        ));
    }
    let mut builder = env_logger::Builder::new();
    builder.parse_filters(&level).format_timestamp_millis();
    if let Ok(filters) = std::env::var("RUST_LOG") {
        builder.parse_filters(&filters);
    }
    let _ = builder.try_init();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[test]
    fn config_default_toml_documents_the_built_in_defaults() {
        let documented = Settings::from_toml(include_str!("../../config/default.toml")).expect("it parses");
        assert_eq!(format!("{documented:?}"), format!("{:?}", Settings::default()));
    }

    #[test]
    fn log_levels_are_checked() {
        assert!(super::init_logging("warn").is_ok());
        assert!(super::init_logging("loud").unwrap_err().contains("loud"));
    }
}
