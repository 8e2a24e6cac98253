//! `persona migrate`: applies the database migrations built into the binary.

use crate::config::{ProcessEnv, Settings};
use crate::store::Db;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// SQLite database file (default: database.path, ./persona.db).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// TOML config file (default: PERSONA_CONFIG).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

pub fn run(args: MigrateArgs) -> i32 {
    let mut settings = match Settings::load(args.config.as_deref(), &ProcessEnv) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("persona migrate: {e}");
            return super::exit::EXIT_CONFIG;
        }
    };
    if let Some(db) = args.db {
        settings.database.path = db;
    }
    match migrate(&settings) {
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            0
        }
        Err(e) => {
            eprintln!("persona migrate: {e}");
            super::exit::EXIT_FAILURE
        }
    }
}

/// Migrates the database of `settings`; returns what to print.
pub fn migrate(settings: &Settings) -> crate::error::Result<Vec<String>> {
    let path = &settings.database.path;
    let db = Db::open_path(path, 1, settings.database.busy_timeout_ms)?;
    let applied = db.migrate()?;
    let status = db.migration_status()?;
    let version = status.applied.unwrap_or(0);
    if applied.is_empty() {
        return Ok(vec![format!(
            "{}: up to date (schema version {version})",
            path.display()
        )]);
    }
    let mut lines: Vec<String> = applied
        .iter()
        .map(|m| format!("applied V{}__{}", m.version, m.name))
        .collect();
    lines.push(format!("{}: schema version {version}", path.display()));
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrate_applies_then_reports_up_to_date() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.database.path = dir.path().join("p.db");
        let first = migrate(&settings).unwrap();
        assert_eq!(first[0], "applied V1__core");
        let second = migrate(&settings).unwrap();
        assert_eq!(second.len(), 1);
        assert!(second[0].contains("up to date"), "{second:?}");
    }
}
