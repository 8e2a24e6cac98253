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
