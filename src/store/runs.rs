//! The `runs` table: one generation run (its settings, inputs, outcome and output folder).
//!
//! A job's run row is written `running` by its first claim and completed by the transition that
//! ends the job (see `store::jobs`), each in that transition's transaction, so every job that ran
//! or ended has exactly one run (`runs.job_id` is unique) and the run keeps its ID across retries.

use crate::error::Result;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<RunStatus> {
        match s {
            "running" => Some(RunStatus::Running),
            "completed" => Some(RunStatus::Completed),
            "failed" => Some(RunStatus::Failed),
            "cancelled" => Some(RunStatus::Cancelled),
            _ => None,
        }
    }
}

/// A run as stored: every column of `runs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: String,
    pub experiment_id: String,
    pub job_id: Option<String>,
    pub status: RunStatus,
    pub provider: String,
    pub model: Option<String>,
    pub config: serde_json::Value,
    pub source_files: serde_json::Value,
    pub skipped_files: serde_json::Value,
    pub warnings: Vec<String>,
    pub personas_count: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub output_path: Option<String>,
    pub duration_ms: Option<u64>,
    pub metadata: serde_json::Value,
    pub error: Option<String>,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
}

/// What a finished run produced, as far as the `runs` row records it (the personas go to the
/// `personas` table).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunDetails {
    pub model: Option<String>,
    pub source_files: serde_json::Value,
    pub skipped_files: serde_json::Value,
    pub warnings: Vec<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub output_path: Option<String>,
    pub duration_ms: Option<u64>,
    pub metadata: serde_json::Value,
}

/// Writes a run: a new row, or every column of an existing one (its first start time is kept).
pub fn record(tx: &Transaction<'_>, run: &Run) -> Result<()> {
    let json = |v: &serde_json::Value, empty: &str| {
        if v.is_null() {
            Ok(empty.to_string())
        } else {
            serde_json::to_string(v)
        }
    };
    tx.prepare_cached(
        "INSERT INTO runs (id, experiment_id, job_id, status, provider, model, config, source_files, skipped_files,
                           warnings, personas_count, input_tokens, output_tokens, output_path, duration_ms,
                           metadata, error, started_at, completed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
         ON CONFLICT (id) DO UPDATE SET
             experiment_id = excluded.experiment_id, job_id = excluded.job_id, status = excluded.status,
             provider = excluded.provider, model = excluded.model, config = excluded.config,
             source_files = excluded.source_files, skipped_files = excluded.skipped_files,
             warnings = excluded.warnings, personas_count = excluded.personas_count,
             input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
             output_path = excluded.output_path, duration_ms = excluded.duration_ms, metadata = excluded.metadata,
             error = excluded.error, started_at = COALESCE(runs.started_at, excluded.started_at),
             completed_at = excluded.completed_at",
    )?
    .execute(params![
        run.id,
        run.experiment_id,
        run.job_id,
        run.status.as_str(),
        run.provider,
        run.model,
        json(&run.config, "{}")?,
        json(&run.source_files, "[]")?,
        json(&run.skipped_files, "[]")?,
        serde_json::to_string(&run.warnings)?,
        run.personas_count as i64,
        run.input_tokens as i64,
        run.output_tokens as i64,
        run.output_path,
        run.duration_ms.map(|d| d as i64),
        json(&run.metadata, "{}")?,
        run.error,
        run.started_at,
        run.completed_at,
    ])?;
    Ok(())
}

const COLUMNS: &str =
    "id, experiment_id, job_id, status, provider, model, config, source_files, skipped_files, warnings,
     personas_count, input_tokens, output_tokens, output_path, duration_ms, metadata, error, started_at, completed_at";

fn from_row(row: &Row<'_>) -> Result<Run> {
    let text = |i: usize| -> rusqlite::Result<String> { row.get(i) };
    let status: String = row.get(3)?;
    Ok(Run {
        id: row.get(0)?,
        experiment_id: row.get(1)?,
        job_id: row.get(2)?,
        status: RunStatus::parse(&status)
            .ok_or_else(|| crate::error::Error::Internal(format!("unknown run status {status:?}")))?,
        provider: row.get(4)?,
        model: row.get(5)?,
        config: super::parse_json("runs.config", &text(6)?)?,
        source_files: super::parse_json("runs.source_files", &text(7)?)?,
        skipped_files: super::parse_json("runs.skipped_files", &text(8)?)?,
        warnings: super::parse_json("runs.warnings", &text(9)?)?,
        personas_count: row.get::<_, i64>(10)? as u64,
        input_tokens: row.get::<_, i64>(11)? as u64,
        output_tokens: row.get::<_, i64>(12)? as u64,
        output_path: row.get(13)?,
        duration_ms: row.get::<_, Option<i64>>(14)?.map(|d| d as u64),
        metadata: super::parse_json("runs.metadata", &text(15)?)?,
        error: row.get(16)?,
        started_at: row.get(17)?,
        completed_at: row.get(18)?,
    })
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Run>> {
    let sql = format!("SELECT {COLUMNS} FROM runs WHERE id = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([id])?;
    rows.next()?.map(from_row).transpose()
}

/// The run of a job, once it has started (or ended without starting).
pub fn get_for_job(conn: &Connection, job_id: &str) -> Result<Option<Run>> {
    let sql = format!("SELECT {COLUMNS} FROM runs WHERE job_id = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([job_id])?;
    rows.next()?.map(from_row).transpose()
}

/// An experiment's runs, newest first.
pub fn list_for_experiment(conn: &Connection, experiment_id: &str, limit: u32, offset: u64) -> Result<Vec<Run>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM runs WHERE experiment_id = ?1
         ORDER BY COALESCE(completed_at, started_at) DESC, rowid DESC LIMIT ?2 OFFSET ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![experiment_id, limit, offset as i64])?;
    let mut runs = Vec::new();
    while let Some(row) = rows.next()? {
        runs.push(from_row(row)?);
    }
    Ok(runs)
}

pub fn count_for_experiment(conn: &Connection, experiment_id: &str) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM runs WHERE experiment_id = ?1")?
        .query_row([experiment_id], |row| row.get(0))?;
    Ok(n as u64)
}

/// The output folder of a run, if it has one.
pub fn output_path(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT output_path FROM runs WHERE id = ?1")?
        .query_row([id], |row| row.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}
