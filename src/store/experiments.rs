//! The `experiments` table: named groups of runs over the same research data.

use crate::domain::IdKind;
use crate::error::Result;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

/// One row of `experiments`.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Data sources (paths, URLs or dataset ids).
    pub data_sources: Vec<String>,
    /// Default generation configuration.
    pub config: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, name, description, data_sources, config, created_at, updated_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<(Experiment, String, String)> {
    Ok((
        Experiment {
            id: row.get(0)?,
            name: row.get(1)?,
            description: row.get(2)?,
            data_sources: Vec::new(),
            config: serde_json::Value::Null,
            created_at: row.get(5)?,
            updated_at: row.get(6)?,
        },
        row.get(3)?,
        row.get(4)?,
    ))
}

fn finish((mut experiment, sources, config): (Experiment, String, String)) -> Result<Experiment> {
    experiment.data_sources = super::parse_json("experiments.data_sources", &sources)?;
    experiment.config = super::parse_json("experiments.config", &config)?;
    Ok(experiment)
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Experiment>> {
    let sql = format!("SELECT {COLUMNS} FROM experiments WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?
        .map(finish)
        .transpose()
}

pub fn get_by_name(conn: &Connection, name: &str) -> Result<Option<Experiment>> {
    let sql = format!("SELECT {COLUMNS} FROM experiments WHERE name = ?1");
    conn.prepare_cached(&sql)?
        .query_row([name], from_row)
        .optional()?
        .map(finish)
        .transpose()
}

/// The experiment named `name`, created with `data_source` as its only source when it does not
/// exist yet (jobs submitted without an experiment get one named after their data).
pub fn find_or_create_for_data(tx: &Transaction<'_>, name: &str, data_source: &str, now: &str) -> Result<Experiment> {
    if let Some(existing) = get_by_name(tx, name)? {
        return Ok(existing);
    }
    let sources = serde_json::to_string(&[data_source])?;
    tx.prepare_cached(
        "INSERT INTO experiments (id, name, description, data_sources, config, created_at, updated_at)
         VALUES (?1, ?2, NULL, ?3, '{}', ?4, ?4)",
    )?
    .execute(params![IdKind::Experiment.new_id(), name, sources, now])?;
    get_by_name(tx, name)?.ok_or_else(|| crate::error::Error::Internal(format!("experiment {name:?} vanished")))
}

/// A new experiment, as checked by the API.
#[derive(Debug, Clone, PartialEq)]
pub struct NewExperiment {
    pub name: String,
    pub description: Option<String>,
    pub data_sources: Vec<String>,
    pub config: serde_json::Value,
}

/// Inserts an experiment; 409 `conflict` when the name is taken.
pub fn insert(tx: &Transaction<'_>, new: &NewExperiment, now: &str) -> Result<Experiment> {
    if get_by_name(tx, &new.name)?.is_some() {
        return Err(crate::error::Error::Conflict(format!(
            "an experiment named {:?} already exists",
            new.name
        )));
    }
    let id = IdKind::Experiment.new_id();
    tx.prepare_cached(
        "INSERT INTO experiments (id, name, description, data_sources, config, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![
        id,
        new.name,
        new.description,
        serde_json::to_string(&new.data_sources)?,
        serde_json::to_string(&new.config)?,
        now
    ])?;
    get(tx, &id)?.ok_or_else(|| crate::error::Error::Internal(format!("experiment {id} vanished")))
}

/// An experiment with what its runs and jobs say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentSummary {
    pub experiment: Experiment,
    pub run_count: u64,
    /// When its latest run ended (or started, while it has not ended).
    pub last_run_at: Option<String>,
    /// `created` (no job yet), `running` (a job is pending or running), else the status of the
    /// latest run (`completed`, `failed`, `cancelled`).
    pub status: String,
}

pub(crate) const SUMMARY_COLUMNS: &str = "(SELECT COUNT(*) FROM runs r WHERE r.experiment_id = e.id),
    (SELECT MAX(COALESCE(r.completed_at, r.started_at)) FROM runs r WHERE r.experiment_id = e.id),
    (SELECT COUNT(*) FROM jobs j WHERE j.experiment_id = e.id AND j.status IN ('pending', 'running')),
    (SELECT r.status FROM runs r WHERE r.experiment_id = e.id
      ORDER BY COALESCE(r.completed_at, r.started_at) DESC, r.rowid DESC LIMIT 1)";

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<(ExperimentSummary, String, String)> {
    let (experiment, sources, config) = from_row(row)?;
    let active: i64 = row.get(9)?;
    let last_status: Option<String> = row.get(10)?;
    let status = if active > 0 {
        "running".to_string()
    } else {
        last_status.unwrap_or_else(|| "created".to_string())
    };
    Ok((
        ExperimentSummary {
            experiment,
            run_count: row.get::<_, i64>(7)? as u64,
            last_run_at: row.get(8)?,
            status,
        },
        sources,
        config,
    ))
}

fn finish_summary((mut summary, sources, config): (ExperimentSummary, String, String)) -> Result<ExperimentSummary> {
    summary.experiment = finish((summary.experiment, sources, config))?;
    Ok(summary)
}

/// Experiments, newest first, with their run counts and status.
pub fn list(conn: &Connection, limit: u32, offset: u64) -> Result<Vec<ExperimentSummary>> {
    let sql = format!(
        "SELECT {COLUMNS}, {SUMMARY_COLUMNS} FROM experiments e ORDER BY e.created_at DESC, e.rowid DESC
         LIMIT ?1 OFFSET ?2"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![limit, offset as i64], summary_from_row)?;
    rows.map(|row| finish_summary(row?)).collect()
}

pub fn count(conn: &Connection) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM experiments")?
        .query_row([], |row| row.get(0))?;
    Ok(n as u64)
}

/// One experiment with its run count and status.
pub fn get_summary(conn: &Connection, id: &str) -> Result<Option<ExperimentSummary>> {
    let sql = format!("SELECT {COLUMNS}, {SUMMARY_COLUMNS} FROM experiments e WHERE e.id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], summary_from_row)
        .optional()?
        .map(finish_summary)
        .transpose()
}

/// What deleting an experiment removed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deleted {
    pub jobs: u64,
    pub runs: u64,
    pub personas: u64,
    /// Output folders of the deleted runs (left on disk; the caller may remove them).
    pub output_paths: Vec<String>,
}

/// Deletes an experiment with its jobs, runs and personas (foreign keys cascade). `None` when it
/// does not exist; 409 `conflict` while one of its jobs is pending or running.
pub fn delete(tx: &Transaction<'_>, id: &str) -> Result<Option<Deleted>> {
    if get(tx, id)?.is_none() {
        return Ok(None);
    }
    let count = |sql: &str| -> Result<u64> {
        let n: i64 = tx.prepare_cached(sql)?.query_row([id], |row| row.get(0))?;
        Ok(n as u64)
    };
    let active = count("SELECT COUNT(*) FROM jobs WHERE experiment_id = ?1 AND status IN ('pending', 'running')")?;
    if active > 0 {
        return Err(crate::error::Error::Conflict(format!(
            "experiment {id} has {active} pending or running job(s); cancel them or wait until they end"
        )));
    }
    let deleted = Deleted {
        jobs: count("SELECT COUNT(*) FROM jobs WHERE experiment_id = ?1")?,
        runs: count("SELECT COUNT(*) FROM runs WHERE experiment_id = ?1")?,
        personas: count("SELECT COUNT(*) FROM personas WHERE experiment_id = ?1")?,
        output_paths: tx
            .prepare_cached("SELECT output_path FROM runs WHERE experiment_id = ?1 AND output_path IS NOT NULL")?
            .query_map([id], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<_>>()?,
    };
    tx.prepare_cached("DELETE FROM experiments WHERE id = ?1")?
        .execute([id])?;
    Ok(Some(deleted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_db;

    #[test]
    fn experiments_are_created_once_per_name_and_found_by_id_or_name() {
        let (_dir, db) = temp_db();
        let first = db
            .write(|tx| find_or_create_for_data(tx, "interviews.csv", "interviews.csv", "2026-01-01T00:00:00.000Z"))
            .unwrap();
        assert!(IdKind::Experiment.matches(&first.id));
        assert_eq!(first.data_sources, vec!["interviews.csv"]);
        let again = db
            .write(|tx| find_or_create_for_data(tx, "interviews.csv", "interviews.csv", "2026-01-02T00:00:00.000Z"))
            .unwrap();
        assert_eq!(again, first);
        let by_id = db.read(|c| get(c, &first.id)).unwrap().unwrap();
        assert_eq!(by_id.name, "interviews.csv");
        assert!(db.read(|c| get_by_name(c, "other")).unwrap().is_none());
    }
}
